{#
    Partition-incremental models: recompute only the partitions whose input changed.

    For a model whose rows of one partition (e.g. one entity's stage entries) are a function of
    that partition's input rows alone, plus inputs every partition shares (seeds, settings). On a
    night that brings one day of data the model used to recompute all of its partitions, because
    its input is itself a table rebuilt every night (int_stage_events__sequenced: window functions
    over 21M entries at 10M leads, the slowest node of the build; docs/benchmarks.md). Instead:

    1. partition_digests(): per partition, the sum of the hashes of its input rows, plus the digest
       of the inputs every partition shares, so that a change of those recomputes everything;
    2. the model stores each partition's digest in column _partition_digest, on one row of the
       partition (a filter reads the stored digests back; a distinct over every row costs more);
    3. changed_partitions(): partitions whose digest differs from the stored one, new or gone;
       steps 1 and 3 look only at the partitions of buckets whose sums changed
       (macros/partition_buckets.sql: the model defines CTE changed_buckets);
    4. the model computes only the changed partitions, and emits one tombstone row for each
       (config partition_tombstone: the condition true on tombstones only, e.g. a null id), so
       that strategy replace_partitions deletes every stored row of a changed partition, gone
       ones included, and inserts the recomputed rows.

    A full build (first build, --full-refresh) computes every partition and stores the digests.
    The code is not in the digest: after a change of the project's code, seeds or settings the
    orchestrator rebuilds every incremental model with --full-refresh
    (orchestration/transform/unchanged.py, incremental_models_built_by_other_code); with plain
    `dbt build`, run --full-refresh yourself, as for any incremental model. Such a model sets
    on_schema_change='sync_all_columns' so that a table stored without digests is still usable:
    its partitions all count as changed (correct, but slower than a full refresh; at 10M leads
    int_leads__resolved ran out of its 3 GB memory limit that way). A table stored without a
    partition key column cannot be replaced partition by partition: the run stops and asks for
    --full-refresh.
    On Spark without Delta the model is a table (incremental_or_table) and the digest is null.
#}

{#- One row per partition of `input_cte`: its keys and _partition_digest (see above).
    shared_inputs: relations every partition reads whole (their rows are hashed into every digest).
    A model whose own windows already sort by the partition can compute the same digest there:
    sum(row_hash(<row alias>)) over (partition by <keys>) + shared_digest(shared_inputs). -#}
{% macro partition_digests(input_cte, partition_by, shared_inputs=[]) -%}
    {%- set row_alias = '__funnel_input_row' -%}
    select
        {% for key in partition_by -%}
        {{ row_alias }}.{{ key }},
        {% endfor -%}
        sum({{ funnel_warehouse.row_hash(row_alias) }}) + {{ funnel_warehouse.shared_digest(shared_inputs) }}
            as _partition_digest
    from {{ input_cte }} as {{ row_alias }}
    where {{ funnel_warehouse.in_changed_buckets(row_alias ~ '.' ~ partition_by[-1]) }}
    group by {% for key in partition_by %}{{ row_alias }}.{{ key }}{% if not loop.last %}, {% endif %}{% endfor %}
{%- endmacro %}


{#- One row per partition of `contributions_cte` (id_column, contribution): its id and
    _partition_digest, the sum of its contributions plus `shared`. For a model that hashes its input
    narrow: each input row's fields hashed before the joins that find its partition, so that those
    joins carry one hash per row instead of the whole row (int_leads__touches). -#}
{% macro partition_digests_of_contributions(contributions_cte, id_column, shared) -%}
    select
        __funnel_contribution.{{ id_column }},
        sum(__funnel_contribution.contribution) + {{ shared }} as _partition_digest
    from {{ contributions_cte }} as __funnel_contribution
    where {{ funnel_warehouse.in_changed_buckets('__funnel_contribution.' ~ id_column) }}
    group by __funnel_contribution.{{ id_column }}
{%- endmacro %}


{#- The part of every digest that all partitions share (a scalar): the version of this digest's
    definition (changing it changes every stored digest) and the rows of `shared_inputs`. -#}
{% macro shared_digest(shared_inputs=[]) -%}
    ({{ funnel_warehouse.digest_text_hash("'partitions-v1'") }}
    {%- for relation in shared_inputs %}
        + coalesce((select sum({{ funnel_warehouse.row_hash('__funnel_shared_row') }})
                    from {{ relation }} as __funnel_shared_row), 0)
    {%- endfor %})
{%- endmacro %}


{#- One row per canonical lead of `resolved` (int_leads__resolved) with its _partition_digest, for a
    model whose rows of a lead are computed from the lead's record and other inputs: the digest
    `resolved` stored for the record (which covers its member leads' rows), plus the sum of
    `input_digests_cte` (lead_id, input_digest: one value per other input row of the lead, or a
    digest another partition-incremental model stored for it), plus `shared` (an expression every
    lead shares). Partitions are exactly the canonical leads: an input row of no canonical lead adds
    nothing. -#}
{% macro digests_on_lead_records(resolved, input_digests_cte, shared) -%}
    select
        lead_records.lead_id,
        lead_records._partition_digest + coalesce(other_inputs.input_digest, 0) + {{ shared }} as _partition_digest
    from {{ resolved }} as lead_records
    left join (
        select lead_id, sum(input_digest) as input_digest
        from {{ input_digests_cte }}
        where {{ funnel_warehouse.in_changed_buckets('lead_id') }}
        group by lead_id
    ) as other_inputs
        on lead_records.lead_id = other_inputs.lead_id
    where {{ funnel_warehouse.in_changed_buckets('lead_records.lead_id') }}
{%- endmacro %}


{#- (lead_id, input_digest) per canonical lead with a known owner: the hash of its owner and the
    owner's team, an input of every model that gives a lead its owner's team. -#}
{% macro lead_owner_digests() -%}
    select lead_owners.lead_id, {{ funnel_warehouse.row_hash('lead_owners') }} as input_digest
    from (
        select resolved.lead_id, owners.owner_id, owners.team
        from {{ ref('int_leads__resolved') }} as resolved
        inner join {{ ref('int_owners') }} as owners
            on resolved.owner_id = owners.owner_id
    ) as lead_owners
{%- endmacro %}


{#- Partitions whose digest in `digests_cte` differs from the one stored in {{ this }} (new, changed
    or gone), with is_gone. Only in an incremental run. -#}
{% macro changed_partitions(digests_cte, partition_by) -%}
    {#- a table stored by a version without digests: every stored partition counts as changed -#}
    {%- set stored_columns = adapter.get_columns_in_relation(this) | map(attribute='name') | map('lower') | list -%}
    {%- set has_digests = '_partition_digest' in stored_columns -%}
    {#- without a key column no stored row can be matched to its partition (DuckDB would even bind the
        name to the outer query's column): only a full refresh can replace such a table -#}
    {%- set missing_keys = partition_by | map('lower') | reject('in', stored_columns) | list -%}
    {%- if missing_keys -%}
        {{ exceptions.raise_compiler_error(
            this ~ " is stored without its partition key column " ~ missing_keys | join(', ')
            ~ " (built by a version that did not partition it): run this model with --full-refresh") }}
    {%- endif -%}
    select
        {% for key in partition_by -%}
        coalesce(current_digest.{{ key }}, stored_digest.{{ key }}) as {{ key }},
        {% endfor -%}
        current_digest._partition_digest is null as is_gone
    from {{ digests_cte }} as current_digest
    full outer join (
        {%- if has_digests %}
        select {% for key in partition_by %}{{ key }}, {% endfor %}_partition_digest
        from {{ this }}
        where _partition_digest is not null
            and {{ funnel_warehouse.in_changed_buckets(partition_by[-1]) }}
        {%- else %}
        select distinct {% for key in partition_by %}{{ key }}, {% endfor %}cast(null as {{ dbt.type_int() }}) as _partition_digest
        from {{ this }}
        {%- endif %}
    ) as stored_digest
        on {% for key in partition_by -%}
        current_digest.{{ key }} = stored_digest.{{ key }}{% if not loop.last %} and {% endif %}
        {%- endfor %}
    where current_digest._partition_digest is null
        or stored_digest._partition_digest is null
        or current_digest._partition_digest <> stored_digest._partition_digest
{%- endmacro %}


{#- `from <relation> as <alias> {{ only_changed_partitions(alias, ...) }}`: in an incremental run, the
    rows of the changed partitions that still exist; nothing (every row) in a full build. -#}
{% macro only_changed_partitions(alias, changed_cte, partition_by) -%}
    {%- if is_incremental() %}
    inner join {{ changed_cte }}
        on {% for key in partition_by -%}
        {{ alias }}.{{ key }} = {{ changed_cte }}.{{ key }}{% if not loop.last %} and {% endif %}
        {%- endfor %}
    where not {{ changed_cte }}.is_gone
    {%- endif %}
{%- endmacro %}


{#- `where <id_column> in (...)`: in an incremental run, only the rows of the partitions of one type
    (a model whose partition key is _partition_type, _partition_id) that `recomputed_cte` holds;
    nothing (every row) in a full build. -#}
{% macro only_partitions_of_type(partition_type, id_column, recomputed_cte='recomputed_partitions') -%}
    {%- if is_incremental() %}
    where {{ id_column }} in (
        select _partition_id from {{ recomputed_cte }} where _partition_type = '{{ partition_type }}'
    )
    {%- endif %}
{%- endmacro %}


{#- One tombstone row per changed partition of `changed_cte`: the partition keys, every other of
    `columns` (the model's output columns, in order) null. -#}
{% macro partition_tombstones(changed_cte, columns, partition_by) -%}
    select
        {%- for column in columns %}
        {{ column if column in partition_by else 'null' }} as {{ column }}{{ ',' if not loop.last }}
        {%- endfor %}
    from {{ changed_cte }}
{%- endmacro %}


{#- Strategy for config(incremental_strategy='replace_partitions', unique_key=[partition keys],
    partition_tombstone='<condition true on tombstone rows only>'): every stored row of a partition
    present in the new rows is deleted, then the new rows except the tombstones are inserted. Both
    in the model's transaction. -#}
{% macro get_incremental_replace_partitions_sql(arg_dict) -%}
    {%- set target = arg_dict['target_relation'] -%}
    {%- set source = arg_dict['temp_relation'] -%}
    {%- set keys = arg_dict['unique_key'] if arg_dict['unique_key'] is sequence and arg_dict['unique_key'] is not string
                   else [arg_dict['unique_key']] -%}
    {%- set columns = get_quoted_csv(arg_dict['dest_columns'] | map(attribute='name')) -%}
    {%- set tombstone = config.get('partition_tombstone') -%}
    {%- if not tombstone -%}
        {{ exceptions.raise_compiler_error("replace_partitions needs config partition_tombstone (see macros/partitions.sql)") }}
    {%- endif -%}
    delete from {{ target }}
    where exists (
        select 1 from {{ source }} as changed
        where {% for key in keys -%}
        changed.{{ key }} = {{ target }}.{{ key }}{% if not loop.last %} and {% endif %}
        {%- endfor %}
    );
    insert into {{ target }} ({{ columns }})
    select {{ columns }} from {{ source }} where not ({{ tombstone }})
    {{- funnel_warehouse.record_written_keys(target, source, keys) }}
{%- endmacro %}


{#- hash of the whole row of the relation aliased `row_alias` (a column cannot shadow the alias, see
    orchestration/publish/digests), in a type whose sum over millions of rows does not overflow -#}
{% macro row_hash(row_alias) -%}
    {{ return(adapter.dispatch('row_hash', 'funnel_warehouse')(row_alias)) }}
{%- endmacro %}

{% macro default__row_hash(row_alias) -%}
    cast(hash({{ row_alias }}) as hugeint)
{%- endmacro %}

{% macro postgres__row_hash(row_alias) -%}
    cast(hashtextextended(cast({{ row_alias }} as text), 0) as numeric)
{%- endmacro %}

{% macro spark__row_hash(row_alias) -%}
    cast(null as decimal(38, 0))
{%- endmacro %}


{#- hash of the columns `columns` of `alias`, in order (a null counts), stored with a row so that a
    partition-incremental model reading it hashes one column instead of all of them; null on Spark,
    like every digest there -#}
{% macro hash_of_columns(alias, columns) -%}
    {{ return(adapter.dispatch('hash_of_columns', 'funnel_warehouse')(alias, columns)) }}
{%- endmacro %}

{% macro default__hash_of_columns(alias, columns) -%}
    hash({% for column in columns %}{{ alias }}.{{ column }}{{ ', ' if not loop.last }}{% endfor %})
{%- endmacro %}

{% macro postgres__hash_of_columns(alias, columns) -%}
    hashtextextended(cast(row({% for column in columns %}{{ alias }}.{{ column }}{{ ', ' if not loop.last }}{% endfor %}) as text), 0)
{%- endmacro %}

{% macro spark__hash_of_columns(alias, columns) -%}
    cast(null as bigint)
{%- endmacro %}


{#- hash of one text value, in the type of row_hash -#}
{% macro digest_text_hash(expr) -%}
    {{ return(adapter.dispatch('digest_text_hash', 'funnel_warehouse')(expr)) }}
{%- endmacro %}

{% macro default__digest_text_hash(expr) -%}
    cast(hash({{ expr }}) as hugeint)
{%- endmacro %}

{% macro postgres__digest_text_hash(expr) -%}
    cast(hashtextextended({{ expr }}, 0) as numeric)
{%- endmacro %}

{% macro spark__digest_text_hash(expr) -%}
    cast(null as decimal(38, 0))
{%- endmacro %}


{#- Whether seed `metrics_relation` (conversion_metrics) holds a metric of `metric_type`, read when
    the model runs; true while dbt only parses, or before the seed is loaded. -#}
{% macro seed_has_metric_type(metrics_relation, metric_type) -%}
    {%- if not execute -%}
        {{ return(true) }}
    {%- endif -%}
    {%- set relation = load_relation(metrics_relation) -%}
    {%- if relation is none -%}
        {{ return(true) }}
    {%- endif -%}
    {%- set found = run_query("select count(*) from " ~ relation ~ " where metric_type = '" ~ metric_type ~ "'") -%}
    {{ return(found.columns[0].values()[0] > 0) }}
{%- endmacro %}


{#- the type of a digest (row_hash, digest_text_hash and their sums), for a typed null -#}
{% macro digest_type() -%}
    {{ return(adapter.dispatch('digest_type', 'funnel_warehouse')()) }}
{%- endmacro %}

{% macro default__digest_type() -%}
    hugeint
{%- endmacro %}

{% macro postgres__digest_type() -%}
    numeric
{%- endmacro %}

{% macro spark__digest_type() -%}
    decimal(38, 0)
{%- endmacro %}
