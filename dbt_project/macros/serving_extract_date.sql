{#- The extract date serving the reporting month in a relation with an extract-date column (a
    scalar subquery): the latest inside the month's window; in a backcast month (macro
    backcast()), when there is none, the earliest dated after the window. `where`: an optional
    further condition on the relation's rows (e.g. one export of the load manifest). -#}
{% macro serving_extract_date(relation, date_column, where=none) -%}
    {%- set also = (' and ' ~ where) if where else '' -%}
    {%- if backcast() -%}
    coalesce(
        (
            select max({{ date_column }}) from {{ relation }}
            where {{ date_column }} between {{ extract_window_start() }} and {{ extract_window_end() }}{{ also }}
        ),
        (select min({{ date_column }}) from {{ relation }} where {{ date_column }} > {{ extract_window_end() }}{{ also }})
    )
    {%- else -%}
    (
        select max({{ date_column }}) from {{ relation }}
        where {{ date_column }} between {{ extract_window_start() }} and {{ extract_window_end() }}{{ also }}
    )
    {%- endif -%}
{%- endmacro %}
