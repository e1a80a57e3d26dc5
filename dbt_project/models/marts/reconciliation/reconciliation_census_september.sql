{#- One row per (census_date, indicator): for every 30 September in the history, the pipeline's
    own LA-level indicator (fct_workforce_monthly, unrounded) beside the same indicator summed
    from the census-shaped return recomputed from staging (reconciliation_csww_census_return).
    difference = pipeline_value - census_value; the test assert_census_september_reconciles
    fails on any difference. -#}
{%- set indicators = ['inpost_fte', 'inpost_headcount', 'starters_fte', 'starters_headcount',
    'leavers_fte', 'leavers_headcount', 'agency_fte', 'agency_headcount', 'agency_cover_fte'] -%}
with census_return as (
    select * from {{ ref('reconciliation_csww_census_return') }}
),

facts as (
    select * from {{ ref('fct_workforce_monthly') }}
    where service_area = 'All' and month(month_end) = 9
),

census as (
    select
        census_date,
        coalesce(sum(fte_at_census) filter (where worker_type = 'LA employed' and is_in_post), 0) as inpost_fte,
        count(distinct person_key) filter (where worker_type = 'LA employed' and is_in_post) as inpost_headcount,
        coalesce(sum(starter_fte) filter (where is_starter), 0) as starters_fte,
        count(distinct person_key) filter (where is_starter) as starters_headcount,
        coalesce(sum(leaver_fte) filter (where is_leaver), 0) as leavers_fte,
        count(distinct person_key) filter (where is_leaver) as leavers_headcount,
        coalesce(sum(fte_at_census) filter (where worker_type = 'Agency'), 0) as agency_fte,
        count(distinct person_key) filter (where worker_type = 'Agency') as agency_headcount,
        coalesce(sum(covering_vacancy_fte), 0) as agency_cover_fte
    from census_return
    group by census_date
),

final as (
    {%- for name in indicators %}
        select
            facts.month_end as census_date,
            '{{ name }}' as indicator,
            cast(facts.{{ name }} as double) as pipeline_value,
            cast(coalesce(census.{{ name }}, 0) as double) as census_value,
            cast(facts.{{ name }} as double) - cast(coalesce(census.{{ name }}, 0) as double) as difference
        from facts
        left join census on facts.month_end = census.census_date
        {{ 'union all' if not loop.last }}
    {%- endfor %}
)

select * from final
