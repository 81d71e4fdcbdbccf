-- One row per recorded stage entry of a lead or opportunity (latest delivery of each row), the raw
-- stage mapped to a funnel stage_key (null when seed stage_mapping has no row for it).
-- Consecutive rows in the same stage (e.g. Salesforce amount changes) are kept here and collapsed
-- in int_stage_events__opportunities. Deduplication and cleaning happen once, incrementally, in
-- base_crm__stage_history; the mapping stays here so an edited stage_mapping applies at the next build.

with

cleaned as (

    select * from {{ ref('base_crm__stage_history') }}

),

stage_mapping as (

    select * from {{ ref('stage_mapping') }}

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
