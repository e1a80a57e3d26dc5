{#- One row per promotion: a spell whose career grade ranks above the grade of the same person's
    previous spell in the same period of continuous service (ASYE < SW < SSW < AP = IRO < TM < SM).
    promotion_date is the new spell's start; team and service area are the new spell's. -#}
with spells as (
    select * from {{ ref('int_hr__spells') }}
),

ranked as (
    select
        *,
        case career_grade
            when 'ASYE' then 1
            when 'SW' then 2
            when 'SSW' then 3
            when 'AP' then 4
            when 'IRO' then 4
            when 'TM' then 5
            when 'SM' then 6
        end as grade_rank
    from spells
),

sequenced as (
    select
        *,
        lag(grade_rank) over (
            partition by person_key, la_service_start_date order by spell_start_date, spell_id
        ) as previous_grade_rank,
        lag(career_grade) over (
            partition by person_key, la_service_start_date order by spell_start_date, spell_id
        ) as previous_career_grade
    from ranked
),

final as (
    select
        spell_id,
        person_key,
        spell_start_date as promotion_date,
        previous_career_grade,
        career_grade,
        team_code,
        service_area
    from sequenced
    where grade_rank > previous_grade_rank
)

select * from final
