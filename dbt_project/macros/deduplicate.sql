{#
    Raw tables are append-only: every nightly snapshot re-delivers all its rows under a new
    _load_id. latest_delivery() keeps one row per business key, from the latest delivery
    (_loaded_at desc, then _source_row desc, then _load_id desc for a total order).
    The result carries every column of `relation` plus _delivery_rank (always 1).
#}
{% macro latest_delivery(relation, partition_by) -%}
    select *
    from (
        select
            *,
            row_number() over (
                partition by {{ partition_by }}
                order by _loaded_at desc, _source_row desc, _load_id desc
            ) as _delivery_rank
        from {{ relation }}
    ) as ranked_deliveries
    where _delivery_rank = 1
{%- endmacro %}


{#- latest_delivery over only the rows of loads the (incremental) model has not stored yet
    (macros/incremental.sql); on a first or full-refresh build, over every row. -#}
{% macro latest_new_delivery(relation, partition_by) -%}
    {%- set new_loads -%}
    (select * from {{ relation }} {{ new_loads_only() }}) as new_loads
    {%- endset -%}
    {{ latest_delivery(new_loads, partition_by) }}
{%- endmacro %}
