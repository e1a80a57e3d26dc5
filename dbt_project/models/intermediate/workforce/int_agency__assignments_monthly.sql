{#- One row per (month_end, agency assignment) active at month_end. -#}
with month_ends as (
    select * from {{ ref('int_calendar__month_ends') }}
),

assignments as (
    select * from {{ ref('stg_agency__assignments') }}
),

teams as (
    select * from {{ ref('stg_hr__teams') }}
),

final as (
    select
        month_ends.month_end,
        assignments.assignment_id,
        assignments.person_key,
        assignments.team_code,
        coalesce(teams.service_area, 'Unknown') as service_area,
        assignments.post_id,
        assignments.fte,
        assignments.is_covering_vacancy
    from month_ends
    inner join assignments
        on {{ is_active_on('assignments.start_date', 'assignments.end_date', 'month_ends.month_end') }}
    left join teams on assignments.team_code = teams.team_code
)

select * from final
