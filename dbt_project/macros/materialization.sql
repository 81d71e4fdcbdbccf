{#
    incremental_or_table(): the materialization of a model that is incremental where the engine can
    merge into a table, for `config(materialized=incremental_or_table())`.

    Spark without Delta/Hudi/Iceberg (plain Parquet tables, e.g. the local session target) has no
    merge and its append strategy would duplicate rows on a rerun: such models are rebuilt whole
    there ('table'). Set var spark_table_format: delta (or hudi/iceberg) on a cluster that has it
    to keep them incremental.
#}
{% macro incremental_or_table() -%}
    {%- if target.type == 'spark' and var('spark_table_format', 'parquet') not in ('delta', 'hudi', 'iceberg') -%}
        {{- return('table') -}}
    {%- else -%}
        {{- return('incremental') -}}
    {%- endif -%}
{%- endmacro %}
