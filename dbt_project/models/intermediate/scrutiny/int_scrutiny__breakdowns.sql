{#- One row per (month_end, service_area, team_code) a scrutiny table reports on: the council
    ('All', 'All'), every service area (team_code 'All') and every team, whether or not it has
    anyone in it that month, so a team with no case holders still gets a row. -#}
with month_ends as (
    select * from {{ ref('int_calendar__month_ends') }}
),

teams as (
    select * from {{ ref('stg_hr__teams') }}
),

known_teams as (
    select
        team_code,
        coalesce(service_area, 'Unknown') as service_area
    from teams
    union
    select
        team_code,
        service_area
    from {{ ref('int_hr__spells') }}
    union
    select
        team_code,
        service_area
    from {{ ref('int_agency__assignments_monthly') }}
),

levels as (
    select
        'council' as breakdown_level,
        'All' as service_area,
        'All' as team_code
    union all
    select distinct
        'service_area' as breakdown_level,
        service_area,
        'All' as team_code
    from known_teams
    union all
    select
        'team' as breakdown_level,
        service_area,
        team_code
    from known_teams
),

final as (
    select
        month_ends.month_end,
        month_ends.window_start,
        levels.breakdown_level,
        levels.service_area,
        levels.team_code,
        teams.team_name
    from month_ends
    cross join levels
    left join teams
        on levels.team_code = teams.team_code and levels.breakdown_level = 'team'
)

select * from final
