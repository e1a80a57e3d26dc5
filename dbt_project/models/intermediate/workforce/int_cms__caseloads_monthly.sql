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

-- Children as small whole numbers: the allocations open at each month end are many (a child is
-- open at every month end of every allocation), and distinct 64-character keys in their
-- millions do not fit a council's memory; whole numbers do, and count the same.
child_numbers as (
    select
        child_key,
        row_number() over (order by child_key) as child_number
    from (select distinct child_key from involvements) as children
),

open_allocations as (
    select distinct
        month_ends.month_end,
        involvements.professional_key,
        child_numbers.child_number
    from month_ends
    inner join involvements
        on {{ is_active_on('involvements.involvement_start_date', 'involvements.involvement_end_date', 'month_ends.month_end') }}
    inner join child_numbers on involvements.child_key = child_numbers.child_key
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

-- Who holds each professional's cases at each month end, decided once per (month end,
-- professional) rather than once per allocation.
professional_months as (
    select distinct
        month_end,
        professional_key
    from open_allocations
),

professional_holders as (
    select
        professional_months.month_end,
        professional_months.professional_key,
        coalesce(by_registration.person_key, by_employee_number.person_key) as person_key
    from professional_months
    left join professionals
        on professional_months.professional_key = professionals.professional_key
    left join people_at_month_end as by_registration
        on
            professional_months.month_end = by_registration.month_end
            and professionals.person_key = by_registration.person_key
    left join employee_numbers_at_month_end as by_employee_number
        on
            professional_months.month_end = by_employee_number.month_end
            and professionals.person_key is null
            and professionals.employee_key = by_employee_number.employee_key
),

-- Each child once per holder: a person with two CMS professional records who holds one child
-- under both has that child once.
matched_cases as (
    select
        month_end,
        person_key,
        count(*) as cases
    from (
        select distinct
            open_allocations.month_end,
            professional_holders.person_key,
            open_allocations.child_number
        from open_allocations
        inner join professional_holders
            on
                open_allocations.month_end = professional_holders.month_end
                and open_allocations.professional_key = professional_holders.professional_key
        where professional_holders.person_key is not null
    ) as held
    group by month_end, person_key
),

matched_holders as (
    select
        matched_cases.month_end,
        matched_cases.person_key as holder_key,
        true as is_matched,
        matched_cases.cases,
        people.fte,
        people.team_code,
        people.service_area
    from matched_cases
    inner join people_at_month_end as people
        on matched_cases.month_end = people.month_end and matched_cases.person_key = people.person_key
),

unmatched_holders as (
    select
        open_allocations.month_end,
        open_allocations.professional_key as holder_key,
        false as is_matched,
        count(*) as cases,
        cast(null as double) as fte,
        cast(null as varchar) as team_code,
        'Unknown' as service_area
    from open_allocations
    inner join professional_holders
        on
            open_allocations.month_end = professional_holders.month_end
            and open_allocations.professional_key = professional_holders.professional_key
    where professional_holders.person_key is null
    group by open_allocations.month_end, open_allocations.professional_key
),

final as (
    select * from matched_holders
    union all
    select * from unmatched_holders
)

select * from final
