-- One row per recorded stage entry of a lead or opportunity (latest delivery of each row), the raw
-- stage mapped to a funnel stage_key (null when seed stage_mapping has no row for it).
-- Consecutive rows in the same stage (e.g. Salesforce amount changes) are kept here and collapsed
-- in int_stage_events__opportunities.

with

source as (

    select * from {{ source('raw', 'crm_stage_history') }}

),

keyed as (

    -- the CRM's history id when exported, else entity + stage + entry time
    select
        source.*,
        coalesce(
            {{ clean_id('history_id') }},
            {{ dbt.concat([
                "lower(trim(entity_type))", "'|'", "trim(entity_id)", "'|'", "trim(stage)", "'|'",
                dbt.safe_cast("entered_at", dbt.type_string())
            ]) }}
        ) as stage_history_key
    from source

),

deduplicated as (

    {{ latest_delivery('keyed', 'stage_history_key') }}

),

stage_mapping as (

    select * from {{ ref('stage_mapping') }}

),

cleaned as (

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

),

mapped as (

    select
        cleaned.*,
        coalesce(by_system.stage_key, any_system.stage_key) as stage_key
    from cleaned
    left join stage_mapping as by_system
        on lower(trim(by_system.raw_value)) = lower(cleaned.stage)
        and by_system.entity_type = cleaned.entity_type
        and by_system.source_system = cleaned._source_system
    left join stage_mapping as any_system
        on lower(trim(any_system.raw_value)) = lower(cleaned.stage)
        and any_system.entity_type = cleaned.entity_type
        and any_system.source_system = '*'

),

final as (

    select
        stage_history_key,
        history_id,
        entity_type,
        entity_id,
        stage,
        stage_key,
        amount,
        probability,
        entered_at,
        exited_at,
        _source_system,
        _source_file,
        _source_row,
        _load_id,
        _loaded_at
    from mapped

)

select * from final
