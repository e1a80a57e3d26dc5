{#- Rows of the latest extract of a snapshot export dated on or before the reporting month end:
    the contract's rule for which extract serves a month. -#}
{% macro latest_extract(relation) -%}
    select *
    from {{ relation }}
    where _extract_date = (
        select max(_extract_date)
        from {{ relation }}
        where _extract_date <= {{ reporting_month_end() }}
    )
{%- endmacro %}
