{#- One row per (month_end, spell) in post at month_end, with what the retention questions need:
    grade flags, the overseas-recruit flag and retention-payment eligibility (SW or SSW grade, in
    the same post for 24 months or more: post_held_since + 24 months on or before month_end). -#}
with in_post as (
    select * from {{ ref('int_workforce__in_post_monthly') }}
),

spells as (
    select * from {{ ref('int_hr__spells') }}
),

posts as (
    select * from {{ ref('int_scrutiny__posts_held') }}
),

final as (
    select
        in_post.month_end,
        in_post.spell_id,
        in_post.person_key,
        in_post.employee_key,
        in_post.team_code,
        in_post.service_area,
        in_post.career_grade,
        in_post.fte,
        spells.is_overseas_recruit,
        posts.post_held_since,
        in_post.career_grade = 'ASYE' as is_asye,
        in_post.career_grade = 'AP' as is_advanced_practitioner,
        in_post.career_grade in ('SW', 'SSW')
        and cast(posts.post_held_since + interval 24 month as date) <= in_post.month_end as is_retention_eligible
    from in_post
    inner join spells on in_post.spell_id = spells.spell_id
    inner join posts on in_post.spell_id = posts.spell_id
)

select * from final
