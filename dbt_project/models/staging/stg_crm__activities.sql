-- One row per sales touch (latest delivery of each activity).
-- Incremental: a night reads only the rows of new loads (macros/incremental.sql).

{{
    config(
        materialized=incremental_or_table(),
        unique_key='activity_id',
    )
}}


with

source as (

    {{ latest_new_delivery(source('raw', 'crm_activities'), 'trim(activity_id)') }}

),

final as (

    select
        -- ids
        {{ clean_id('activity_id') }} as activity_id,
        {{ clean_code('entity_type') }} as entity_type,
        {{ clean_id('entity_id') }} as entity_id,
        {{ clean_id('owner_id') }} as owner_id,

        -- dimensions
        {{ clean_code('activity_type') }} as activity_type,

        -- timestamps
        occurred_at,

        -- lineage
        _source_system,
        _source_file,
        _source_row,
        _load_id,
        _loaded_at

    from source

)

select * from final
