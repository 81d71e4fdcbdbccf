{#
    What differs between the engines the project builds on (DuckDB, Postgres, Spark) beyond single
    SQL functions (those are dispatched where they are used: cleaning.sql, dates.sql, lists.sql, …).
#}


{#
    register_parquet_sources(): on-run-start hook. On Spark, every dbt source is an external table
    over the Parquet folder `<FUNNEL_SPARK_SOURCES_PATH>/<schema>/<table>/` written by
    orchestration.handoff.export_parquet (`funnel handoff --parquet DIR`), re-registered on each
    run so a new export (or a changed column) is picked up. Dropping an external table never
    deletes its files. No-op on other engines and when the variable is not set (sources already
    registered in the cluster's metastore).
#}
{% macro register_parquet_sources() -%}
    {%- set root = env_var('FUNNEL_SPARK_SOURCES_PATH', '') -%}
    {%- if execute and target.type == 'spark' and root -%}
        {%- set schemas = [] -%}
        {%- for source in graph.sources.values() -%}
            {%- if source.schema not in schemas -%}
                {%- do schemas.append(source.schema) -%}
                {%- do run_query('create database if not exists ' ~ source.schema) -%}
            {%- endif -%}
            {%- set location = root.rstrip('/') ~ '/' ~ source.schema ~ '/' ~ source.identifier -%}
            {%- do run_query('drop table if exists ' ~ source.schema ~ '.' ~ source.identifier) -%}
            {%- do run_query('create table ' ~ source.schema ~ '.' ~ source.identifier
                             ~ " using parquet location '" ~ location ~ "'") -%}
        {%- endfor -%}
        {%- do log('registered ' ~ (graph.sources | length) ~ ' Parquet sources under ' ~ root, info=true) -%}
    {%- endif -%}
{%- endmacro %}


{#
    opportunity_stage_versions(): the versions of snapshot snap_crm__opportunities, as
    int_stage_events__opportunities reads them (opportunity_id, stage_key, is_closed, close_date,
    dbt_valid_from, dbt_valid_to).

    Spark without Delta/Hudi cannot run dbt snapshots (they merge). There the snapshot is emulated
    by tonight's state: one current version per opportunity, first seen at as_of — exactly what the
    snapshot holds after its first night. LIMITATION: history for current-state-only CRMs does not
    accumulate night by night on such a Spark; each build sees one night. With
    var spark_table_format: delta (Databricks, a cluster with Delta) the real snapshot is used.
#}
{% macro opportunity_stage_versions() -%}
    {%- if target.type == 'spark' and var('spark_table_format', 'parquet') not in ('delta', 'hudi') -%}
    (
        select
            current_state.*,
            {{ funnel_warehouse.as_of() }} as dbt_valid_from,
            cast(null as {{ dbt.type_timestamp() }}) as dbt_valid_to
        from {{ ref('stg_crm__opportunities') }} as current_state
    )
    {%- else -%}
    {{ ref('snap_crm__opportunities') }}
    {%- endif -%}
{%- endmacro %}
