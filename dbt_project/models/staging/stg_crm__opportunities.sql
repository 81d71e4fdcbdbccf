-- One row per opportunity (latest delivery), deleted ones removed, the raw stage mapped to a
-- funnel stage_key (null when seed stage_mapping has no row for it). Deduplication and cleaning
-- happen once, incrementally, in base_crm__opportunities; the mapping stays here so an edited
-- stage_mapping applies to every opportunity at the next build.

with

cleaned as (

    select
        opportunity_id,
        account_id,
        lead_id,
        campaign_id,
        owner_id,
        opportunity_name,
        stage,
        lead_source,
        product,
        opportunity_type,
        loss_reason,
        amount,
        currency,
        probability,
        is_closed_exported,
        is_won_exported,
        created_at,
        close_date,
        _source_system,
        _source_file,
        _source_row,
        _load_id,
        _loaded_at
    from {{ ref('base_crm__opportunities') }}
    where not is_deleted

),

stage_mapping as (

    select * from {{ ref('stage_mapping') }} where entity_type = 'opportunity'

),

funnel_stages as (

    select * from {{ ref('funnel_stages') }}

),

mapped as (

    select
        cleaned.*,
        coalesce(by_system.stage_key, any_system.stage_key) as stage_key
    from cleaned
    left join stage_mapping as by_system
        on lower(trim(by_system.raw_value)) = lower(cleaned.stage)
        and by_system.source_system = cleaned._source_system
    left join stage_mapping as any_system
        on lower(trim(any_system.raw_value)) = lower(cleaned.stage)
        and any_system.source_system = '*'

),

final as (

    select
        mapped.opportunity_id,
        mapped.account_id,
        mapped.lead_id,
        mapped.campaign_id,
        mapped.owner_id,
        mapped.opportunity_name,
        mapped.stage,
        mapped.stage_key,
        mapped.lead_source,
        mapped.product,
        mapped.opportunity_type,
        mapped.loss_reason,
        mapped.amount,
        mapped.currency,
        mapped.probability,
        -- the export's flags win; without them the mapped stage decides
        coalesce(mapped.is_won_exported, funnel_stages.is_won, false) as is_won,
        coalesce(
            mapped.is_closed_exported,
            funnel_stages.is_won or funnel_stages.is_lost,
            false
        ) as is_closed,
        mapped.created_at,
        mapped.close_date,
        mapped._source_system,
        mapped._source_file,
        mapped._source_row,
        mapped._load_id,
        mapped._loaded_at
    from mapped
    left join funnel_stages
        on mapped.stage_key = funnel_stages.stage_key

)

select * from final
