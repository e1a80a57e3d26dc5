{#- One row per (la_code, month_end, service_area), in the shape published to BI tools and the
    scrutiny pack. Rates are computed from unrounded parts and rounded once, here, to 1 dp half
    away from zero (DuckDB round()); FTE and day counts to 2 dp. Each indicator has a _status
    column: null when the value is published, 'z' for a zero denominator, 'x' when an optional
    export it needs is missing. (Small-number suppression, 'c', is applied at publication.) -#}
{%- set rates = [
    ('turnover_rate_fte', 'leavers_fte', 'inpost_fte', 100),
    ('turnover_rate_headcount', 'leavers_headcount', 'inpost_headcount', 100),
    ('agency_rate_fte', 'agency_fte', 'agency_fte + inpost_fte', 100),
    ('agency_rate_headcount', 'agency_headcount', 'agency_headcount + inpost_headcount', 100),
    ('agency_cover_rate_fte', 'agency_cover_fte', 'agency_fte', 100),
    ('vacancy_rate_fte', 'vacancy_fte', 'vacancy_fte + inpost_fte', 100),
    ('vacancy_agency_cover_rate_fte', 'agency_cover_fte', 'vacancy_fte', 100),
    ('caseload_fte', 'cases', 'case_holders_fte', 1),
    ('absence_rate_fte', 'working_days_lost_fte', 'inpost_fte * ' ~ var('working_days_per_year'), 100),
] -%}
{%- set rate_names = rates | map(attribute=0) | list -%}
{%- set fte_values = ['inpost_fte', 'starters_fte', 'leavers_fte', 'agency_fte', 'agency_cover_fte',
                      'vacancy_fte', 'case_holders_fte', 'working_days_lost_fte'] -%}
{%- set counts = ['inpost_headcount', 'starters_headcount', 'leavers_headcount', 'agency_headcount', 'cases'] -%}
{%- set needs_absences = ['working_days_lost_fte', 'absence_rate_fte'] -%}
{%- set indicators = ['inpost_fte', 'inpost_headcount', 'starters_fte', 'starters_headcount',
    'leavers_fte', 'leavers_headcount', 'turnover_rate_fte', 'turnover_rate_headcount',
    'agency_fte', 'agency_headcount', 'agency_rate_fte', 'agency_rate_headcount',
    'agency_cover_fte', 'agency_cover_rate_fte', 'vacancy_fte', 'vacancy_rate_fte',
    'vacancy_agency_cover_rate_fte', 'case_holders_fte', 'cases', 'caseload_fte',
    'working_days_lost_fte', 'absence_rate_fte'] -%}

with facts as (
    select * from {{ ref('fct_workforce_monthly') }}
),

parts as (
    select
        *,
    {%- for name, numerator, denominator, multiplier in rates %}
        {{ denominator }} as {{ name }}__denominator,
        case
            when {{ denominator }} > 0 then {{ numerator }} / ({{ denominator }}) * {{ multiplier }}
        end as {{ name }}__value{{ ',' if not loop.last }}
    {%- endfor %}
    from facts
),

statused as (
    select
        *,
    {%- for name in indicators %}
        {%- if name in needs_absences or name in rate_names %}
            case
                {%- if name in needs_absences %}
                    when not coalesce(has_absence_export, false) then 'x'
                {%- endif %}
                {%- if name in rate_names %}
                    when {{ name }}__value is null then 'z'
                {%- endif %}
            end
        {%- else %}
            cast(null as varchar)
        {%- endif %} as {{ name }}_status{{ ',' if not loop.last }}
    {%- endfor %}
    from parts
),

final as (
    select
        cast('{{ var("la_code") }}' as varchar) as la_code,
        month_end,
        service_area,
        {%- for name in indicators %}
            case
                when {{ name }}_status is null
                    then
                        {%- if name in rate_names %} round({{ name }}__value, 1)
                {%- elif name in counts %} cast({{ name }} as bigint)
                {%- else %} round({{ name }}, 2)
                {%- endif %}
            end as {{ name }},
            {{ name }}_status,
        {%- endfor %}
        round(agency_rate_fte__denominator, 2) as agency_rate_fte_denominator,
        cast(agency_rate_headcount__denominator as bigint) as agency_rate_headcount_denominator,
        round(vacancy_rate_fte__denominator, 2) as vacancy_rate_fte_denominator,
        round(absence_rate_fte__denominator, 2) as absence_rate_fte_denominator,
        cast(cases_unmatched as bigint) as cases_unmatched
    from statused
)

select * from final
order by month_end asc, service_area = 'All' desc, service_area
