{#- `not materialized` for a CTE read more than once, where the engine would otherwise store it
    (DuckDB, Postgres; Spark has no such syntax). Storing pays for a CTE that is costly to compute
    and small; a plain filter of a big table is faster read again by each reader. In
    mart_stage_loss_reasons the 21M stored rows of its `events` CTE spilled 1.1 GB: 10.2 s for the
    select at 10M leads, 6.3 s read three times (docs/benchmarks.md). The same holds for an import
    CTE of a big table (`select * from ref(...)`) that two CTEs read: stored, it keeps every
    column of every row; inlined, each reader scans only the columns it needs
    (int_submissions__matched_to_leads: 18.0 -> 8.6 s at 10M leads, docs/operations.md). -#}
{% macro inlined_cte() -%}
    {%- if target.type in ('duckdb', 'postgres') -%}
    not materialized
    {%- endif -%}
{%- endmacro %}
