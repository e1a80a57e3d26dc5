{#- One row per (month_end, person) who started in the cohort window, the 12 months ending
    12 months before month_end: (month_end - 24 months, month_end - 12 months]. is_retained_12m:
    in post (an active spell) on the day 12 months after their start. A person who started twice
    in the cohort window is counted once, from their first start. -#}
with month_ends as (
    select * from {{ ref('int_calendar__month_ends') }}
),

starters as (
    select * from {{ ref('int_workforce__starters') }}
),

spells as (
    select * from {{ ref('int_hr__spells') }}
),

cohorts as (
    select
        month_ends.month_end,
        starters.person_key,
        starters.la_service_start_date,
        cast(starters.la_service_start_date + interval 12 month as date) as retention_check_date,
        coalesce(starters.team_code, 'Unknown') as team_code,
        coalesce(starters.service_area, 'Unknown') as service_area,
        coalesce(starters.is_overseas_recruit, false) as is_overseas_recruit
    from month_ends
    inner join starters
        on {{ in_window('starters.la_service_start_date',
                        'cast(last_day(month_ends.window_start - interval 12 month) as date)',
                        'month_ends.window_start') }}
    qualify row_number() over (
        partition by month_ends.month_end, starters.person_key order by starters.la_service_start_date
    ) = 1
),

final as (
    select
        cohorts.*,
        exists(
            select 1
            from spells
            where
                spells.person_key = cohorts.person_key
                and {{ is_active_on('spells.spell_start_date', 'spells.effective_end_date', 'cohorts.retention_check_date') }}
        ) as is_retained_12m
    from cohorts
)

select * from final
