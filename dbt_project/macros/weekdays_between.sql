{#- Number of Monday-to-Friday days in [start_date, end_date] (0 when end < start). -#}
{% macro weekdays_between(start_date, end_date) -%}
    greatest(0, {{ weekdays_before('(' ~ end_date ~ ' + 1)') }} - {{ weekdays_before(start_date) }})
{%- endmacro %}
