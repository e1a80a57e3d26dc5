{#- One row per (time_period, geographic_level, area, indicator) of DfE's published files, in
    long form: the text value as published, its number (NULL when it is one of DfE's symbols)
    and the symbol as status (NULL when the value is a number). -#}
{%- set indicators = catalogue('scrutiny_workforce_monthly')['dfe_indicators'] -%}
with csww as (
    select * from {{ ref('dfe_csww_indicators') }}
),

cla as (
    select * from {{ ref('dfe_cla_social_worker_stability') }}
),

csww_long as (
    {%- for name in indicators %}
        select
            time_period,
            geographic_level,
            region_code,
            region_name,
            old_la_code,
            la_name,
            '{{ name }}' as indicator,
            trim({{ name }}) as published_text
        from csww
        {{ 'union all' if not loop.last }}
    {%- endfor %}
),

cla_long as (
    select
        time_period,
        geographic_level,
        region_code,
        region_name,
        old_la_code,
        la_name,
        case
            when sw_stability = 'Total children' then 'cla_children'
            else 'cla_children_3plus_social_workers'
        end as indicator,
        trim(number) as published_text
    from cla
    where sw_stability in ('Total children', '3 or more social workers during the year')
    union all
    select
        time_period,
        geographic_level,
        region_code,
        region_name,
        old_la_code,
        la_name,
        'pct_cla_3plus_social_workers' as indicator,
        trim(percentage) as published_text
    from cla
    where sw_stability = '3 or more social workers during the year'
),

unioned as (
    select * from csww_long
    union all
    select * from cla_long
),

final as (
    select
        cast(time_period as integer) as time_period,
        case geographic_level
            when 'National' then 'england'
            when 'Regional' then 'region'
            else 'council'
        end as geography_level,
        case geographic_level
            when 'National' then 'E92000001'
            when 'Regional' then region_code
            else old_la_code
        end as geography_code,
        case geographic_level
            when 'National' then 'England'
            when 'Regional' then region_name
            else la_name
        end as geography_name,
        region_code,
        indicator,
        published_text,
        try_cast(published_text as double) as value,  -- noqa: RF04
        case
            when try_cast(published_text as double) is null then coalesce(nullif(published_text, ''), 'x')
        end as status
    from unioned
)

select * from final
