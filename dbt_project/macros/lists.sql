{#
    List (array) helpers for the few columns stored as lists, such as quality.dq_results.load_ids.
    Engine differences sit in dispatched macros.
#}

{# The type of a list of strings, for typed empty stand-ins (e.g. a table that does not exist yet). #}
{% macro type_string_list() -%}
    {{ return(adapter.dispatch('type_string_list', 'funnel_warehouse')()) }}
{%- endmacro %}

{% macro default__type_string_list() -%}
    varchar[]
{%- endmacro %}

{% macro spark__type_string_list() -%}
    array<string>
{%- endmacro %}

{% macro trino__type_string_list() -%}
    array(varchar)
{%- endmacro %}


{# The list's values sorted and joined with ',': one key for the same set of values in any order. #}
{% macro list_key(col) -%}
    {{ return(adapter.dispatch('list_key', 'funnel_warehouse')(col)) }}
{%- endmacro %}

{% macro default__list_key(col) -%}
    array_to_string(list_sort({{ col }}), ',')
{%- endmacro %}

{% macro postgres__list_key(col) -%}
    array_to_string(array(select unnest({{ col }}) order by 1), ',')
{%- endmacro %}

{% macro spark__list_key(col) -%}
    array_join(array_sort({{ col }}), ',')
{%- endmacro %}

{% macro trino__list_key(col) -%}
    array_join(array_sort({{ col }}), ',')
{%- endmacro %}


{# Does the list contain the value? #}
{% macro list_contains(col, value) -%}
    {{ return(adapter.dispatch('list_contains', 'funnel_warehouse')(col, value)) }}
{%- endmacro %}

{% macro default__list_contains(col, value) -%}
    list_contains({{ col }}, {{ value }})
{%- endmacro %}

{% macro postgres__list_contains(col, value) -%}
    ({{ value }} = any({{ col }}))
{%- endmacro %}

{% macro spark__list_contains(col, value) -%}
    array_contains({{ col }}, {{ value }})
{%- endmacro %}

{% macro trino__list_contains(col, value) -%}
    contains({{ col }}, {{ value }})
{%- endmacro %}
