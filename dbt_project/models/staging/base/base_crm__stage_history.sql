-- One row per recorded stage entry of a lead or opportunity (history id, else entity + stage + entry
-- time): its latest delivery, columns cleaned. The view stg_crm__stage_history maps the raw stage.
-- Incremental: a night reads only the rows of new loads (macros/incremental.sql).

{{
    config(
        materialized=incremental_or_table(),
        unique_key='stage_history_key',
    )
}}

with

new_loads as (

    select * from {{ source('raw', 'crm_stage_history') }}
    {{ new_loads_only() }}

),

keyed as (

    -- the CRM's history id when exported, else entity + stage + entry time
    select
        new_loads.*,
        coalesce(
            {{ clean_id('history_id') }},
            {{ dbt.concat([
                "lower(trim(entity_type))", "'|'", "trim(entity_id)", "'|'", "trim(stage)", "'|'",
                dbt.safe_cast("entered_at", dbt.type_string())
            ]) }}
        ) as stage_history_key
    from new_loads

),

deduplicated as (

    {{ latest_delivery('keyed', 'stage_history_key') }}

),

final as (

    select
        -- ids
        stage_history_key,
        {{ clean_id('history_id') }} as history_id,
        {{ clean_code('entity_type') }} as entity_type,
        {{ clean_id('entity_id') }} as entity_id,

        -- stage
        {{ clean_string('stage') }} as stage,
        amount,
        case when probability > 1 then probability / 100.0 else probability end as probability,

        -- timestamps
        entered_at,
        exited_at,

        -- lineage
        _source_system,
        _source_file,
        _source_row,
        _load_id,
        _loaded_at

    from deduplicated

)

select * from final
