{#- Whether the reporting month is a backcast (a trend month before the council's first extract,
    docs/decisions/0012-history-for-trends.md): var('backcast') or, when that is unset, the
    environment variable WORKFORCE_DBT_BACKCAST ('true'), as the pipeline passes it. The same rule
    as include/workforce/ingest/readiness.py (assess_history). -#}
{% macro backcast() -%}
    {%- set flag = var('backcast', none) -%}
    {%- if flag is none -%}
        {%- set flag = env_var('WORKFORCE_DBT_BACKCAST', '') -%}
    {%- endif -%}
    {{- return((flag | string | lower) in ['true', '1', 'yes']) -}}
{%- endmacro %}
