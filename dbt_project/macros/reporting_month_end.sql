{#- The reporting month end (a DATE expression). The month is YYYY-MM, from var('reporting_month')
    or, when that is unset, the environment variable WORKFORCE_DBT_REPORTING_MONTH (how the
    pipeline passes it: a changed var makes dbt re-parse the whole project, a changed environment
    variable only the files that read it). Neither set: the month of the latest loaded extract. -#}
{% macro reporting_month_end() -%}
{%- set month = var('reporting_month', none) or env_var('WORKFORCE_DBT_REPORTING_MONTH', '') -%}
{%- if month -%}
{%- set parts = (month | string).split('-') -%}
        {%- if execute is sameas true and parts | length != 2 or parts[0] | length != 4 or not parts[0].isdigit()
              or parts[1] not in ['01', '02', '03', '04', '05', '06', '07', '08', '09', '10', '11', '12'] -%}
            {{ fail("the reporting month (var reporting_month, or WORKFORCE_DBT_REPORTING_MONTH) must be YYYY-MM, got '" ~ month ~ "'") }}
        {%- endif -%}
        last_day(cast('{{ month }}-01' as date))
    {%- else -%}
(select last_day(max(extract_date)) from {{ source('raw', 'load_manifest') }})
{%- endif -%}
{%- endmacro %}
