{#- Aggregate a per-month fact at LA level (service_area = 'All', team_code = 'All'), per
    service area (team_code = 'All') and per team in one pass; count(distinct ...) stays correct
    at every level. The relation needs month_end, service_area and team_code (never null); keys are
    further columns grouped at every level. -#}
{% macro by_area_and_team(select_list, relation, where=none, keys=[]) -%}
    {%- set extra = (', ' ~ keys | join(', ')) if keys else '' %}
    select
        month_end,{% for key in keys %}
    {{ key }},{% endfor %}
        case when grouping(service_area) = 1 then 'All' else service_area end as service_area,
        case when grouping(team_code) = 1 then 'All' else team_code end as team_code,
        {{ select_list }}
    from {{ relation }}
    {% if where %}where {{ where }}{% endif %}
    group by grouping sets (
        (month_end{{ extra }}), (month_end, service_area{{ extra }}), (month_end, service_area, team_code{{ extra }})
    )
{%- endmacro %}
