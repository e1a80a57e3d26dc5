{#- Fails with every (30 September, indicator) where the pipeline's figure differs from the
    census-shaped recomputation from staging (beyond floating-point noise in FTE sums). -#}
select *
from {{ ref('reconciliation_census_september') }}
where abs(difference) > 1e-6
