{#- One row per start event: a person and an la_service_start_date. Internal moves keep the
    service start date, so they add spells but no start event. The starting FTE is that of the
    first spell(s): every spell of the service period that began on its first spell date. -#}
with spells as (
    select * from {{ ref('int_hr__spells') }}
),

service_periods as (
    select
        person_key,
        la_service_start_date,
        min(spell_start_date) as first_spell_start_date
    from spells
    group by person_key, la_service_start_date
),

first_spells as (
    select spells.*
    from spells
    inner join service_periods
        on
            spells.person_key = service_periods.person_key
            and spells.la_service_start_date = service_periods.la_service_start_date
            and spells.spell_start_date = service_periods.first_spell_start_date
),

final as (
    select
        person_key,
        la_service_start_date,
        sum(fte) as starting_fte,
        count(*) as starting_spells,
        arg_min(team_code, spell_id) as team_code,
        arg_min(service_area, spell_id) as service_area,
        bool_or(is_overseas_recruit) as is_overseas_recruit
    from first_spells
    group by person_key, la_service_start_date
)

select * from final
