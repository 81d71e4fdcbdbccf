{#
    Per-model DuckDB optimizer switches, as a model's pre_hook and post_hook:

        pre_hook="{{ funnel_warehouse.disable_duckdb_optimizers(['common_subplan']) }}",
        post_hook="{{ funnel_warehouse.restore_duckdb_optimizers() }}",

    Why: DuckDB 2.0's common_subplan optimizer materializes a subquery that one statement reads
    twice. A partition-incremental model reads its input twice on purpose: whole, to compute the
    digests, and once more joined to the few changed partitions, which DuckDB then reads only for
    those. Materialized, the input is written out whole and read back (at 10M leads,
    int_leads__resolved spent 16 s of its 31 s of CPU on that, spilling). Which subplans it
    materializes depends on the estimated sizes, so the switch is set on the models where it was
    measured (docs/benchmarks.md), not everywhere.

    The setting is global to the DuckDB database, so the post_hook puts it back (dbt runs one model at
    a time on DuckDB: profiles.yml). A model that fails skips its post_hook: the next models then run
    without the optimizer, which changes their speed, never their result. On other engines both
    hooks render to nothing, which dbt skips.
#}

{% macro disable_duckdb_optimizers(names) -%}
    {%- if target.type == 'duckdb' -%}
        set disabled_optimizers = '{{ names | join(",") }}'
    {%- endif -%}
{%- endmacro %}


{% macro restore_duckdb_optimizers() -%}
    {%- if target.type == 'duckdb' -%}
        reset disabled_optimizers
    {%- endif -%}
{%- endmacro %}
