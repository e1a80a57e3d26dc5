{#- One row per (la_code, month_end, service_area, team_code): what the workforce costs. Pay bill
    (every payroll line, corrections included), market supplements and retention payments from
    payroll_lines; agency spend from agency_timesheets (by week ending); and the agency premium per
    FTE: agency spend per agency FTE-year minus the council's pay bill per in-post FTE-year, over
    the 12 months to month_end. An FTE-year is the average FTE over the window's 12 month ends.
    Money needing an optional export that is missing, or for a period before that export's
    history starts, is NULL with status 'x'. -#}
with month_ends as (
    select * from {{ ref('int_calendar__month_ends') }}
),

breakdowns as (
    select * from {{ ref('int_scrutiny__breakdowns') }}
),

availability as (
    select * from {{ ref('int_exports__availability') }}
),

payroll_lines as (
    select * from {{ ref('int_scrutiny__payroll_lines') }}
),

timesheets as (
    select * from {{ ref('int_scrutiny__agency_timesheets') }}
),

coverage as (
    select
        {{ export_available('payroll_lines') }}
            as has_payroll_export,
        {{ export_available('agency_timesheets') }}
            as has_timesheet_export,
        (select min(date_trunc('month', pay_period_end_date)) from payroll_lines) as payroll_first_day,
        (select cast(min(week_ending) - 6 as date) from timesheets) as timesheets_first_day
),

payroll_in_window as (
    select
        month_ends.month_end,
        payroll_lines.*,
        payroll_lines.pay_period_end_date = month_ends.month_end as is_reporting_month
    from month_ends
    inner join payroll_lines
        on {{ in_window('payroll_lines.pay_period_end_date', 'month_ends.window_start', 'month_ends.month_end') }}
),

payroll as (
    {{ by_area_and_team(
        "coalesce(sum(amount_gbp) filter (where is_reporting_month), 0) as paybill_gbp_month,
         sum(amount_gbp) as paybill_gbp_12m,
         coalesce(sum(amount_gbp) filter (where pay_element_code = 'MARKET_SUPPLEMENT'), 0) as market_supplements_gbp_12m,
         coalesce(sum(amount_gbp) filter (where pay_element_code = 'RETENTION_PAYMENT'), 0) as retention_payments_gbp_12m",
        'payroll_in_window') }}
),

timesheets_in_window as (
    select
        month_ends.month_end,
        timesheets.*,
        date_trunc('month', timesheets.week_ending) = date_trunc('month', month_ends.month_end) as is_reporting_month
    from month_ends
    inner join timesheets
        on {{ in_window('timesheets.week_ending', 'month_ends.window_start', 'month_ends.month_end') }}
),

agency_spend as (
    {{ by_area_and_team(
        'coalesce(sum(charge_gbp) filter (where is_reporting_month), 0) as agency_spend_gbp_month,
         sum(charge_gbp) as agency_spend_gbp_12m',
        'timesheets_in_window') }}
),

in_post_stock as (
    {{ by_area_and_team('sum(fte) as fte', ref('int_workforce__in_post_monthly')) }}
),

agency_stock as (
    {{ by_area_and_team('sum(fte) as fte', ref('int_agency__assignments_monthly')) }}
),

stocks as (
    select
        month_end,
        service_area,
        team_code,
        fte as inpost_fte,
        0 as agency_fte
    from in_post_stock
    union all
    select
        month_end,
        service_area,
        team_code,
        0 as inpost_fte,
        fte as agency_fte
    from agency_stock
),

fte_years as (
    -- average FTE over the 12 month ends of the window: FTE-years worked in it
    select
        month_ends.month_end,
        stocks.service_area,
        stocks.team_code,
        sum(stocks.inpost_fte) / 12 as inpost_fte_years_12m,
        sum(stocks.agency_fte) / 12 as agency_fte_years_12m
    from month_ends
    inner join stocks
        on {{ in_window('stocks.month_end', 'month_ends.window_start', 'month_ends.month_end') }}
    group by month_ends.month_end, stocks.service_area, stocks.team_code
),

joined as (
    select
        breakdowns.*,
        not coverage.has_payroll_export
        or coverage.payroll_first_day is null
        or breakdowns.month_end < coverage.payroll_first_day as is_payroll_month_unavailable,
        not coverage.has_payroll_export
        or coverage.payroll_first_day is null
        or cast(breakdowns.window_start + 1 as date) < coverage.payroll_first_day as is_payroll_unavailable,
        not coverage.has_timesheet_export
        or coverage.timesheets_first_day is null
        or breakdowns.month_end < coverage.timesheets_first_day as is_timesheets_month_unavailable,
        not coverage.has_timesheet_export
        or coverage.timesheets_first_day is null
        or cast(breakdowns.window_start + 1 as date) < coverage.timesheets_first_day as is_timesheets_unavailable,
        coalesce(payroll.paybill_gbp_month, 0) as paybill_gbp_month,
        coalesce(payroll.paybill_gbp_12m, 0) as paybill_gbp_12m,
        coalesce(payroll.market_supplements_gbp_12m, 0) as market_supplements_gbp_12m,
        coalesce(payroll.retention_payments_gbp_12m, 0) as retention_payments_gbp_12m,
        coalesce(agency_spend.agency_spend_gbp_month, 0) as agency_spend_gbp_month,
        coalesce(agency_spend.agency_spend_gbp_12m, 0) as agency_spend_gbp_12m,
        coalesce(fte_years.inpost_fte_years_12m, 0) as inpost_fte_years_12m,
        coalesce(fte_years.agency_fte_years_12m, 0) as agency_fte_years_12m
    from breakdowns
    cross join coverage
    left join payroll using (month_end, service_area, team_code)
    left join agency_spend using (month_end, service_area, team_code)
    left join fte_years using (month_end, service_area, team_code)
),

parts as (
    select
        *,
        case when inpost_fte_years_12m > 0 then paybill_gbp_12m / inpost_fte_years_12m end as la_cost_per_fte_year,
        case when agency_fte_years_12m > 0 then agency_spend_gbp_12m / agency_fte_years_12m end as agency_cost_per_fte_year
    from joined
),

final as (
    select
        cast('{{ var("la_code") }}' as varchar) as la_code,
        month_end,
        breakdown_level,
        service_area,
        team_code,
        team_name,
        case when not is_payroll_month_unavailable then round(paybill_gbp_month, 2) end as paybill_gbp_month,
        case when is_payroll_month_unavailable then 'x' end as paybill_gbp_month_status,
        case when not is_payroll_unavailable then round(paybill_gbp_12m, 2) end as paybill_gbp_12m,
        case when is_payroll_unavailable then 'x' end as paybill_gbp_12m_status,
        case when not is_payroll_unavailable then round(market_supplements_gbp_12m, 2) end as market_supplements_gbp_12m,
        case when is_payroll_unavailable then 'x' end as market_supplements_gbp_12m_status,
        case when not is_payroll_unavailable then round(retention_payments_gbp_12m, 2) end as retention_payments_gbp_12m,
        case when is_payroll_unavailable then 'x' end as retention_payments_gbp_12m_status,
        case when not is_timesheets_month_unavailable then round(agency_spend_gbp_month, 2) end as agency_spend_gbp_month,
        case when is_timesheets_month_unavailable then 'x' end as agency_spend_gbp_month_status,
        case when not is_timesheets_unavailable then round(agency_spend_gbp_12m, 2) end as agency_spend_gbp_12m,
        case when is_timesheets_unavailable then 'x' end as agency_spend_gbp_12m_status,
        round(inpost_fte_years_12m, 2) as inpost_fte_years_12m,
        cast(null as varchar) as inpost_fte_years_12m_status,
        round(agency_fte_years_12m, 2) as agency_fte_years_12m,
        cast(null as varchar) as agency_fte_years_12m_status,
        case when not is_payroll_unavailable then round(la_cost_per_fte_year, 2) end as la_cost_per_fte_year_gbp_12m,
        case
            when is_payroll_unavailable then 'x'
            when la_cost_per_fte_year is null then 'z'
        end as la_cost_per_fte_year_gbp_12m_status,
        case when not is_timesheets_unavailable then round(agency_cost_per_fte_year, 2) end as agency_cost_per_fte_year_gbp_12m,
        case
            when is_timesheets_unavailable then 'x'
            when agency_cost_per_fte_year is null then 'z'
        end as agency_cost_per_fte_year_gbp_12m_status,
        case
            when not is_payroll_unavailable and not is_timesheets_unavailable
                then round(agency_cost_per_fte_year - la_cost_per_fte_year, 2)
        end as agency_premium_gbp_per_fte_12m,
        case
            when is_payroll_unavailable or is_timesheets_unavailable then 'x'
            when agency_cost_per_fte_year is null or la_cost_per_fte_year is null then 'z'
        end as agency_premium_gbp_per_fte_12m_status
    from parts
)

select * from final
order by month_end asc, breakdown_level = 'council' desc, service_area asc, breakdown_level = 'service_area' desc, team_code asc
