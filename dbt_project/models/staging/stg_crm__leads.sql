-- One row per lead (latest delivery), deleted leads removed, contact data normalized and the raw
-- status mapped to a funnel stage_key (null when seed stage_mapping has no row for it).

with

source as (

    {{ latest_delivery(source('raw', 'crm_leads'), 'trim(lead_id)') }}

),

stage_mapping as (

    select * from {{ ref('stage_mapping') }} where entity_type = 'lead'

),

cleaned as (

    select
        -- ids
        {{ clean_id('lead_id') }} as lead_id,
        {{ clean_id('owner_id') }} as owner_id,
        {{ clean_id('campaign_id') }} as campaign_id,
        {{ clean_id('converted_opportunity_id') }} as converted_opportunity_id,
        {{ clean_id('converted_account_id') }} as converted_account_id,

        -- person (PII: stays in staging/intermediate, hashed in marts)
        {{ clean_string('name') }} as full_name,
        {{ normalize_email('email') }} as email,
        {{ normalize_phone('phone', 'country') }} as phone,

        -- company
        {{ clean_string('company') }} as company,
        {{ clean_string('title') }} as title,
        {{ clean_string('industry') }} as industry,
        employees,
        annual_revenue,
        {{ clean_string('country') }} as country,
        {{ clean_string('region') }} as region,
        {{ clean_string('city') }} as city,

        -- funnel
        {{ clean_string('lead_source') }} as lead_source,
        {{ clean_string('status') }} as status,
        {{ clean_string('disqualify_reason') }} as disqualify_reason,
        coalesce(is_converted, false) as is_converted,

        -- timestamps
        created_at,
        converted_at,

        -- lineage
        _source_system,
        _source_file,
        _source_row,
        _load_id,
        _loaded_at

    from source
    where not coalesce(is_deleted, false)

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
