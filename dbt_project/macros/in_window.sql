{#- Inside the rolling window (window_start, month_end]. -#}
{% macro in_window(date_col, window_start, month_end) -%}
    ({{ date_col }} > {{ window_start }} and {{ date_col }} <= {{ month_end }})
{%- endmacro %}
