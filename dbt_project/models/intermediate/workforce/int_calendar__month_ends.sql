{#- One row per month_end from the start of the history to the reporting month end.
    window_start is exclusive: flows count dates in (window_start, month_end]. A history shorter
    than the 12 month-ends of a 12-month figure's window would average it over part of the window,
    so it is refused (as WORKFORCE_HISTORY_MONTHS is, in workforce.config). -#}
{%- if var('history_months') | int < 12 %}
    {{ fail("history_months is " ~ var('history_months') ~ ": a 12-month figure needs at least 12 month-ends") }}
{%- endif %}
with workers as (
    select * from {{ ref('stg_hr__workers') }}
),

bounds as (
    select
        {{ reporting_month_end() }} as last_month_end,
        min(spell_start_date) as first_spell_start_date
    from workers
),

spine as (
    select
        unnest(generate_series(
            date_trunc('month', greatest(
                coalesce(first_spell_start_date, last_month_end),
                date_trunc('month', last_month_end) - to_months({{ var('history_months') }} - 1)
            )),
            date_trunc('month', last_month_end),
            interval 1 month
        )) as month_start
    from bounds
),

final as (
    select
        cast(last_day(month_start) as date) as month_end,
        cast(last_day(month_start) - interval 12 month as date) as window_start,
        cast(last_day(month_start) - interval 12 month as date) + 1 as window_first_day
    from spine
)

select * from final
