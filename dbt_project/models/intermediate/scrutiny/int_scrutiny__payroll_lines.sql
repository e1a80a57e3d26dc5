{#- One row per payroll line, with the person, team and service area of the spell the employee
    held at the end of the pay period (else their latest earlier spell, else their first).
    Negative amounts (corrections) are kept: they reduce the totals they fall in. Lines for an
    employee number with no HR spell keep team 'Unknown'. -#}
with lines as (
    select * from {{ ref('stg_payroll__lines') }}
),

spells as (
    select * from {{ ref('int_hr__spells') }}
),

line_spell as (
    select
        lines.source_file,
        lines.source_row_number,
        spells.person_key,
        spells.team_code,
        spells.service_area,
        row_number() over (
            partition by lines.source_file, lines.source_row_number
            order by
                {{ is_active_on('spells.spell_start_date', 'spells.effective_end_date', 'lines.pay_period_end_date') }} desc,
                spells.spell_start_date <= lines.pay_period_end_date desc,
                case when spells.spell_start_date <= lines.pay_period_end_date then spells.spell_start_date end desc,
                spells.spell_start_date asc,
                spells.fte desc,
                spells.spell_id asc
        ) as spell_rank
    from lines
    inner join spells on lines.employee_key = spells.employee_key
),

final as (
    select
        lines.pay_period_end_date,
        lines.employee_key,
        line_spell.person_key,
        coalesce(line_spell.team_code, 'Unknown') as team_code,
        coalesce(line_spell.service_area, 'Unknown') as service_area,
        lines.pay_element_code,
        lines.amount_gbp,
        lines.source_file,
        lines.source_row_number
    from lines
    left join line_spell
        on
            lines.source_file = line_spell.source_file
            and lines.source_row_number = line_spell.source_row_number
            and line_spell.spell_rank = 1
)

select * from final
