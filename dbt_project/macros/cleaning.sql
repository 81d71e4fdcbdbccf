{#
    Cleaning helpers used by the staging models. Engine differences sit in dispatched macros.
#}

{# Trimmed text, empty string -> null. #}
{% macro clean_string(col) -%}
    nullif(trim({{ col }}), '')
{%- endmacro %}


{# Trimmed id; empty strings and the placeholder ids in var('null_id_values') -> null. #}
{% macro clean_id(col) -%}
    {%- set placeholders = var('null_id_values', []) -%}
    case
        when nullif(trim({{ col }}), '') is null then null
        {%- if placeholders | length > 0 %}
        when trim({{ col }}) in ({% for v in placeholders %}'{{ v }}'{{ ', ' if not loop.last }}{% endfor %}) then null
        {%- endif %}
        else trim({{ col }})
    end
{%- endmacro %}


{# Lowercased trimmed text, for codes compared case-insensitively (status, channel, platform…). #}
{% macro clean_code(col) -%}
    lower(nullif(trim({{ col }}), ''))
{%- endmacro %}


{# Global regular-expression replace (all matches). #}
{% macro regex_replace_all(expr, pattern, replacement) -%}
    {{ return(adapter.dispatch('regex_replace_all', 'funnel_warehouse')(expr, pattern, replacement)) }}
{%- endmacro %}

{% macro default__regex_replace_all(expr, pattern, replacement) -%}
    regexp_replace({{ expr }}, '{{ pattern }}', '{{ replacement }}', 'g')
{%- endmacro %}

{% macro spark__regex_replace_all(expr, pattern, replacement) -%}
    regexp_replace({{ expr }}, '{{ pattern }}', '{{ replacement }}')
{%- endmacro %}

{% macro trino__regex_replace_all(expr, pattern, replacement) -%}
    regexp_replace({{ expr }}, '{{ pattern }}', '{{ replacement }}')
{%- endmacro %}


{# Does expr match the regular expression anywhere? #}
{% macro regex_matches(expr, pattern) -%}
    {{ return(adapter.dispatch('regex_matches', 'funnel_warehouse')(expr, pattern)) }}
{%- endmacro %}

{% macro default__regex_matches(expr, pattern) -%}
    regexp_matches({{ expr }}, '{{ pattern }}')
{%- endmacro %}

{% macro postgres__regex_matches(expr, pattern) -%}
    ({{ expr }} ~ '{{ pattern }}')
{%- endmacro %}

{% macro spark__regex_matches(expr, pattern) -%}
    ({{ expr }} rlike '{{ pattern }}')
{%- endmacro %}

{% macro trino__regex_matches(expr, pattern) -%}
    regexp_like({{ expr }}, '{{ pattern }}')
{%- endmacro %}


{# Name for matching across systems: lowercased, trimmed, runs of space/_/-/| collapsed to one space. #}
{% macro normalize_name(col) -%}
    nullif(trim({{ funnel_warehouse.regex_replace_all("lower(" ~ col ~ ")", '[ _|-]+', ' ') }}), '')
{%- endmacro %}
