-- One row per raw status / stage value that seed stage_mapping does not map, per source system,
-- entity type and field: the values to add to the seed. Records carrying them keep stage_key null
-- in staging (visible, never dropped); the warn-level test assert_stage_values_mapped lists them.

with

leads as (

    select * from {{ ref('stg_crm__leads') }}

),

opportunities as (

    select * from {{ ref('stg_crm__opportunities') }}

),

history as (

    select * from {{ ref('stg_crm__stage_history') }}

),

unmapped as (

    select _source_system, 'lead' as entity_type, 'crm_leads.status' as source_field, status as raw_value, lead_id as record_id
    from leads
    where status is not null and stage_key is null

    union all

    select _source_system, 'opportunity' as entity_type, 'crm_opportunities.stage' as source_field, stage as raw_value, opportunity_id as record_id
    from opportunities
    where stage is not null and stage_key is null

    union all

    select _source_system, entity_type, 'crm_stage_history.stage' as source_field, stage as raw_value, entity_id as record_id
    from history
    where stage is not null and stage_key is null

),

final as (

    select
        _source_system as source_system,
        entity_type,
        source_field,
        raw_value,
        count(*) as record_count,
        min(record_id) as example_record_id
    from unmapped
    group by _source_system, entity_type, source_field, raw_value

)

select * from final
