{#
    company_size_band(col): employees -> '1-10', '11-50', …, '5000+' from var('company_size_bands')
    (ascending upper bounds); null when employees is null or not positive.
#}
{% macro company_size_band(col) -%}
    {%- set bounds = var('company_size_bands', [10, 50, 200, 1000, 5000]) -%}
    case
        when {{ col }} is null or {{ col }} < 1 then null
        {%- set lower = namespace(v=1) %}
        {%- for b in bounds %}
        when {{ col }} <= {{ b }} then '{{ lower.v }}-{{ b }}'
        {%- set lower.v = b + 1 %}
        {%- endfor %}
        else '{{ bounds[-1] }}+'
    end
{%- endmacro %}


{# Continuous percentile (0-1) of expr within a group. #}
{% macro percentile(expr, p) -%}
    {{ return(adapter.dispatch('percentile', 'funnel_warehouse')(expr, p)) }}
{%- endmacro %}

{% macro default__percentile(expr, p) -%}
    percentile_cont({{ p }}) within group (order by {{ expr }})
{%- endmacro %}

{% macro spark__percentile(expr, p) -%}
    percentile({{ expr }}, {{ p }})
{%- endmacro %}

{% macro trino__percentile(expr, p) -%}
    approx_percentile({{ expr }}, {{ p }})
{%- endmacro %}
