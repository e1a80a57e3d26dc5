{#- True when an extract of the export was loaded up to the reporting month end (reads the
    `availability` import CTE over int_exports__availability); false when it never was. -#}
{% macro export_available(export_name, relation='availability') -%}
    coalesce((
        select bool_and(is_available) from {{ relation }}
        where export_name = '{{ export_name }}'
    ), false)
{%- endmacro %}
