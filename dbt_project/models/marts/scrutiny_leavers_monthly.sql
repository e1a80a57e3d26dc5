{#- One row per (la_code, month_end, service_area, team_code, breakdown, category): why people
    left in the 12 months to month_end and how long they had stayed. breakdown is 'all' (every
    leaver), 'leaving_reason' (CSWW ReasonLeave), 'leaver_destination' (CSWW LeaverDestination),
    'length_of_service' (bands of continuous service at leaving) or 'exit_interview_reason'
    (leavers whose exit interview gives the reason, as main or other reason). Every category is
    listed, with 0 where nobody fell in it. The share is of all leavers, or for exit-interview
    reasons of leavers interviewed ('x' when the exit-interview export is missing). -#}
with breakdowns as (
    select * from {{ ref('int_scrutiny__breakdowns') }}
),

categories as (
    select * from {{ ref('scrutiny_leaver_categories') }}
),

availability as (
    select * from {{ ref('int_exports__availability') }}
),

leavers as (
    select * from {{ ref('int_scrutiny__leavers_monthly') }}
),

exports as (
    select
        {{ export_available('hr_exit_interviews') }}
            as has_exit_interview_export
),

leaver_categories as (
    select
        month_end,
        service_area,
        team_code,
        person_key,
        leaving_fte,
        'all' as breakdown,
        'All' as category
    from leavers
    union all
    select
        month_end,
        service_area,
        team_code,
        person_key,
        leaving_fte,
        'leaving_reason' as breakdown,
        coalesce(cast(leaving_reason as varchar), 'Not recorded') as category
    from leavers
    union all
    select
        month_end,
        service_area,
        team_code,
        person_key,
        leaving_fte,
        'leaver_destination' as breakdown,
        coalesce(cast(leaver_destination as varchar), 'Not recorded') as category
    from leavers
    union all
    select
        month_end,
        service_area,
        team_code,
        person_key,
        leaving_fte,
        'length_of_service' as breakdown,
        length_of_service_band as category
    from leavers
    union all
    select distinct
        month_end,
        service_area,
        team_code,
        person_key,
        leaving_fte,
        'exit_interview_reason' as breakdown,
        unnest(string_split(replace(exit_reason_codes, ' ', ''), ';')) as category
    from leavers
    where has_exit_interview
),

counts as (
    {{ by_area_and_team(
        'count(distinct person_key) as leavers_headcount, sum(leaving_fte) as leavers_fte',
        "(select * from leaver_categories where category <> '')",
        keys=['breakdown', 'category']) }}
),

denominators as (
    {{ by_area_and_team(
        'count(distinct person_key) as all_leavers_headcount,
         count(distinct person_key) filter (where has_exit_interview) as interviewed_leavers_headcount',
        'leavers') }}
),

joined as (
    select
        breakdowns.*,
        categories.breakdown,
        categories.category,
        categories.category_label,
        categories.sort_order,
        categories.breakdown = 'exit_interview_reason' and not exports.has_exit_interview_export as is_unavailable,
        coalesce(counts.leavers_headcount, 0) as leavers_headcount,
        coalesce(counts.leavers_fte, 0) as leavers_fte,
        case
            when categories.breakdown = 'exit_interview_reason' then coalesce(denominators.interviewed_leavers_headcount, 0)
            else coalesce(denominators.all_leavers_headcount, 0)
        end as pct_of_leavers_denominator
    from breakdowns
    cross join categories
    cross join exports
    left join counts
        on
            breakdowns.month_end = counts.month_end
            and breakdowns.service_area = counts.service_area
            and breakdowns.team_code = counts.team_code
            and categories.breakdown = counts.breakdown
            and categories.category = counts.category
    left join denominators
        on
            breakdowns.month_end = denominators.month_end
            and breakdowns.service_area = denominators.service_area
            and breakdowns.team_code = denominators.team_code
),

final as (
    select
        cast('{{ var("la_code") }}' as varchar) as la_code,
        month_end,
        breakdown_level,
        service_area,
        team_code,
        team_name,
        breakdown,
        category,
        category_label,
        case when not is_unavailable then cast(leavers_headcount as bigint) end as leavers_headcount,
        case when is_unavailable then 'x' end as leavers_headcount_status,
        case when not is_unavailable then round(leavers_fte, 2) end as leavers_fte,
        case when is_unavailable then 'x' end as leavers_fte_status,
        {{ published_rate('leavers_headcount', 'pct_of_leavers_denominator', unavailable='is_unavailable') }} as pct_of_leavers,
        {{ rate_status('pct_of_leavers_denominator', unavailable='is_unavailable') }} as pct_of_leavers_status,
        case when not is_unavailable then cast(pct_of_leavers_denominator as bigint) end as pct_of_leavers_denominator,
        case when is_unavailable then 'x' end as pct_of_leavers_denominator_status,
        sort_order as category_order
    from joined
)

select * from final
order by
    month_end asc, breakdown_level = 'council' desc, service_area asc, breakdown_level = 'service_area' desc,
    team_code asc, breakdown asc, category_order asc
