{#- A published rate equals numerator / denominator * multiplier, from the published parts,
    within what rounding explains: 0.05 for the rate's own 1 dp, plus the effect of parts
    published to 2 dp (0.005 each). Fails with the rows that differ. -#}
{% test rate_matches_parts(model, column_name, numerator, denominator, multiplier=100) %}
    select *
    from {{ model }}
    where
        {{ column_name }} is not null
        and abs({{ column_name }} - {{ numerator }} / nullif({{ denominator }}, 0) * {{ multiplier }})
        > 0.0501 + {{ multiplier }} * 0.005 * (1 / {{ denominator }} + abs({{ numerator }}) / ({{ denominator }} * {{ denominator }}))
{% endtest %}
