{#- First extract date that can serve the reporting month (a DATE expression): the month end less
    var('extract_window_days_before') days (WORKFORCE_EXTRACT_WINDOW_DAYS_BEFORE). -#}
{% macro extract_window_start() -%}
    cast({{ reporting_month_end() }} - to_days(cast({{ var('extract_window_days_before') }} as integer)) as date)
{%- endmacro %}
