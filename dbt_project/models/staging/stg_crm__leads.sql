-- One row per lead (latest delivery), deleted leads removed, contact data normalized and the raw
-- status mapped to a funnel stage_key (null when seed stage_mapping has no row for it).
-- Deduplication and cleaning happen once, incrementally, in base_crm__leads; the mapping stays here
-- so an edited stage_mapping applies to every lead at the next build.

with

cleaned as (

    select
        lead_id,
        owner_id,
        campaign_id,
        converted_opportunity_id,
        converted_account_id,
        full_name,
        email,
        phone,
        company,
        match_key_hash,
        content_hash,
        title,
        industry,
        employees,
        annual_revenue,
        country,
        region,
        city,
        lead_source,
        status,
        disqualify_reason,
        is_converted,
        created_at,
        converted_at,
        _source_system,
        _source_file,
        _source_row,
        _load_id,
        _loaded_at
    from {{ ref('base_crm__leads') }}
    where not is_deleted

),

stage_mapping as (

    select * from {{ ref('stage_mapping') }} where entity_type = 'lead'

),

mapped as (

    select
        cleaned.*,
        coalesce(by_system.stage_key, any_system.stage_key) as stage_key
    from cleaned
    left join stage_mapping as by_system
        on lower(trim(by_system.raw_value)) = lower(cleaned.status)
        and by_system.source_system = cleaned._source_system
    left join stage_mapping as any_system
        on lower(trim(any_system.raw_value)) = lower(cleaned.status)
        and any_system.source_system = '*'

)

select * from mapped
