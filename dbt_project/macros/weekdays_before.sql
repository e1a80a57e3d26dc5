{#- Weekdays (Monday to Friday) in [1970-01-05, x), counted from a Monday epoch: 5 per full
    week plus min(rest, 5). The building block of weekdays_between(). -#}
{% macro weekdays_before(x) -%}
    (5 * (date_diff('day', date '1970-01-05', {{ x }}) // 7)
        + least(date_diff('day', date '1970-01-05', {{ x }}) % 7, 5))
{%- endmacro %}
