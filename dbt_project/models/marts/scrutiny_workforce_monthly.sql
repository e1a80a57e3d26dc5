{#- One row per (la_code, month_end, service_area), in the shape published to BI tools and the
    scrutiny pack. The columns, rates and their parts come from the catalogue
    (include/workforce/spec/catalogue.yml, through the generated macro catalogue()). Rates are
    computed from unrounded parts and rounded once, here, to 1 dp half away from zero (DuckDB
    round()); FTE and day counts to their catalogued decimals. Each indicator has a _status
    column: null when the value is published, 'z' for a zero denominator, 'x' when an optional
    export it needs is missing. (Small-number suppression, 'c', is applied at publication.) -#}
{%- set cat = catalogue('scrutiny_workforce_monthly') -%}
{%- set rate_names = cat['rates'] | map(attribute='name') | list -%}
{%- set rate_of_denominator = {} -%}
{%- for rate in cat['rates'] -%}
    {%- do rate_of_denominator.update({rate['denominator']: rate['name']}) -%}
{%- endfor -%}
{#- The fact table's flag for each optional export an indicator may need. -#}
{%- set export_flags = {'hr_absences': 'has_absence_export'} -%}
{%- set keys = ['la_code', 'month_end', 'service_area'] -%}

with facts as (
    select * from {{ ref('fct_workforce_monthly') }}
),

parts as (
    select
        *,
    {%- for rate in cat['rates'] %}
        {{ rate['denominator_sql'] }} as {{ rate['name'] }}__denominator,
        case
            when {{ rate['denominator_sql'] }} > 0
                then {{ rate['numerator'] }} / ({{ rate['denominator_sql'] }}) * {{ rate['multiplier'] }}
        end as {{ rate['name'] }}__value{{ ',' if not loop.last }}
    {%- endfor %}
    from facts
),

statused as (
    select
        *,
    {%- for name in cat['status_columns'] %}
        {%- set needs = cat['needs'].get(name, []) %}
        {%- if needs or name in rate_names %}
            case
                {%- for export in needs %}
                {%- if export not in export_flags %}
                        {{ fail("scrutiny_workforce_monthly: no availability flag for export " ~ export) }}
                    {%- endif %}
                    when not coalesce({{ export_flags[export] }}, false) then 'x'
                {%- endfor %}
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
    {%- for name in cat['columns'] if name not in keys and not (name.endswith('_status') and name[:-7] in cat['status_columns']) %}
        {%- if name in cat['status_columns'] %}
            case
                when {{ name }}_status is null
                    then
                        {%- if name in rate_names %} round({{ name }}__value, {{ cat['decimals'][name] }})
                {%- elif name in cat['counts'] %} cast({{ name }} as bigint)
                {%- else %} round({{ name }}, {{ cat['decimals'][name] }})
                {%- endif %}
            end as {{ name }},
            {{ name }}_status
        {%- elif name in rate_of_denominator and cat['types'][name] in ('bigint', 'integer') %}
            cast({{ rate_of_denominator[name] }}__denominator as bigint) as {{ name }}
        {%- elif name in rate_of_denominator %}
            round({{ rate_of_denominator[name] }}__denominator, {{ cat['decimals'][name] }}) as {{ name }}
        {%- elif name in cat['counts'] %}
            cast({{ name }} as bigint) as {{ name }}
        {%- else %}
                {{ fail("scrutiny_workforce_monthly: no rule to publish column " ~ name) }}
            {%- endif %}{{ ',' if not loop.last }}
    {%- endfor %}
    from statused
)

select * from final
order by month_end asc, service_area = 'All' desc, service_area
