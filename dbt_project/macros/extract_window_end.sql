{#- Last extract date that can serve the reporting month (a DATE expression): the month end plus
    var('extract_window_days_after') days (WORKFORCE_EXTRACT_WINDOW_DAYS_AFTER). -#}
{% macro extract_window_end() -%}
    cast({{ reporting_month_end() }} + to_days(cast({{ var('extract_window_days_after') }} as integer)) as date)
{%- endmacro %}
