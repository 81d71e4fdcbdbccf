{#
    Scoped data tests: a night's tests of an incremental model read only the rows that have not
    passed them yet, when no other row can make them fail.

    At 10M leads the data tests took ~85 s of a one-day delta night, most of it uniqueness tests
    grouping every row of the big incremental tables (docs/benchmarks.md), although the night
    rewrote about 1 % of those rows. So, on DuckDB:

    1. a model incremental by key (strategy replace_partitions, or delete+insert on its unique_key)
       appends the keys it writes to its scope table test_scopes.<model>, in the statement that
       writes them (record_written_keys);
    2. its scoped tests (below) read only the rows of the keys in the scope (get_where_subquery);
    3. after the run, the scope of every model whose scoped tests all ran and all passed is emptied
       (forget_tested_keys, on-run-end). A failing row therefore stays in scope, and is tested
       again every night, until a run passes.

    No scope table means "nothing tested yet": tests read the whole model. A full build (first
    build, --full-refresh) drops the scope (drop_test_scope, pre-hook), and the on-run-end hook
    creates it empty once the full build's tests have all passed.

    A test is scoped only if a failure must show on a row of a written key:
    - row-local tests (not_null, accepted_values, accepted_range, expression_is_true): a row that
      was not written is the row that passed before;
    - unique / unique_combination_of_columns over columns that include every key column: equal
      values mean the same key, and a new duplicate needs a written row;
    - a test whose YAML says why it qualifies: config meta {funnel_scoped_to_written_keys: true}
      (a unique column computed from the key, as int_stage_events__sequenced.stage_event_id).
    A uniqueness test over other columns (a duplicate may pair a written row with an old one) reads
    every row whose values occur on a written row: after a passing run there is no duplicate, so
    a new one has a written row, and all of its rows are read. Every other test (relationships,
    singular tests) reads the whole model.
    A row changed by hand outside dbt is not tested again until a full refresh, just as the
    incremental model would not recompute it.
#}

{% macro test_scope_relation(model_relation) -%}
    {{ return(api.Relation.create(database=model_relation.database, schema='test_scopes',
                                  identifier=model_relation.identifier)) }}
{%- endmacro %}


{#- whether `relation` exists, read from the database (dbt's relation cache does not list the
    test_scopes schema, which no model builds) -#}
{% macro test_scope_exists(relation) -%}
    {%- set found = run_query(
        "select count(*) from duckdb_tables() where database_name = '" ~ relation.database
        ~ "' and schema_name = '" ~ relation.schema ~ "' and table_name = '" ~ relation.identifier ~ "'") -%}
    {{ return(found.columns[0].values()[0] > 0) }}
{%- endmacro %}


{#- Statements an incremental strategy appends (after its own, with a leading ';') so that the keys
    of the rows it writes from `source_relation` enter the model's scope; '' when nothing records. -#}
{% macro record_written_keys(target_relation, source_relation, keys) -%}
    {%- if target.type != 'duckdb' -%}
        {{ return('') }}
    {%- endif -%}
    {%- set scope = funnel_warehouse.test_scope_relation(target_relation) -%}
    {%- if not funnel_warehouse.test_scope_exists(scope) -%}
        {{ return('') }}
    {%- endif -%}
    {%- set key_list = keys | join(', ') -%}
    {{ return(';\ninsert into ' ~ scope ~ ' (' ~ key_list ~ ')\nselect distinct ' ~ key_list ~ ' from ' ~ source_relation) }}
{%- endmacro %}


{#- pre-hook of every model: a full build of an incremental model writes every row, so its scope
    goes ("nothing tested yet"); an incremental run keeps it -#}
{% macro drop_test_scope() -%}
    {%- if execute and target.type == 'duckdb' and config.get('materialized') == 'incremental'
          and not is_incremental() -%}
        drop table if exists {{ funnel_warehouse.test_scope_relation(this) }}
    {%- endif -%}
{%- endmacro %}


{#- The key columns of an incremental model whose writes are recorded, [] for any other node. -#}
{% macro recorded_keys(node) -%}
    {%- set node_config = node.config -%}
    {%- if node.resource_type != 'model' or node_config.materialized != 'incremental'
          or node_config.incremental_strategy not in ('replace_partitions', 'delete+insert')
          or not node_config.unique_key -%}
        {{ return([]) }}
    {%- endif -%}
    {%- set key = node_config.unique_key -%}
    {{ return([key] if key is string else key | list) }}
{%- endmacro %}


{#- Whether test node `test` can only fail on rows of written keys of a model keyed by `keys`. -#}
{% macro test_is_scoped_to_keys(test, keys) -%}
    {%- set name = test.test_metadata.name if test.test_metadata else none -%}
    {%- set kwargs = test.test_metadata.kwargs if test.test_metadata else {} -%}
    {%- if (test.config.meta or {}).get('funnel_scoped_to_written_keys') -%}
        {{ return(true) }}
    {%- elif name in ('not_null', 'accepted_values', 'accepted_range', 'expression_is_true') -%}
        {{ return(true) }}
    {%- elif name == 'unique' -%}
        {{ return(keys == [kwargs.column_name]) }}
    {%- elif name == 'unique_combination_of_columns' -%}
        {{ return(keys | reject('in', kwargs.combination_of_columns) | list | length == 0) }}
    {%- endif -%}
    {{ return(false) }}
{%- endmacro %}


{#- The columns (or expressions) of a uniqueness test of a model keyed by `keys` whose columns do
    not include the key, [] for any other test: a duplicate may then span a written and an unwritten
    key, so such a test reads every row whose values occur on a written row (see above). -#}
{% macro scoped_unique_values(test, keys) -%}
    {%- set name = test.test_metadata.name if test.test_metadata else none -%}
    {%- if funnel_warehouse.test_is_scoped_to_keys(test, keys) -%}
        {{ return([]) }}
    {%- elif name == 'unique' -%}
        {{ return([test.test_metadata.kwargs.column_name]) }}
    {%- elif name == 'unique_combination_of_columns' -%}
        {{ return(test.test_metadata.kwargs.combination_of_columns | list) }}
    {%- endif -%}
    {{ return([]) }}
{%- endmacro %}


{#- dbt's hook for the relation a generic test reads: the test's `where` config, as in dbt, and,
    for a test of a model with a scope, only the rows of the scope's keys (row-scoped tests) or
    the rows whose values occur on such a row (uniqueness across keys). -#}
{% macro get_where_subquery(relation) -%}
    {%- set where = config.get('where', '') -%}
    {%- set conditions = [where] if where else [] -%}
    {%- set tested = graph.nodes.get(model.attached_node) if execute and model.attached_node else none -%}
    {%- set keys = funnel_warehouse.recorded_keys(tested) if tested else [] -%}
    {%- set rows_scoped = keys and funnel_warehouse.test_is_scoped_to_keys(model, keys) -%}
    {%- set values = funnel_warehouse.scoped_unique_values(model, keys) if keys else [] -%}
    {%- if (rows_scoped or values) and target.type == 'duckdb' -%}
        {%- set scope = funnel_warehouse.test_scope_relation(relation) -%}
        {%- if funnel_warehouse.test_scope_exists(scope) -%}
            {#- a row with a null key matches no key (delete+insert appends it): always tested -#}
            {%- set key_list = keys | join(', ') -%}
            {%- set written = '((' ~ key_list ~ ') in (select ' ~ key_list ~ ' from ' ~ scope ~ ')'
                              ~ ' or ' ~ keys | join(' is null or ') ~ ' is null)' -%}
            {%- if rows_scoped -%}
                {%- do conditions.append(written) -%}
            {%- else -%}
                {#- every row whose values occur on a written row; rows with a null value always (nulls
                    group together, and match nothing in `in`) -#}
                {%- set value_list = values | join(', ') -%}
                {%- do conditions.append('((' ~ value_list ~ ') in (select ' ~ value_list ~ ' from ' ~ relation
                                         ~ ' where ' ~ written ~ ') or ' ~ values | join(' is null or ') ~ ' is null)') -%}
            {%- endif -%}
        {%- endif -%}
    {%- endif -%}
    {%- if conditions -%}
        {{ return('(select * from ' ~ relation ~ ' where ' ~ conditions | join(' and ') ~ ') dbt_subquery') }}
    {%- endif -%}
    {{ return(relation) }}
{%- endmacro %}


{#- on-run-end: every recorded model whose tests that read the scope all ran in this run and all
    passed gets an empty scope (its other tests read every row whatever the scope). -#}
{% macro forget_tested_keys(results) -%}
    {%- if not execute or target.type != 'duckdb' -%}
        {{ return('') }}
    {%- endif -%}
    {%- set status_by_id = {} -%}
    {%- for result in results -%}
        {%- do status_by_id.update({result.node.unique_id: result.status | string}) -%}
    {%- endfor -%}
    {%- set tests_by_model = {} -%}
    {%- for node in graph.nodes.values() if node.resource_type == 'test' and node.attached_node -%}
        {%- do tests_by_model.setdefault(node.attached_node, []).append(node) -%}
    {%- endfor -%}
    {%- set statements = [] -%}
    {%- for node in graph.nodes.values() -%}
        {%- set keys = funnel_warehouse.recorded_keys(node) -%}
        {%- set tests = [] -%}
        {%- for test in tests_by_model.get(node.unique_id, [])
              if funnel_warehouse.test_is_scoped_to_keys(test, keys) or funnel_warehouse.scoped_unique_values(test, keys) -%}
            {%- do tests.append(test.unique_id) -%}
        {%- endfor -%}
        {%- set passed = [] -%}
        {%- for test_id in tests if status_by_id.get(test_id) == 'pass' -%}
            {%- do passed.append(test_id) -%}
        {%- endfor -%}
        {%- if keys and tests and passed | length == tests | length
              and status_by_id.get(node.unique_id) in ('success', none) -%}
            {%- set model_relation = api.Relation.create(database=node.database, schema=node.schema,
                                                         identifier=node.alias) -%}
            {%- set key_list = keys | join(', ') -%}
            {%- do statements.append('create or replace table ' ~ funnel_warehouse.test_scope_relation(model_relation)
                                      ~ ' as select ' ~ key_list ~ ' from ' ~ model_relation ~ ' where false') -%}
        {%- endif -%}
    {%- endfor -%}
    {%- if statements -%}
        create schema if not exists {{ adapter.quote(target.database) }}.test_scopes;
        {{ statements | join(';\n') }}
    {%- endif -%}
{%- endmacro %}


{#- dbt's delete+insert strategy (the project's default for keyed incremental models), which also
    records the keys it writes (record_written_keys) -#}
{% macro get_incremental_delete_insert_sql(arg_dict) -%}
    {%- set keys = arg_dict['unique_key'] if arg_dict['unique_key'] is sequence and arg_dict['unique_key'] is not string
                   else [arg_dict['unique_key']] -%}
    {%- set write_sql = adapter.dispatch('get_incremental_delete_insert_sql', 'dbt')(arg_dict) -%}
    {%- if not arg_dict['unique_key'] -%}
        {{ return(write_sql) }}
    {%- endif -%}
    {{ return(write_sql ~ funnel_warehouse.record_written_keys(arg_dict['target_relation'], arg_dict['temp_relation'], keys)) }}
{%- endmacro %}
