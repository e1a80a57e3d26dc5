{#- One row per (la_code, month_end, service_area, team_code): the spread of caseloads on the
    month end against the caseload target (var caseload_target, cases per FTE). A case holder's
    caseload is their cases per FTE; they are over target when cases > target x FTE. Bands:
    up to 80% of target, over 80% to 100%, over 100% to 120%, over 120%. Only case holders who
    match an HR or agency record count (as in caseload_fte). -#}
{%- set target = var('caseload_target') %}
with breakdowns as (
    select * from {{ ref('int_scrutiny__breakdowns') }}
),

holders as (
    select
        *,
        cases / fte as caseload
    from {{ ref('int_cms__caseloads_monthly') }}
    where is_matched and fte > 0
),

caseloads as (
    {{ by_area_and_team(
        'count(distinct holder_key) as case_holders_headcount,
         sum(fte) as case_holders_fte,
         sum(cases) as cases,
         max(caseload) as caseload_max,
         quantile_cont(caseload, 0.9) as caseload_p90,
         count(*) filter (where cases > ' ~ target ~ ' * fte) as case_holders_over_target,
         count(*) filter (where cases <= 0.8 * ' ~ target ~ ' * fte) as case_holders_up_to_80pct_of_target,
         count(*) filter (where cases > 0.8 * ' ~ target ~ ' * fte and cases <= ' ~ target ~ ' * fte)
             as case_holders_80_to_100pct_of_target,
         count(*) filter (where cases > ' ~ target ~ ' * fte and cases <= 1.2 * ' ~ target ~ ' * fte)
             as case_holders_100_to_120pct_of_target,
         count(*) filter (where cases > 1.2 * ' ~ target ~ ' * fte) as case_holders_over_120pct_of_target',
        'holders') }}
),

joined as (
    select
        breakdowns.*,
        coalesce(caseloads.case_holders_headcount, 0) as case_holders_headcount,
        coalesce(caseloads.case_holders_fte, 0) as case_holders_fte,
        coalesce(caseloads.cases, 0) as cases,
        caseloads.caseload_max,
        caseloads.caseload_p90,
        coalesce(caseloads.case_holders_over_target, 0) as case_holders_over_target,
        coalesce(caseloads.case_holders_up_to_80pct_of_target, 0) as case_holders_up_to_80pct_of_target,
        coalesce(caseloads.case_holders_80_to_100pct_of_target, 0) as case_holders_80_to_100pct_of_target,
        coalesce(caseloads.case_holders_100_to_120pct_of_target, 0) as case_holders_100_to_120pct_of_target,
        coalesce(caseloads.case_holders_over_120pct_of_target, 0) as case_holders_over_120pct_of_target
    from breakdowns
    left join caseloads
        on
            breakdowns.month_end = caseloads.month_end
            and breakdowns.service_area = caseloads.service_area
            and breakdowns.team_code = caseloads.team_code
),

final as (
    select
        cast('{{ var("la_code") }}' as varchar) as la_code,
        month_end,
        breakdown_level,
        service_area,
        team_code,
        team_name,
        cast({{ target }} as double) as caseload_target,
        cast(case_holders_headcount as bigint) as case_holders_headcount,
        cast(null as varchar) as case_holders_headcount_status,
        round(case_holders_fte, 2) as case_holders_fte,
        cast(null as varchar) as case_holders_fte_status,
        cast(cases as bigint) as cases,
        cast(null as varchar) as cases_status,
        {{ published_rate('cases', 'case_holders_fte', 1) }} as caseload_fte,
        {{ rate_status('case_holders_fte') }} as caseload_fte_status,
        round(caseload_max, 1) as caseload_max,
        {{ rate_status('case_holders_headcount') }} as caseload_max_status,
        round(caseload_p90, 1) as caseload_p90,
        {{ rate_status('case_holders_headcount') }} as caseload_p90_status,
        cast(case_holders_over_target as bigint) as case_holders_over_target,
        cast(null as varchar) as case_holders_over_target_status,
        {{ published_rate('case_holders_over_target', 'case_holders_headcount') }} as pct_case_holders_over_target,
        {{ rate_status('case_holders_headcount') }} as pct_case_holders_over_target_status,
        cast(case_holders_up_to_80pct_of_target as bigint) as case_holders_up_to_80pct_of_target,
        cast(null as varchar) as case_holders_up_to_80pct_of_target_status,
        cast(case_holders_80_to_100pct_of_target as bigint) as case_holders_80_to_100pct_of_target,
        cast(null as varchar) as case_holders_80_to_100pct_of_target_status,
        cast(case_holders_100_to_120pct_of_target as bigint) as case_holders_100_to_120pct_of_target,
        cast(null as varchar) as case_holders_100_to_120pct_of_target_status,
        cast(case_holders_over_120pct_of_target as bigint) as case_holders_over_120pct_of_target,
        cast(null as varchar) as case_holders_over_120pct_of_target_status
    from joined
)

select * from final
order by month_end asc, breakdown_level = 'council' desc, service_area asc, breakdown_level = 'service_area' desc, team_code asc
