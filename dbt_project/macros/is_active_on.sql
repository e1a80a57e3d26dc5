{#- DfE "active on d": started on or before d and not ended on or before d. -#}
{% macro is_active_on(start_col, end_col, d) -%}
    ({{ start_col }} <= {{ d }} and ({{ end_col }} is null or {{ end_col }} > {{ d }}))
{%- endmacro %}
