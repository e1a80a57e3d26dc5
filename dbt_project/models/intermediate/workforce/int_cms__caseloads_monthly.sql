{#- One row per (month_end, case holder): the children allocated to them at month_end.
    Matched holders (is_matched) are CMS professionals who are an LA-employed worker in post or
    an agency worker engaged at month_end, matched on the SWE registration number (or, when the
    CMS has none, on the HR employee number); holder_key is then the person key and fte their
    FTE at month_end. Unmatched holders keep the CMS professional key: their cases are reported
    as cases_unmatched, never in caseloads. cases = distinct children (three siblings = three). -#}
with month_ends as (
    select * from {{ ref('int_calendar__month_ends') }}
),

involvements as (
    select * from {{ ref('stg_cms__involvements') }}
    where professional_role in (
        {%- for role in var('allocated_case_worker_roles') %}
            '{{ role | upper | trim }}'{{ ',' if not loop.last }}
        {%- endfor %}
    )
),

professionals as (
    select * from {{ ref('stg_cms__professionals') }}
),

in_post as (
    select * from {{ ref('int_workforce__in_post_monthly') }}
),

agency as (
    select * from {{ ref('int_agency__assignments_monthly') }}
),

open_allocations as (
    select distinct
        month_ends.month_end,
        involvements.professional_key,
        involvements.child_key
    from month_ends
    inner join involvements
        on {{ is_active_on('involvements.involvement_start_date', 'involvements.involvement_end_date', 'month_ends.month_end') }}
),

workers_at_month_end as (
    select
        month_end,
        person_key,
        fte,
        team_code,
        service_area,
        0 as source_rank
    from in_post
    union all
    select
        month_end,
        person_key,
        fte,
        team_code,
        service_area,
        1 as source_rank
    from agency
),

ranked_posts as (
    select
        *,
        row_number() over (
            partition by month_end, person_key order by source_rank asc, fte desc, team_code asc
        ) as post_rank
    from workers_at_month_end
),

people_at_month_end as (
    select
        month_end,
        person_key,
        sum(fte) as fte,
        max(case when post_rank = 1 then team_code end) as team_code,
        max(case when post_rank = 1 then service_area end) as service_area
    from ranked_posts
    group by month_end, person_key
),

employee_numbers_at_month_end as (
    select distinct
        month_end,
        employee_key,
        person_key
    from in_post
),

allocations_matched as (
    select
        open_allocations.month_end,
        open_allocations.professional_key,
        open_allocations.child_key,
        coalesce(by_registration.person_key, by_employee_number.person_key) as person_key
    from open_allocations
    left join professionals
        on open_allocations.professional_key = professionals.professional_key
    left join people_at_month_end as by_registration
        on
            open_allocations.month_end = by_registration.month_end
            and professionals.person_key = by_registration.person_key
    left join employee_numbers_at_month_end as by_employee_number
        on
            open_allocations.month_end = by_employee_number.month_end
            and professionals.person_key is null
            and professionals.employee_key = by_employee_number.employee_key
),

matched_holders as (
    select
        allocations_matched.month_end,
        allocations_matched.person_key as holder_key,
        true as is_matched,
        count(distinct allocations_matched.child_key) as cases,
        any_value(people.fte) as fte,
        any_value(people.team_code) as team_code,
        any_value(people.service_area) as service_area
    from allocations_matched
    inner join people_at_month_end as people
        on allocations_matched.month_end = people.month_end and allocations_matched.person_key = people.person_key
    group by allocations_matched.month_end, allocations_matched.person_key
),

unmatched_holders as (
    select
        month_end,
        professional_key as holder_key,
        false as is_matched,
        count(distinct child_key) as cases,
        cast(null as double) as fte,
        cast(null as varchar) as team_code,
        'Unknown' as service_area
    from allocations_matched
    where person_key is null
    group by month_end, professional_key
),

final as (
    select * from matched_holders
    union all
    select * from unmatched_holders
)

select * from final
