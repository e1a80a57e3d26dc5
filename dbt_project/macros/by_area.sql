{#- Aggregate a per-month fact at LA level (service_area = 'All') and per service area in one
    pass; count(distinct ...) stays correct at both levels. -#}
{% macro by_area(select_list, relation, where=none) -%}
    select
        month_end,
        case when grouping(service_area) = 1 then 'All' else service_area end as service_area,
        {{ select_list }}
    from {{ relation }}
    {% if where %}where {{ where }}{% endif %}
    group by grouping sets ((month_end), (month_end, service_area))
{%- endmacro %}
