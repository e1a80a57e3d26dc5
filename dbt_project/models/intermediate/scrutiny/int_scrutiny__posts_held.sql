{#- One row per HR spell, with post_held_since: the first day of the person's unbroken run of
    spells in the same establishment post (a new spell in the same post the day after the last,
    e.g. a change of hours or grade, keeps the run going). A spell with no post is a run of its
    own. The retention-payment rule counts months in the same post from this date. -#}
with spells as (
    select * from {{ ref('int_hr__spells') }}
),

ordered as (
    select
        *,
        coalesce(post_id, 'spell:' || spell_id) as post_or_spell,
        lag(coalesce(post_id, 'spell:' || spell_id)) over (
            partition by person_key order by spell_start_date, spell_id
        ) as previous_post_or_spell,
        lag(effective_end_date) over (
            partition by person_key order by spell_start_date, spell_id
        ) as previous_end_date
    from spells
),

runs as (
    select
        *,
        sum(
            case
                when
                    post_or_spell = previous_post_or_spell
                    and previous_end_date is not null
                    and spell_start_date <= previous_end_date + 1
                    then 0
                else 1
            end
        ) over (partition by person_key order by spell_start_date, spell_id rows unbounded preceding) as run_number
    from ordered
),

final as (
    select
        spell_id,
        person_key,
        post_id,
        career_grade,
        spell_start_date,
        effective_end_date,
        min(spell_start_date) over (partition by person_key, run_number) as post_held_since
    from runs
)

select * from final
