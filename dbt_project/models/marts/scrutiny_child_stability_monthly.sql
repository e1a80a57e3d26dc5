{#- One row per (la_code, month_end, service_area, team_code): children with an open allocation
    on the month end and those who had 3 or more different allocated social workers in the 12
    months to it. A child held by workers in two teams counts in each team, once at every
    higher level. -#}
with breakdowns as (
    select * from {{ ref('int_scrutiny__breakdowns') }}
),

children as (
    {{ by_area_and_team(
        'count(distinct child_key) as children_open,
         count(distinct child_key) filter (where workers_12m >= 3) as children_3plus_workers_12m',
        ref('int_scrutiny__child_allocations_monthly')) }}
),

final as (
    select
        cast('{{ var("la_code") }}' as varchar) as la_code,
        breakdowns.month_end,
        breakdowns.breakdown_level,
        breakdowns.service_area,
        breakdowns.team_code,
        breakdowns.team_name,
        cast(coalesce(children.children_open, 0) as bigint) as children_open,
        cast(null as varchar) as children_open_status,
        cast(coalesce(children.children_3plus_workers_12m, 0) as bigint) as children_3plus_workers_12m,
        cast(null as varchar) as children_3plus_workers_12m_status,
        {{ published_rate('children.children_3plus_workers_12m', 'children.children_open') }} as pct_children_3plus_workers_12m,
        {{ rate_status('children.children_open') }} as pct_children_3plus_workers_12m_status
    from breakdowns
    left join children
        on
            breakdowns.month_end = children.month_end
            and breakdowns.service_area = children.service_area
            and breakdowns.team_code = children.team_code
)

select * from final
order by month_end asc, breakdown_level = 'council' desc, service_area asc, breakdown_level = 'service_area' desc, team_code asc
