{#- Rows of the extract of a snapshot export that serves the reporting month: the latest dated
    inside the month's window (docs/spec/export-contract.md, "Which extract serves a month";
    the same rule as include/workforce/ingest/readiness.py, from the same settings). -#}
{% macro latest_extract(relation) -%}
    select *
    from {{ relation }}
    where _extract_date = (
        select max(_extract_date)
        from {{ relation }}
        where _extract_date between {{ extract_window_start() }} and {{ extract_window_end() }}
    )
{%- endmacro %}
