{#- One row per (month_end, spell) for spells active at month_end: started on or before it and
    not ended on or before it (a leaver on month_end is not in post). -#}
with month_ends as (
    select * from {{ ref('int_calendar__month_ends') }}
),

spells as (
    select * from {{ ref('int_hr__spells') }}
),

final as (
    select
        month_ends.month_end,
        spells.spell_id,
        spells.person_key,
        spells.employee_key,
        spells.post_id,
        spells.team_code,
        spells.service_area,
        spells.career_grade,
        spells.org_role,
        spells.fte
    from month_ends
    inner join spells
        on {{ is_active_on('spells.spell_start_date', 'spells.effective_end_date', 'month_ends.month_end') }}
)

select * from final
