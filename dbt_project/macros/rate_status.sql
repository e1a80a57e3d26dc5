{#- The status beside a rate: 'x' when an optional export it needs is missing, 'z' when the
    denominator is zero, NULL when published. -#}
{% macro rate_status(denominator, unavailable=none) -%}
    case
    {%- if unavailable %}
            when {{ unavailable }} then 'x'
    {%- endif %}
        when coalesce({{ denominator }}, 0) <= 0 then 'z'
    end
{%- endmacro %}
