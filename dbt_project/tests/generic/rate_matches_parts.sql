{#- A published rate equals round(numerator / denominator * multiplier, 1), computed from the
    unrounded parts in the source model; fails with the rows that differ. -#}
{% test rate_matches_parts(model, column_name, numerator, denominator, multiplier=100) %}
    select *
    from {{ model }}
    where
        {{ column_name }} is not null
        and abs({{ column_name }} - round({{ numerator }} / nullif({{ denominator }}, 0) * {{ multiplier }}, 1)) > 0.1
{% endtest %}
