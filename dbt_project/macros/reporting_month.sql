{#- The reporting month end (a DATE expression). var('reporting_month') is YYYY-MM;
    unset, the month of the latest loaded extract is used. -#}
{% macro reporting_month_end() -%}
    {%- set month = var('reporting_month', none) -%}
    {%- if month -%}
        {%- if not modules.re.match('^[0-9]{4}-(0[1-9]|1[0-2])$', month | string) -%}
            {{ exceptions.raise_compiler_error("var reporting_month must be YYYY-MM, got '" ~ month ~ "'") }}
        {%- endif -%}
        last_day(cast('{{ month }}-01' as date))
    {%- else -%}
        (select last_day(max(extract_date)) from {{ source('raw', 'load_manifest') }})
    {%- endif -%}
{%- endmacro %}

{#- Rows of the latest extract of a snapshot export dated on or before the reporting month end:
    the contract's rule for which extract serves a month. -#}
{% macro latest_extract(relation) -%}
    select *
    from {{ relation }}
    where _extract_date = (
        select max(_extract_date)
        from {{ relation }}
        where _extract_date <= {{ reporting_month_end() }}
    )
{%- endmacro %}
