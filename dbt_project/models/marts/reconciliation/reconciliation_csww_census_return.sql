{#- One row per (census_date, worker_type, person_key): for every 30 September in the history,
    the worker-level return in the shape of DfE's CSWW census (a row per LA-employed social worker
    in post, starting or leaving in the year, and per agency worker engaged on the day),
    recomputed straight from the staging data, without the pipeline's intermediate models, so it
    can check them. The census year is 1 October to 30 September. -#}
with census_dates as (
    select
        month_end as census_date,
        cast(month_end - interval 12 month as date) as year_start_exclusive
    from {{ ref('int_calendar__month_ends') }}
    where month(month_end) = 9
),

workers as (
    select
        *,
        case
            when spell_end_date is null then leaving_date
            when leaving_date is null then spell_end_date
            else least(spell_end_date, leaving_date)
        end as spell_last_date
    from {{ ref('stg_hr__workers') }}
),

agency as (
    select * from {{ ref('stg_agency__assignments') }}
),

in_post as (
    select
        census_dates.census_date,
        workers.person_key,
        sum(workers.fte) as fte_at_census
    from census_dates
    inner join workers
        on
            workers.spell_start_date <= census_dates.census_date
            and (workers.spell_last_date is null or workers.spell_last_date > census_dates.census_date)
    group by census_dates.census_date, workers.person_key
),

first_spell_flags as (
    select
        person_key,
        la_service_start_date,
        fte,
        spell_start_date = min(spell_start_date) over (partition by person_key, la_service_start_date) as is_first_spell
    from workers
),

service_periods as (
    -- the FTE a starter started on: every spell of the service period that began on its first day
    select
        person_key,
        la_service_start_date,
        sum(fte) filter (where is_first_spell) as starting_fte
    from first_spell_flags
    group by person_key, la_service_start_date
),

starts as (
    select
        census_dates.census_date,
        service_periods.person_key,
        arg_min(service_periods.starting_fte, service_periods.la_service_start_date) as starter_fte
    from census_dates
    inner join service_periods
        on
            service_periods.la_service_start_date > census_dates.year_start_exclusive
            and service_periods.la_service_start_date <= census_dates.census_date
    group by census_dates.census_date, service_periods.person_key
),

leaving_events as (
    select
        person_key,
        leaving_date,
        sum(fte) as leaving_fte
    from workers
    where leaving_date is not null
    group by person_key, leaving_date
),

leaves as (
    select
        census_dates.census_date,
        leaving_events.person_key,
        arg_max(leaving_events.leaving_fte, leaving_events.leaving_date) as leaver_fte
    from census_dates
    inner join leaving_events
        on
            leaving_events.leaving_date > census_dates.year_start_exclusive
            and leaving_events.leaving_date <= census_dates.census_date
    group by census_dates.census_date, leaving_events.person_key
),

la_people as (
    select
        census_date,
        person_key
    from in_post
    union
    select
        census_date,
        person_key
    from starts
    union
    select
        census_date,
        person_key
    from leaves
),

la_return as (
    select
        la_people.census_date,
        'LA employed' as worker_type,
        la_people.person_key,
        in_post.person_key is not null as is_in_post,
        coalesce(in_post.fte_at_census, 0) as fte_at_census,
        starts.person_key is not null as is_starter,
        coalesce(starts.starter_fte, 0) as starter_fte,
        leaves.person_key is not null as is_leaver,
        coalesce(leaves.leaver_fte, 0) as leaver_fte,
        cast(0 as double) as covering_vacancy_fte
    from la_people
    left join in_post using (census_date, person_key)
    left join starts using (census_date, person_key)
    left join leaves using (census_date, person_key)
),

agency_return as (
    select
        census_dates.census_date,
        'Agency' as worker_type,
        agency.person_key,
        true as is_in_post,
        sum(agency.fte) as fte_at_census,
        false as is_starter,
        cast(0 as double) as starter_fte,
        false as is_leaver,
        cast(0 as double) as leaver_fte,
        coalesce(sum(agency.fte) filter (where agency.is_covering_vacancy), 0) as covering_vacancy_fte
    from census_dates
    inner join agency
        on
            agency.start_date <= census_dates.census_date
            and (agency.end_date is null or agency.end_date > census_dates.census_date)
    group by census_dates.census_date, agency.person_key
),

final as (
    select * from la_return
    union all
    select * from agency_return
)

select * from final
