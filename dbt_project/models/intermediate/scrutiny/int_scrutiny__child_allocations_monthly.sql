{#- One row per (month_end, child, team) for children with an open allocation at month_end: the
    team (and service area) of each allocated worker holding the child then, and the number of
    different allocated workers the child had across the window (window_start, month_end].
    A worker is counted once per child however many times they were allocated; a worker is the
    SWE person key when the CMS professional matches one, else the CMS professional key. -#}
with month_ends as (
    select * from {{ ref('int_calendar__month_ends') }}
),

involvements as (
    select * from {{ ref('stg_cms__involvements') }}
    where professional_role in (
        {%- for role in var('allocated_case_worker_roles') %}
            '{{ role | upper | trim }}'{{ ',' if not loop.last }}
        {%- endfor %}
    )
),

professionals as (
    select * from {{ ref('stg_cms__professionals') }}
),

employee_people as (
    select distinct
        employee_key,
        person_key
    from {{ ref('int_hr__spells') }}
),

holders as (
    select * from {{ ref('int_cms__caseloads_monthly') }}
    where is_matched
),

allocations as (
    select
        involvements.child_key,
        involvements.involvement_start_date,
        involvements.involvement_end_date,
        coalesce(professionals.person_key, employee_people.person_key, involvements.professional_key) as worker_key
    from involvements
    left join professionals on involvements.professional_key = professionals.professional_key
    left join employee_people
        on professionals.person_key is null and professionals.employee_key = employee_people.employee_key
    -- an allocation that ends the day it starts was never held
    where involvements.involvement_end_date is null or involvements.involvement_end_date > involvements.involvement_start_date
),

open_at_month_end as (
    select distinct
        month_ends.month_end,
        allocations.child_key,
        allocations.worker_key
    from month_ends
    inner join allocations
        on {{ is_active_on('allocations.involvement_start_date', 'allocations.involvement_end_date', 'month_ends.month_end') }}
),

workers_in_window as (
    select
        month_ends.month_end,
        allocations.child_key,
        count(distinct allocations.worker_key) as workers_12m
    from month_ends
    inner join allocations
        on
            allocations.involvement_start_date <= month_ends.month_end
            and (
                allocations.involvement_end_date is null
                or allocations.involvement_end_date > month_ends.window_first_day
            )
    where allocations.child_key in (select open_at_month_end.child_key from open_at_month_end)
    group by month_ends.month_end, allocations.child_key
),

final as (
    select distinct
        open_at_month_end.month_end,
        open_at_month_end.child_key,
        coalesce(holders.team_code, 'Unknown') as team_code,
        coalesce(holders.service_area, 'Unknown') as service_area,
        workers_in_window.workers_12m
    from open_at_month_end
    inner join workers_in_window
        on
            open_at_month_end.month_end = workers_in_window.month_end
            and open_at_month_end.child_key = workers_in_window.child_key
    left join holders
        on
            open_at_month_end.month_end = holders.month_end
            and open_at_month_end.worker_key = holders.holder_key
)

select * from final
