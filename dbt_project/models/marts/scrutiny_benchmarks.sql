{#- One row per (la_code, time_period, geography_level, indicator): the council's DfE-published
    figure beside its region's, its statistical neighbours' and England's, for every year DfE has
    published, with DfE's symbols kept in status. The council's own September figure from this
    pipeline sits beside its published one (pipeline_value), so the two can be compared.

    Statistical neighbours: DfE's 2021 grouping (seed dfe_statistical_neighbours) gives the
    council's ten closest councils; their row holds the average of the neighbours' published
    figures (those published as numbers; neighbours_with_value says how many) and their range.
    A neighbour DfE publishes jointly with another council ('314 / 318', '940 / 941') takes the
    joint figure, counted once. A council with no grouping gets one row per year and indicator
    saying so, with status 'x': no figure is guessed. -#}
with benchmarks as (
    select * from {{ ref('int_dfe__benchmarks_long') }}
),

workforce as (
    select * from {{ ref('scrutiny_workforce_monthly') }}
),

neighbour_groups as (
    select * from {{ ref('dfe_statistical_neighbours') }}
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

neighbours as (
    select
        neighbour_rank,
        neighbour_la_code,
        la_name
    from neighbour_groups
    where la_code = '{{ var("la_code") }}'
),

neighbour_group as (
    select
        count(*) as neighbours_in_group,
        max(la_name) as la_name,
        string_agg(neighbour_la_code, ', ' order by neighbour_rank) as neighbour_codes
    from neighbours
),

-- each published area standing for one or more neighbours, once per year and indicator
neighbour_figures as (
    select distinct
        benchmarks.time_period,
        benchmarks.indicator,
        benchmarks.geography_code,
        benchmarks.value
    from benchmarks
    inner join neighbours
        on list_contains(string_split(benchmarks.geography_code, ' / '), neighbours.neighbour_la_code)
    where benchmarks.geography_level = 'council'
),

neighbour_summary as (
    select
        time_period,
        indicator,
        round(avg(value), 1) as value,  -- noqa: RF04
        min(value) as neighbours_min,
        max(value) as neighbours_max,
        cast(count(value) as integer) as neighbours_with_value
    from neighbour_figures
    group by time_period, indicator
),

years_and_indicators as (
    select distinct
        time_period,
        indicator
    from benchmarks
    where geography_level = 'england'
),

neighbour_rows as (
    select
        years_and_indicators.time_period,
        'statistical_neighbours' as geography_level,
        neighbour_group.neighbour_codes as geography_code,
        case
            when neighbour_group.neighbours_in_group = 0
                then 'No statistical neighbour grouping: DfE''s 2021 groupings have no row for council {{ var("la_code") }}'
            else
                'Statistical neighbours of ' || neighbour_group.la_name || ' (DfE 2021 grouping, '
                || neighbour_group.neighbours_in_group || ' councils)'
        end as geography_name,
        years_and_indicators.indicator,
        case when neighbour_summary.neighbours_with_value > 0 then neighbour_summary.value end as value,  -- noqa: RF04
        case when coalesce(neighbour_summary.neighbours_with_value, 0) = 0 then 'x' end as status,
        neighbour_summary.neighbours_min,
        neighbour_summary.neighbours_max,
        case
            when neighbour_group.neighbours_in_group > 0 then coalesce(neighbour_summary.neighbours_with_value, 0)
        end as neighbours_with_value
    from years_and_indicators
    cross join neighbour_group
    left join neighbour_summary
        on
            years_and_indicators.time_period = neighbour_summary.time_period
            and years_and_indicators.indicator = neighbour_summary.indicator
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

areas as (
    select
        time_period,
        geography_level,
        geography_code,
        geography_name,
        indicator,
        value,
        status,
        cast(null as double) as neighbours_min,
        cast(null as double) as neighbours_max,
        cast(null as integer) as neighbours_with_value
    from selected
    union all
    select
        time_period,
        geography_level,
        geography_code,
        geography_name,
        indicator,
        value,
        status,
        neighbours_min,
        neighbours_max,
        neighbours_with_value
    from neighbour_rows
),

final as (
    select
        cast('{{ var("la_code") }}' as varchar) as la_code,
        areas.time_period,
        areas.geography_level,
        areas.geography_code,
        areas.geography_name,
        areas.indicator,
        areas.value,
        areas.status,
        areas.neighbours_min,
        areas.neighbours_max,
        areas.neighbours_with_value,
        case when areas.geography_level = 'council' then pipeline_september.pipeline_value end as pipeline_value,
        case when areas.geography_level = 'council' then pipeline_september.pipeline_status end as pipeline_status
    from areas
    left join pipeline_september
        on areas.time_period = pipeline_september.time_period and areas.indicator = pipeline_september.indicator
)

select * from final
order by
    time_period asc,
    indicator asc,
    case geography_level when 'council' then 1 when 'region' then 2 when 'statistical_neighbours' then 3 else 4 end asc
