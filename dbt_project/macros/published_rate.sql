{#- A published rate: rounded once to 1 dp, NULL with its status set otherwise. -#}
{% macro published_rate(numerator, denominator, multiplier=100, unavailable=none) -%}
    case
    {%- if unavailable %}
            when {{ unavailable }} then null
    {%- endif %}
        when {{ denominator }} > 0 then round({{ numerator }} / ({{ denominator }}) * {{ multiplier }}, 1)
    end
{%- endmacro %}
