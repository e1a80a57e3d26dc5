{#- The reporting month end (a DATE expression). var('reporting_month') is YYYY-MM;
    unset, the month of the latest loaded extract is used. -#}
{% macro reporting_month_end() -%}
{%- set month = var('reporting_month', none) -%}
{%- if month -%}
{%- set parts = (month | string).split('-') -%}
        {%- if execute is sameas true and parts | length != 2 or parts[0] | length != 4 or not parts[0].isdigit()
              or parts[1] not in ['01', '02', '03', '04', '05', '06', '07', '08', '09', '10', '11', '12'] -%}
            {{ fail("var reporting_month must be YYYY-MM, got '" ~ month ~ "'") }}
        {%- endif -%}
        last_day(cast('{{ month }}-01' as date))
    {%- else -%}
(select last_day(max(extract_date)) from {{ source('raw', 'load_manifest') }})
{%- endif -%}
{%- endmacro %}
