{#- One row per (month_end, establishment post) funded at month_end: budgeted FTE, the FTE of
    LA-employed spells in post in it, and the vacant FTE max(0, budgeted - filled). Posts covered
    by agency workers are still vacant. -#}
with month_ends as (
    select * from {{ ref('int_calendar__month_ends') }}
),

establishment as (
    select * from {{ ref('stg_hr__establishment') }}
),

in_post as (
    select * from {{ ref('int_workforce__in_post_monthly') }}
),

teams as (
    select * from {{ ref('stg_hr__teams') }}
),

funded_posts as (
    select
        month_ends.month_end,
        establishment.post_id,
        sum(establishment.budgeted_fte) as budgeted_fte,
        arg_max(establishment.team_code, establishment.effective_from) as team_code
    from month_ends
    inner join establishment
        on {{ is_active_on('establishment.effective_from', 'establishment.effective_to', 'month_ends.month_end') }}
    group by month_ends.month_end, establishment.post_id
),

filled as (
    select
        month_end,
        post_id,
        sum(fte) as filled_fte
    from in_post
    where post_id is not null
    group by month_end, post_id
),

final as (
    select
        funded_posts.month_end,
        funded_posts.post_id,
        funded_posts.team_code,
        coalesce(teams.service_area, 'Unknown') as service_area,
        funded_posts.budgeted_fte,
        coalesce(filled.filled_fte, 0) as filled_fte,
        greatest(0, funded_posts.budgeted_fte - coalesce(filled.filled_fte, 0)) as vacancy_fte
    from funded_posts
    left join filled
        on funded_posts.month_end = filled.month_end and funded_posts.post_id = filled.post_id
    left join teams on funded_posts.team_code = teams.team_code
)

select * from final
