{#- One row per (la_code, time_period, geography_level, indicator): the council's DfE-published
    figure beside its region's and England's, for every year DfE has published, with DfE's
    symbols kept in status. The council's own September figure from this pipeline sits beside
    its published one (pipeline_value), so the two can be compared. -#}
with benchmarks as (
    select * from {{ ref('int_dfe__benchmarks_long') }}
),

workforce as (
    select * from {{ ref('scrutiny_workforce_monthly') }}
),

council_regions as (
    select distinct
        time_period,
        region_code
    from benchmarks
    where geography_level = 'council' and geography_code = '{{ var("la_code") }}'
),

selected as (
    select benchmarks.*
    from benchmarks
    where benchmarks.geography_level = 'council' and benchmarks.geography_code = '{{ var("la_code") }}'
    union all
    select benchmarks.*
    from benchmarks
    inner join council_regions
        on
            benchmarks.time_period = council_regions.time_period
            and benchmarks.geography_code = council_regions.region_code
    where benchmarks.geography_level = 'region'
    union all
    select benchmarks.*
    from benchmarks
    where benchmarks.geography_level = 'england'
),


pipeline_september as (
    -- the pipeline's 30 September figure for each DfE reporting year (1 Oct - 30 Sep)
    {%- set published = catalogue('scrutiny_workforce_monthly')['dfe_indicators'] %}
    {%- for name in published %}
        select
            cast(year(month_end) as integer) as time_period,
            '{{ name }}' as indicator,
            cast({{ name }} as double) as pipeline_value,
            {{ name }}_status as pipeline_status
        from workforce
        where service_area = 'All' and month(month_end) = 9
        {{ 'union all' if not loop.last }}
    {%- endfor %}
),

final as (
    select
        cast('{{ var("la_code") }}' as varchar) as la_code,
        selected.time_period,
        selected.geography_level,
        selected.geography_code,
        selected.geography_name,
        selected.indicator,
        selected.value,
        selected.status,
        case when selected.geography_level = 'council' then pipeline_september.pipeline_value end as pipeline_value,
        case when selected.geography_level = 'council' then pipeline_september.pipeline_status end as pipeline_status
    from selected
    left join pipeline_september
        on selected.time_period = pipeline_september.time_period and selected.indicator = pipeline_september.indicator
)

select * from final
order by time_period asc, indicator asc, geography_level = 'council' desc, geography_level = 'region' desc
