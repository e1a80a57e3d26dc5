{#- One row per (month_end, leaver) whose leaving date falls in the window (window_start,
    month_end] (a person who left twice in the window counts once, from their last leaving, as in
    fct_workforce_monthly), with length of service at leaving and their exit interview, if any.
    An exit interview belongs to a leaver when it has their HR employee number and leaving date. -#}
with month_ends as (
    select * from {{ ref('int_calendar__month_ends') }}
),

leavers as (
    select * from {{ ref('int_workforce__leavers') }}
),

spells as (
    select * from {{ ref('int_hr__spells') }}
),

exit_interviews as (
    select * from {{ ref('stg_hr__exit_interviews') }}
),

people as (
    select distinct
        employee_key,
        person_key
    from spells
),

interviews_by_leaver as (
    select
        people.person_key,
        exit_interviews.leaving_date,
        bool_or(exit_interviews.primary_reason_code = 'PAY' or coalesce(
            list_contains(string_split(replace(exit_interviews.other_reason_codes, ' ', ''), ';'), 'PAY'), false
        )) as cites_pay,
        arg_min(exit_interviews.primary_reason_code, exit_interviews.interview_date) as primary_reason_code,
        string_agg(exit_interviews.primary_reason_code || ';' || coalesce(exit_interviews.other_reason_codes, ''), ';')
            as all_reason_codes
    from exit_interviews
    inner join people
        on exit_interviews.employee_key = people.employee_key
    group by people.person_key, exit_interviews.leaving_date
),

leaver_events as (
    select
        month_ends.month_end,
        leavers.*
    from month_ends
    inner join leavers
        on {{ in_window('leavers.leaving_date', 'month_ends.window_start', 'month_ends.month_end') }}
    qualify row_number() over (
        partition by month_ends.month_end, leavers.person_key order by leavers.leaving_date desc
    ) = 1
),

final as (
    select
        leaver_events.month_end,
        leaver_events.person_key,
        leaver_events.leaving_date,
        leaver_events.leaving_fte,
        coalesce(leaver_events.team_code, 'Unknown') as team_code,
        coalesce(leaver_events.service_area, 'Unknown') as service_area,
        leaver_events.leaving_reason,
        leaver_events.leaver_destination,
        leaver_events.la_service_start_date,
        leaver_events.leaving_date < cast(leaver_events.la_service_start_date + interval 24 month as date)
            as is_under_2y_service,
        case
            when leaver_events.leaving_date < cast(leaver_events.la_service_start_date + interval 12 month as date)
                then '1_under_1_year'
            when leaver_events.leaving_date < cast(leaver_events.la_service_start_date + interval 24 month as date)
                then '2_1_to_2_years'
            when leaver_events.leaving_date < cast(leaver_events.la_service_start_date + interval 60 month as date)
                then '3_2_to_5_years'
            when leaver_events.leaving_date < cast(leaver_events.la_service_start_date + interval 120 month as date)
                then '4_5_to_10_years'
            else '5_10_years_or_more'
        end as length_of_service_band,
        interviews_by_leaver.person_key is not null as has_exit_interview,
        coalesce(interviews_by_leaver.cites_pay, false) as cites_pay,
        interviews_by_leaver.primary_reason_code as exit_primary_reason_code,
        interviews_by_leaver.all_reason_codes as exit_reason_codes
    from leaver_events
    left join interviews_by_leaver
        on
            leaver_events.person_key = interviews_by_leaver.person_key
            and leaver_events.leaving_date = interviews_by_leaver.leaving_date
)

select * from final
