-- One row per expectation result per quality run (quality.dq_results, written by the
-- gx_delivery_suite asset checks), typed and renamed. Sample values and messages are left out:
-- they are for a person reading Dagster, and samples come from PII columns (masked, still private).
-- Before the first check has run the table does not exist; the view is then empty, with the same
-- columns, so a first build works.

{%- set results = source('quality', 'dq_results') %}
{%- set results_exist = false %}
{%- if execute %}
    {%- set results_relation = adapter.get_relation(
        database=results.database, schema=results.schema, identifier=results.identifier) %}
    {%- set results_exist = results_relation is not none %}
{%- endif %}

with

source as (

    {%- if results_exist %}
    select * from {{ results }}
    {%- else %}
    select
        cast(null as {{ dbt.type_string() }}) as run_id,
        cast(null as {{ dbt.type_timestamp() }}) as checked_at,
        cast(null as {{ dbt.type_string() }}) as table_name,
        cast(null as {{ type_string_list() }}) as load_ids,
        cast(null as {{ dbt.type_string() }}) as expectation,
        cast(null as {{ dbt.type_string() }}) as expectation_type,
        cast(null as {{ dbt.type_string() }}) as severity,
        cast(null as {{ dbt.type_boolean() }}) as success,
        cast(null as {{ dbt.type_bigint() }}) as element_count,
        cast(null as {{ dbt.type_bigint() }}) as unexpected_count,
        cast(null as {{ type_double() }}) as unexpected_percent
    where 1 = 0
    {%- endif %}

),

final as (

    select
        -- ids
        trim(run_id) as run_id,
        {{ clean_code('table_name') }} as table_name,
        load_ids,
        {{ list_key('load_ids') }} as delivery_key,
        trim(expectation) as expectation_name,
        trim(expectation_type) as expectation_type,

        -- result
        {{ clean_code('severity') }} as severity,
        cast(success as {{ dbt.type_boolean() }}) as is_success,
        cast(element_count as {{ dbt.type_bigint() }}) as element_count,
        cast(unexpected_count as {{ dbt.type_bigint() }}) as unexpected_count,
        cast(unexpected_percent as {{ type_double() }}) as unexpected_percent,

        -- timestamps
        cast(checked_at as {{ dbt.type_timestamp() }}) as checked_at

    from source

)

select * from final
