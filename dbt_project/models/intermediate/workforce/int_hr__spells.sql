{#- One row per HR employment spell, with its service area and effective end date. -#}
with workers as (
    select * from {{ ref('stg_hr__workers') }}
),

teams as (
    select * from {{ ref('stg_hr__teams') }}
),

final as (
    select
        workers.spell_id,
        workers.person_key,
        workers.employee_key,
        workers.post_id,
        workers.team_code,
        coalesce(teams.service_area, 'Unknown') as service_area,
        workers.org_role,
        workers.career_grade,
        workers.contract_type,
        workers.fte,
        workers.spell_start_date,
        workers.spell_end_date,
        workers.leaving_date,
        -- a leaving date ends the spell even where the HR system left spell_end_date open
        case
            when workers.spell_end_date is null then workers.leaving_date
            when workers.leaving_date is null then workers.spell_end_date
            else least(workers.spell_end_date, workers.leaving_date)
        end as effective_end_date,
        workers.la_service_start_date,
        workers.leaving_reason,
        workers.leaver_destination,
        workers.start_origin,
        workers.is_overseas_recruit,
        workers.source_file,
        workers.source_row_number
    from workers
    left join teams on workers.team_code = teams.team_code
)

select * from final
