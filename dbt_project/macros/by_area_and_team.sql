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

{#- A published rate: rounded once to 1 dp, NULL with its status set otherwise. -#}
{% macro published_rate(numerator, denominator, multiplier=100, unavailable=none) -%}
    case
    {%- if unavailable %}
            when {{ unavailable }} then null
    {%- endif %}
        when {{ denominator }} > 0 then round({{ numerator }} / ({{ denominator }}) * {{ multiplier }}, 1)
    end
{%- endmacro %}

{#- The status beside a rate: 'x' when an optional export it needs is missing, 'z' when the
    denominator is zero, NULL when published. -#}
{% macro rate_status(denominator, unavailable=none) -%}
    case
    {%- if unavailable %}
            when {{ unavailable }} then 'x'
    {%- endif %}
        when coalesce({{ denominator }}, 0) <= 0 then 'z'
    end
{%- endmacro %}
