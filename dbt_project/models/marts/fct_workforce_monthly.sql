{#- One row per (month_end, service_area): DfE's CSWW indicators, unrounded, at LA level
    (service_area = 'All') and per service area. Headcounts are distinct people at each level,
    so service areas need not add up to the LA figure (a person in two areas counts in each). -#}

with month_ends as (
    select * from {{ ref('int_calendar__month_ends') }}
),

availability as (
    select * from {{ ref('int_exports__availability') }}
),

areas as (
    select service_area from {{ ref('int_hr__spells') }}
    union
    select service_area from {{ ref('int_agency__assignments_monthly') }}
    union
    select service_area from {{ ref('int_establishment__vacancies_monthly') }}
    union
    select service_area from {{ ref('stg_hr__teams') }}
),

grid as (
    select
        month_end,
        'All' as service_area
    from month_ends
    union all
    select
        month_ends.month_end,
        areas.service_area
    from month_ends
    cross join areas
),

in_post as (
    {{ by_area('sum(fte) as inpost_fte, count(distinct person_key) as inpost_headcount',
               ref('int_workforce__in_post_monthly')) }}
),

starter_events as (
    select
        month_ends.month_end,
        starters.*
    from month_ends
    inner join {{ ref('int_workforce__starters') }} as starters
        on {{ in_window('starters.la_service_start_date', 'month_ends.window_start', 'month_ends.month_end') }}
    -- a person who started twice in the window is one starter, from their first start
    qualify row_number() over (
        partition by month_ends.month_end, starters.person_key order by starters.la_service_start_date
    ) = 1
),

starters as (
    {{ by_area('sum(starting_fte) as starters_fte, count(distinct person_key) as starters_headcount',
               'starter_events') }}
),

leaver_events as (
    select
        month_ends.month_end,
        leavers.*
    from month_ends
    inner join {{ ref('int_workforce__leavers') }} as leavers
        on {{ in_window('leavers.leaving_date', 'month_ends.window_start', 'month_ends.month_end') }}
    qualify row_number() over (
        partition by month_ends.month_end, leavers.person_key order by leavers.leaving_date desc
    ) = 1
),

leavers as (
    {{ by_area('sum(leaving_fte) as leavers_fte, count(distinct person_key) as leavers_headcount',
               'leaver_events') }}
),

agency as (
    {{ by_area('sum(fte) as agency_fte, count(distinct person_key) as agency_headcount,
                coalesce(sum(fte) filter (where is_covering_vacancy), 0) as agency_cover_fte',
               ref('int_agency__assignments_monthly')) }}
),

vacancies as (
    {{ by_area('sum(vacancy_fte) as vacancy_fte', ref('int_establishment__vacancies_monthly')) }}
),

caseloads as (
    {{ by_area('sum(cases) as cases, sum(fte) as case_holders_fte',
               ref('int_cms__caseloads_monthly'), where='is_matched') }}
),

unmatched as (
    select
        month_end,
        'All' as service_area,
        sum(cases) as cases_unmatched
    from {{ ref('int_cms__caseloads_monthly') }}
    where not is_matched
    group by month_end
),

sickness as (
    {{ by_area('sum(working_days_lost_in_window) as working_days_lost_fte',
               ref('int_hr__sickness_absence_monthly')) }}
),

final as (
    select
        grid.month_end,
        grid.service_area,
        coalesce(in_post.inpost_fte, 0) as inpost_fte,
        coalesce(in_post.inpost_headcount, 0) as inpost_headcount,
        coalesce(starters.starters_fte, 0) as starters_fte,
        coalesce(starters.starters_headcount, 0) as starters_headcount,
        coalesce(leavers.leavers_fte, 0) as leavers_fte,
        coalesce(leavers.leavers_headcount, 0) as leavers_headcount,
        coalesce(agency.agency_fte, 0) as agency_fte,
        coalesce(agency.agency_headcount, 0) as agency_headcount,
        coalesce(agency.agency_cover_fte, 0) as agency_cover_fte,
        coalesce(vacancies.vacancy_fte, 0) as vacancy_fte,
        coalesce(caseloads.cases, 0) as cases,
        coalesce(caseloads.case_holders_fte, 0) as case_holders_fte,
        coalesce(unmatched.cases_unmatched, 0) as cases_unmatched,
        coalesce(sickness.working_days_lost_fte, 0) as working_days_lost_fte,
        {{ export_available('hr_absences') }} as has_absence_export
    from grid
    left join in_post using (month_end, service_area)
    left join starters using (month_end, service_area)
    left join leavers using (month_end, service_area)
    left join agency using (month_end, service_area)
    left join vacancies using (month_end, service_area)
    left join caseloads using (month_end, service_area)
    left join unmatched using (month_end, service_area)
    left join sickness using (month_end, service_area)
)

select * from final
