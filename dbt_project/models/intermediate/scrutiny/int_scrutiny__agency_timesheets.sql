{#- One row per agency timesheet line, with the team and service area of its assignment
    (team 'Unknown' when the assignment is not in the agency export). -#}
with timesheets as (
    select * from {{ ref('stg_agency__timesheets') }}
),

assignments as (
    select * from {{ ref('stg_agency__assignments') }}
),

teams as (
    select * from {{ ref('stg_hr__teams') }}
),

final as (
    select
        timesheets.assignment_id,
        timesheets.week_ending,
        timesheets.hours,
        timesheets.charge_gbp,
        coalesce(assignments.team_code, 'Unknown') as team_code,
        coalesce(teams.service_area, 'Unknown') as service_area,
        timesheets.source_file,
        timesheets.source_row_number
    from timesheets
    left join assignments on timesheets.assignment_id = assignments.assignment_id
    left join teams on assignments.team_code = teams.team_code
)

select * from final
