{#- Number of Monday-to-Friday days in [start_date, end_date] (0 when end < start).
    f(x) = weekdays in [1970-01-05, x), a Monday epoch: 5 per full week plus min(rest, 5). -#}
{% macro weekdays_before(x) -%}
    (5 * (date_diff('day', date '1970-01-05', {{ x }}) // 7)
        + least(date_diff('day', date '1970-01-05', {{ x }}) % 7, 5))
{%- endmacro %}

{% macro weekdays_between(start_date, end_date) -%}
    greatest(0, {{ weekdays_before('(' ~ end_date ~ ' + 1)') }} - {{ weekdays_before(start_date) }})
{%- endmacro %}

{#- DfE "active on d": started on or before d and not ended on or before d. -#}
{% macro is_active_on(start_col, end_col, d) -%}
    ({{ start_col }} <= {{ d }} and ({{ end_col }} is null or {{ end_col }} > {{ d }}))
{%- endmacro %}

{#- Inside the rolling window (window_start, month_end]. -#}
{% macro in_window(date_col, window_start, month_end) -%}
    ({{ date_col }} > {{ window_start }} and {{ date_col }} <= {{ month_end }})
{%- endmacro %}
