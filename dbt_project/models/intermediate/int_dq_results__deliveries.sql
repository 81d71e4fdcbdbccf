-- One row per expectation of the latest validation of each delivery (raw table × set of load
-- ids), with the delivery's source system, adapters, time and reporting day from the load
-- manifest. A delivery validated more than once (a re-executed check) counts once: its latest
-- validation. When one validation covers files of several source systems (the suite validates a
-- table's whole delivery at once), source_system lists them all, sorted and joined with '+'.

with

results as (

    select * from {{ ref('stg_quality__dq_results') }}

),

manifest as (

    select * from {{ ref('stg_ingest__load_manifest') }}

),

validations_ranked as (

    select
        table_name,
        delivery_key,
        load_ids,
        run_id,
        checked_at,
        row_number() over (
            partition by table_name, delivery_key
            order by checked_at desc, run_id desc, expectation_name
        ) as validation_rank
    from results

),

latest_validations as (

    select table_name, delivery_key, load_ids, run_id, checked_at
    from validations_ranked
    where validation_rank = 1

),

delivery_loads as (

    select
        latest_validations.table_name,
        latest_validations.delivery_key,
        manifest.load_id,
        coalesce(manifest.source_system, 'unknown') as source_system,
        manifest.adapter_name,
        manifest.loaded_at
    from latest_validations
    inner join manifest
        on {{ list_contains('latest_validations.load_ids', 'manifest.load_id') }}

),

delivery_source_systems as (

    select distinct table_name, delivery_key, source_system
    from delivery_loads

),

delivery_adapters as (

    select distinct table_name, delivery_key, adapter_name
    from delivery_loads
    where adapter_name is not null

),

delivery_times as (

    select
        table_name,
        delivery_key,
        count(*) as load_count,
        min(loaded_at) as delivered_at
    from delivery_loads
    group by table_name, delivery_key

),

source_system_lists as (

    select
        table_name,
        delivery_key,
        {{ dbt.listagg('source_system', "'+'", 'order by source_system') }} as source_system
    from delivery_source_systems
    group by table_name, delivery_key

),

adapter_lists as (

    select
        table_name,
        delivery_key,
        {{ dbt.listagg('adapter_name', "', '", 'order by adapter_name') }} as adapter_names
    from delivery_adapters
    group by table_name, delivery_key

),

deliveries as (

    select
        latest_validations.table_name,
        latest_validations.delivery_key,
        latest_validations.run_id,
        latest_validations.checked_at,
        -- a load missing from the manifest (never expected) still counts, as 'unknown'
        coalesce(source_system_lists.source_system, 'unknown') as source_system,
        adapter_lists.adapter_names,
        coalesce(delivery_times.load_count, 0) as manifest_load_count,
        coalesce(delivery_times.delivered_at, latest_validations.checked_at) as delivered_at
    from latest_validations
    left join source_system_lists
        on latest_validations.table_name = source_system_lists.table_name
        and latest_validations.delivery_key = source_system_lists.delivery_key
    left join adapter_lists
        on latest_validations.table_name = adapter_lists.table_name
        and latest_validations.delivery_key = adapter_lists.delivery_key
    left join delivery_times
        on latest_validations.table_name = delivery_times.table_name
        and latest_validations.delivery_key = delivery_times.delivery_key

),

final as (

    select
        -- ids
        deliveries.source_system,
        deliveries.table_name,
        deliveries.delivery_key,
        deliveries.run_id,
        results.expectation_name,

        -- delivery
        deliveries.adapter_names,
        deliveries.manifest_load_count,
        {{ reporting_date('deliveries.delivered_at') }} as delivery_date,

        -- result
        results.expectation_type,
        results.severity,
        results.is_success,
        results.element_count,
        results.unexpected_count,
        results.unexpected_percent,

        -- timestamps
        deliveries.delivered_at,
        deliveries.checked_at

    from deliveries
    inner join results
        on deliveries.table_name = results.table_name
        and deliveries.delivery_key = results.delivery_key
        and deliveries.run_id = results.run_id

)

select * from final
