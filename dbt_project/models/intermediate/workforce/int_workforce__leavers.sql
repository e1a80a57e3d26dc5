{#- One row per leaving event: a person and a leaving_date. The leaving FTE is that of the
    last spell(s): every spell of the person carrying that leaving date. -#}
with spells as (
    select * from {{ ref('int_hr__spells') }}
),

final as (
    select
        person_key,
        leaving_date,
        sum(fte) as leaving_fte,
        count(*) as leaving_spells,
        arg_min(team_code, spell_id) as team_code,
        arg_min(service_area, spell_id) as service_area,
        arg_min(leaving_reason, spell_id) as leaving_reason,
        arg_min(leaver_destination, spell_id) as leaver_destination,
        min(la_service_start_date) as la_service_start_date
    from spells
    where leaving_date is not null
    group by person_key, leaving_date
)

select * from final
