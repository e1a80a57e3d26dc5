{#- Rows of the extract of a snapshot export that serves the reporting month: the latest dated
    inside the month's window (docs/spec/export-contract.md, "Which extract serves a month";
    the same rule as include/workforce/ingest/readiness.py, from the same settings). In a
    backcast month (macro backcast()), an export with no extract in the window is served by its
    earliest extract dated after it. -#}
{% macro latest_extract(relation) -%}
    select *
    from {{ relation }}
    where _extract_date = {{ serving_extract_date(relation, '_extract_date') }}
{%- endmacro %}
