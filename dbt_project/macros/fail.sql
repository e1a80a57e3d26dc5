{#- Stop compilation with a message (a macro of its own so sqlfluff can stub it). -#}
{% macro fail(message) -%}
    {{ exceptions.raise_compiler_error(message) }}
{%- endmacro %}
