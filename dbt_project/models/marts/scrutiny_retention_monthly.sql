{#- One row per (la_code, month_end, service_area, team_code): do people stay? Grade mix and
    overseas recruits in post, 12-month retention of starters and of overseas recruits (cohort:
    started in the 12 months ending 12 months before month_end), promotions, retention-payment
    eligibility and whether eligible people were paid, voluntary turnover, leavers with under two
    years' service and exit-interview coverage. Counts needing an optional export that is missing
    (payroll_lines, hr_exit_interviews), or that fall before the payroll history starts, are
    NULL with status 'x'; rates with a zero denominator are NULL with status 'z'. -#}
with month_ends as (
    select * from {{ ref('int_calendar__month_ends') }}
),

breakdowns as (
    select * from {{ ref('int_scrutiny__breakdowns') }}
),

availability as (
    select * from {{ ref('int_exports__availability') }}
),

payroll as (
    select * from {{ ref('int_scrutiny__payroll_lines') }}
),

in_post_spells as (
    select * from {{ ref('int_scrutiny__in_post_monthly') }}
),

payroll_coverage as (
    select
        {{ export_available('payroll_lines') }}
            as has_payroll_export,
        {{ export_available('hr_exit_interviews') }}
            as has_exit_interview_export,
        (select min(date_trunc('month', pay_period_end_date)) from payroll) as payroll_first_day
),

in_post as (
    {{ by_area_and_team(
        'count(distinct person_key) as inpost_headcount,
         count(distinct person_key) filter (where is_asye) as asye_headcount,
         count(distinct person_key) filter (where is_advanced_practitioner) as ap_headcount,
         count(distinct person_key) filter (where is_overseas_recruit) as overseas_headcount,
         count(distinct person_key) filter (where is_retention_eligible) as retention_eligible_headcount',
        'in_post_spells') }}
),

retention_paid_people as (
    -- people whose retention payments in the window net to more than zero
    select
        month_ends.month_end,
        payroll.person_key,
        arg_max(payroll.team_code, payroll.pay_period_end_date) as team_code,
        arg_max(payroll.service_area, payroll.pay_period_end_date) as service_area
    from month_ends
    inner join payroll
        on {{ in_window('payroll.pay_period_end_date', 'month_ends.window_start', 'month_ends.month_end') }}
    where payroll.pay_element_code = 'RETENTION_PAYMENT' and payroll.person_key is not null
    group by month_ends.month_end, payroll.person_key
    having sum(payroll.amount_gbp) > 0
),

recipients as (
    {{ by_area_and_team('count(distinct person_key) as retention_payment_recipients_12m', 'retention_paid_people') }}
),

eligible_paid_spells as (
    select in_post_spells.*
    from in_post_spells
    inner join retention_paid_people
        on
            in_post_spells.month_end = retention_paid_people.month_end
            and in_post_spells.person_key = retention_paid_people.person_key
    where in_post_spells.is_retention_eligible
),

eligible_paid as (
    {{ by_area_and_team('count(distinct person_key) as retention_eligible_paid_12m', 'eligible_paid_spells') }}
),

cohorts as (
    {{ by_area_and_team(
        'count(distinct person_key) as starter_cohort_headcount,
         count(distinct person_key) filter (where is_retained_12m) as starters_retained_12m,
         count(distinct person_key) filter (where is_overseas_recruit) as overseas_cohort_headcount,
         count(distinct person_key) filter (where is_overseas_recruit and is_retained_12m) as overseas_retained_12m',
        ref('int_scrutiny__starter_cohorts')) }}
),

promotion_events as (
    select
        month_ends.month_end,
        promotions.*
    from month_ends
    inner join {{ ref('int_scrutiny__promotions') }} as promotions
        on {{ in_window('promotions.promotion_date', 'month_ends.window_start', 'month_ends.month_end') }}
),

promotions as (
    {{ by_area_and_team('count(distinct person_key) as promotions_12m', 'promotion_events') }}
),

leavers as (
    {{ by_area_and_team(
        'count(distinct person_key) as leavers_headcount,
         count(distinct person_key) filter (where leaving_reason = 1) as voluntary_leavers_headcount,
         count(distinct person_key) filter (where is_under_2y_service) as leavers_under_2y_service_headcount,
         count(distinct person_key) filter (where has_exit_interview) as exit_interviews_held,
         count(distinct person_key) filter (where cites_pay) as leavers_citing_pay',
        ref('int_scrutiny__leavers_monthly')) }}
),

joined as (
    select
        breakdowns.*,
        payroll_coverage.has_exit_interview_export,
        not payroll_coverage.has_payroll_export
        or payroll_coverage.payroll_first_day is null
        or cast(breakdowns.window_start + 1 as date) < payroll_coverage.payroll_first_day as is_payroll_unavailable,
        coalesce(in_post.inpost_headcount, 0) as inpost_headcount,
        coalesce(in_post.asye_headcount, 0) as asye_headcount,
        coalesce(in_post.ap_headcount, 0) as ap_headcount,
        coalesce(in_post.overseas_headcount, 0) as overseas_headcount,
        coalesce(cohorts.starter_cohort_headcount, 0) as starter_cohort_headcount,
        coalesce(cohorts.starters_retained_12m, 0) as starters_retained_12m,
        coalesce(cohorts.overseas_cohort_headcount, 0) as overseas_cohort_headcount,
        coalesce(cohorts.overseas_retained_12m, 0) as overseas_retained_12m,
        coalesce(promotions.promotions_12m, 0) as promotions_12m,
        coalesce(in_post.retention_eligible_headcount, 0) as retention_eligible_headcount,
        coalesce(eligible_paid.retention_eligible_paid_12m, 0) as retention_eligible_paid_12m,
        coalesce(recipients.retention_payment_recipients_12m, 0) as retention_payment_recipients_12m,
        coalesce(leavers.leavers_headcount, 0) as leavers_headcount,
        coalesce(leavers.voluntary_leavers_headcount, 0) as voluntary_leavers_headcount,
        coalesce(leavers.leavers_under_2y_service_headcount, 0) as leavers_under_2y_service_headcount,
        coalesce(leavers.exit_interviews_held, 0) as exit_interviews_held,
        coalesce(leavers.leavers_citing_pay, 0) as leavers_citing_pay
    from breakdowns
    cross join payroll_coverage
    left join in_post using (month_end, service_area, team_code)
    left join cohorts using (month_end, service_area, team_code)
    left join promotions using (month_end, service_area, team_code)
    left join eligible_paid using (month_end, service_area, team_code)
    left join recipients using (month_end, service_area, team_code)
    left join leavers using (month_end, service_area, team_code)
),

final as (
    select
        cast('{{ var("la_code") }}' as varchar) as la_code,
        month_end,
        breakdown_level,
        service_area,
        team_code,
        team_name,
        cast(inpost_headcount as bigint) as inpost_headcount,
        cast(null as varchar) as inpost_headcount_status,
        cast(asye_headcount as bigint) as asye_headcount,
        cast(null as varchar) as asye_headcount_status,
        cast(ap_headcount as bigint) as ap_headcount,
        cast(null as varchar) as ap_headcount_status,
        cast(overseas_headcount as bigint) as overseas_headcount,
        cast(null as varchar) as overseas_headcount_status,
        cast(starter_cohort_headcount as bigint) as starter_cohort_headcount,
        cast(null as varchar) as starter_cohort_headcount_status,
        cast(starters_retained_12m as bigint) as starters_retained_12m,
        cast(null as varchar) as starters_retained_12m_status,
        {{ published_rate('starters_retained_12m', 'starter_cohort_headcount') }} as starter_retention_12m_pct,
        {{ rate_status('starter_cohort_headcount') }} as starter_retention_12m_pct_status,
        cast(overseas_cohort_headcount as bigint) as overseas_cohort_headcount,
        cast(null as varchar) as overseas_cohort_headcount_status,
        cast(overseas_retained_12m as bigint) as overseas_retained_12m,
        cast(null as varchar) as overseas_retained_12m_status,
        {{ published_rate('overseas_retained_12m', 'overseas_cohort_headcount') }} as overseas_retention_12m_pct,
        {{ rate_status('overseas_cohort_headcount') }} as overseas_retention_12m_pct_status,
        cast(promotions_12m as bigint) as promotions_12m,
        cast(null as varchar) as promotions_12m_status,
        cast(retention_eligible_headcount as bigint) as retention_eligible_headcount,
        cast(null as varchar) as retention_eligible_headcount_status,
        case when not is_payroll_unavailable then cast(retention_eligible_paid_12m as bigint) end as retention_eligible_paid_12m,
        case when is_payroll_unavailable then 'x' end as retention_eligible_paid_12m_status,
        {{ published_rate('retention_eligible_paid_12m', 'retention_eligible_headcount', unavailable='is_payroll_unavailable') }}
            as pct_retention_eligible_paid_12m,
        {{ rate_status('retention_eligible_headcount', unavailable='is_payroll_unavailable') }}
            as pct_retention_eligible_paid_12m_status,
        case when not is_payroll_unavailable then cast(retention_payment_recipients_12m as bigint) end
            as retention_payment_recipients_12m,
        case when is_payroll_unavailable then 'x' end as retention_payment_recipients_12m_status,
        cast(leavers_headcount as bigint) as leavers_headcount,
        cast(null as varchar) as leavers_headcount_status,
        cast(voluntary_leavers_headcount as bigint) as voluntary_leavers_headcount,
        cast(null as varchar) as voluntary_leavers_headcount_status,
        {{ published_rate('voluntary_leavers_headcount', 'inpost_headcount') }} as voluntary_turnover_rate_headcount,
        {{ rate_status('inpost_headcount') }} as voluntary_turnover_rate_headcount_status,
        cast(leavers_under_2y_service_headcount as bigint) as leavers_under_2y_service_headcount,
        cast(null as varchar) as leavers_under_2y_service_headcount_status,
        {{ published_rate('leavers_under_2y_service_headcount', 'leavers_headcount') }} as leavers_under_2y_service_pct,
        {{ rate_status('leavers_headcount') }} as leavers_under_2y_service_pct_status,
        case when has_exit_interview_export then cast(exit_interviews_held as bigint) end as exit_interviews_held,
        case when not has_exit_interview_export then 'x' end as exit_interviews_held_status,
        {{ published_rate('exit_interviews_held', 'leavers_headcount', unavailable='not has_exit_interview_export') }}
            as exit_interview_coverage_pct,
        {{ rate_status('leavers_headcount', unavailable='not has_exit_interview_export') }} as exit_interview_coverage_pct_status,
        case when has_exit_interview_export then cast(leavers_citing_pay as bigint) end as leavers_citing_pay,
        case when not has_exit_interview_export then 'x' end as leavers_citing_pay_status,
        {{ published_rate('leavers_citing_pay', 'exit_interviews_held', unavailable='not has_exit_interview_export') }}
            as leavers_citing_pay_pct,
        {{ rate_status('exit_interviews_held', unavailable='not has_exit_interview_export') }} as leavers_citing_pay_pct_status
    from joined
)

select * from final
order by month_end asc, breakdown_level = 'council' desc, service_area asc, breakdown_level = 'service_area' desc, team_code asc
