{#- One row per (month_end, sickness episode) overlapping the window (window_start, month_end],
    with the working days lost that fall inside it. LA-employed staff only. A closed episode
    contributes its recorded days in proportion to its weekdays inside the window; an ongoing
    one counts its weekdays from its start (or the window's first day) to month_end. -#}
with month_ends as (
    select * from {{ ref('int_calendar__month_ends') }}
),

absences as (
    select * from {{ ref('stg_hr__absences') }}
),

spells as (
    select * from {{ ref('int_hr__spells') }}
),

sickness as (
    select *
    from absences
    where
        absence_reason_code = 'SIC'
        and employee_key in (select employee_key from spells)
),

episode_spell as (
    -- the spell the employee held when the episode began (else their earliest spell)
    select
        sickness.absence_id,
        spells.team_code,
        spells.service_area,
        row_number() over (
            partition by sickness.absence_id
            order by
                (spells.spell_start_date > sickness.start_date),
                case when spells.spell_start_date <= sickness.start_date then spells.spell_start_date end desc,
                spells.spell_start_date,
                spells.spell_id asc
        ) as spell_rank
    from sickness
    inner join spells on sickness.employee_key = spells.employee_key
),

windowed as (
    select
        month_ends.month_end,
        month_ends.window_first_day,
        sickness.*
    from month_ends
    inner join sickness
        on
            sickness.start_date <= month_ends.month_end
            and (sickness.end_date is null or sickness.end_date >= month_ends.window_first_day)
),

final as (
    select
        windowed.month_end,
        windowed.absence_id,
        windowed.employee_key,
        episode_spell.team_code,
        episode_spell.service_area,
        windowed.end_date is null as is_ongoing,
        case
            when windowed.end_date is null
                then {{ weekdays_between('greatest(windowed.start_date, windowed.window_first_day)', 'windowed.month_end') }}
            when {{ weekdays_between('windowed.start_date', 'windowed.end_date') }} = 0
                then case when windowed.start_date >= windowed.window_first_day then windowed.working_days_lost else 0 end
            else
                windowed.working_days_lost
                * {{ weekdays_between('greatest(windowed.start_date, windowed.window_first_day)', 'least(windowed.end_date, windowed.month_end)') }}
                / {{ weekdays_between('windowed.start_date', 'windowed.end_date') }}
        end as working_days_lost_in_window
    from windowed
    left join episode_spell
        on windowed.absence_id = episode_spell.absence_id and episode_spell.spell_rank = 1
)

select * from final
