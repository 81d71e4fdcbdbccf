{#
    Bucketed change detection for partition-incremental models (macros/partitions.sql).

    Why: to find its changed partitions, a model summed its input rows' hashes per partition every
    night, and compared every partition's digest with the stored one. At 10M leads that is a
    group-by into 10M groups and a full outer join of 10M digests per model, both spilling under the
    3 GB memory limit (fct_leads: 13.2 s of its 17.0 s on a night without changes). One night's
    data changes a few percent of the partitions.

    How: a partition's bucket is a hash of its id (partition_bucket(), 2^20 buckets).
    1. changed_buckets(): per bucket, the sum of the input rows' hashes, against the sum of the
       stored digests of the bucket's partitions (less the shared part every digest carries). The
       group-by has 1M integer keys instead of 10M text ones, and the join 1M rows.
    2. Only the partitions of changed buckets get their own digest (partition_digests(),
       digests_on_lead_records() filter with in_changed_buckets()), and only those are compared
       with the stored digests (changed_partitions()).
    A changed, new or gone partition changes its bucket's sum, so nothing is missed (two changes
    cancelling out in a sum of 64-bit hashes is as unlikely as for the partition digests
    themselves). An unchanged bucket holds no changed partition, so nothing is recomputed for it.
    An input row of no partition (one digests_on_lead_records() leaves out) only makes its bucket
    look changed: its partitions are then compared one by one, as before.

    The model defines the bucket CTE by convention as `changed_buckets`, in incremental runs only:
        {%- if is_incremental() %}
        changed_buckets as ( {{ changed_buckets_of_rows('touch_inputs', ['lead_id']) }} ),
        {%- endif %}
    and reads the input CTE twice (buckets, then the partitions of changed buckets): it declares
    that CTE `as {{ not_materialized() }} (`, or DuckDB would store a copy of every input row.
    A table stored without digests has no bucket sums: then every bucket counts as changed.
#}

{#- the bucket of a partition id (an expression), in [0, 2^20) -#}
{% macro partition_bucket(id_expr) -%}
    {{ return(adapter.dispatch('partition_bucket', 'funnel_warehouse')(id_expr)) }}
{%- endmacro %}

{% macro default__partition_bucket(id_expr) -%}
    (hash({{ id_expr }}) % 1048576)
{%- endmacro %}

{% macro postgres__partition_bucket(id_expr) -%}
    (((hashtextextended(cast({{ id_expr }} as text), 0) % 1048576) + 1048576) % 1048576)
{%- endmacro %}


{#- `not materialized` for a CTE that change detection reads twice, where the engine would store it
    otherwise (DuckDB, Postgres); nothing on a full build, which reads it once. -#}
{% macro not_materialized() -%}
    {%- if is_incremental() -%}
    {{ funnel_warehouse.inlined_cte() }}
    {%- endif -%}
{%- endmacro %}


{#- Whether the stored table carries partition digests (a table stored by a version without them
    is compared partition by partition, see changed_partitions()). -#}
{% macro stored_partition_digests_exist() -%}
    {%- set stored_columns = adapter.get_columns_in_relation(this) | map(attribute='name') | map('lower') | list -%}
    {{ return('_partition_digest' in stored_columns) }}
{%- endmacro %}


{#- Condition: the partition of id `id_expr` is in a changed bucket. `true` on a full build and
    when the stored table has no digests. -#}
{% macro in_changed_buckets(id_expr) -%}
    {%- if is_incremental() and funnel_warehouse.stored_partition_digests_exist() -%}
    {{ funnel_warehouse.partition_bucket(id_expr) }} in (select bucket from changed_buckets)
    {%- else -%}
    true
    {%- endif -%}
{%- endmacro %}


{#- The changed buckets (column bucket): `contributions` is a query of (partition id, contribution)
    whose contributions sum, per partition, to its digest less `shared`; `id_column` names the
    partition id column, both in `contributions` and in the stored table. -#}
{% macro changed_buckets(contributions, id_column, shared) -%}
    {%- if funnel_warehouse.stored_partition_digests_exist() %}
    select coalesce(current_buckets.bucket, stored_buckets.bucket) as bucket
    from (
        select
            {{ funnel_warehouse.partition_bucket('__funnel_contribution.' ~ id_column) }} as bucket,
            sum(__funnel_contribution.contribution) as bucket_digest
        from ({{ contributions }}) as __funnel_contribution
        group by 1
    ) as current_buckets
    full outer join (
        select
            {{ funnel_warehouse.partition_bucket('__funnel_stored.' ~ id_column) }} as bucket,
            sum(__funnel_stored._partition_digest - ({{ shared }})) as bucket_digest
        from {{ this }} as __funnel_stored
        where __funnel_stored._partition_digest is not null
        group by 1
    ) as stored_buckets
        on current_buckets.bucket = stored_buckets.bucket
    where current_buckets.bucket is null
        or stored_buckets.bucket is null
        or current_buckets.bucket_digest <> stored_buckets.bucket_digest
    {%- else %}
    {#- unused (in_changed_buckets() is true everywhere), but a valid query -#}
    select cast(null as {{ dbt.type_bigint() }}) as bucket where 1 = 0
    {%- endif %}
{%- endmacro %}


{#- changed_buckets() of a model whose digests come from partition_digests(input_cte, partition_by,
    shared_inputs): contributions are the input rows' hashes. -#}
{% macro changed_buckets_of_rows(input_cte, partition_by, shared_inputs=[]) -%}
    {%- set row_alias = '__funnel_input_row' -%}
    {%- set id_column = partition_by[-1] -%}
    {%- set contributions -%}
        select {{ row_alias }}.{{ id_column }}, {{ funnel_warehouse.row_hash(row_alias) }} as contribution
        from {{ input_cte }} as {{ row_alias }}
    {%- endset -%}
    {{ funnel_warehouse.changed_buckets(contributions, id_column, funnel_warehouse.shared_digest(shared_inputs)) }}
{%- endmacro %}


{#- changed_buckets() of a model whose digests come from partition_digests_of_contributions(
    contributions_cte, id_column, shared). -#}
{% macro changed_buckets_of_contributions(contributions_cte, id_column, shared) -%}
    {%- set contributions -%}
        select {{ id_column }}, contribution from {{ contributions_cte }}
    {%- endset -%}
    {{ funnel_warehouse.changed_buckets(contributions, id_column, shared) }}
{%- endmacro %}


{#- changed_buckets() of a model whose lead digests come from digests_on_lead_records(resolved,
    input_digests_cte, shared): contributions are the digest `resolved` stored for each record and
    the other inputs' digests. id_column: the partition id column of the stored table. -#}
{% macro changed_buckets_on_lead_records(resolved, input_digests_cte, shared, id_column='lead_id') -%}
    {%- set contributions -%}
        {{ funnel_warehouse.lead_record_contributions(resolved, input_digests_cte, id_column) }}
    {%- endset -%}
    {{ funnel_warehouse.changed_buckets(contributions, id_column, shared) }}
{%- endmacro %}

{#- (id_column, contribution) of the lead digests of digests_on_lead_records(resolved,
    input_digests_cte, …) less their shared part -#}
{% macro lead_record_contributions(resolved, input_digests_cte, id_column='lead_id') -%}
    select lead_id as {{ id_column }}, _partition_digest as contribution from {{ resolved }}
    union all
    select lead_id, input_digest from {{ input_digests_cte }}
{%- endmacro %}
