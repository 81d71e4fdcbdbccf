-- One row per opportunity (latest delivery), deleted ones removed, the raw stage mapped to a
-- funnel stage_key (null when seed stage_mapping has no row for it).

with

source as (

    {{ latest_delivery(source('raw', 'crm_opportunities'), 'trim(opportunity_id)') }}

),

stage_mapping as (

    select * from {{ ref('stage_mapping') }} where entity_type = 'opportunity'

),

funnel_stages as (

    select * from {{ ref('funnel_stages') }}

),

cleaned as (

    select
        -- ids
        {{ clean_id('opportunity_id') }} as opportunity_id,
        {{ clean_id('account_id') }} as account_id,
        {{ clean_id('lead_id') }} as lead_id,
        {{ clean_id('campaign_id') }} as campaign_id,
        {{ clean_id('owner_id') }} as owner_id,

        -- dimensions
        {{ clean_string('name') }} as opportunity_name,
        {{ clean_string('stage') }} as stage,
        {{ clean_string('lead_source') }} as lead_source,
        {{ clean_string('product') }} as product,
        {{ clean_code('opportunity_type') }} as opportunity_type,
        {{ clean_string('loss_reason') }} as loss_reason,

        -- measures
        amount,
        upper({{ clean_string('currency') }}) as currency,
        -- CRMs export 0-100 or 0-1: values above 1 are percentages
        case when probability > 1 then probability / 100.0 else probability end as probability,

        -- state as exported (completed from the mapped stage below)
        is_closed as is_closed_exported,
        is_won as is_won_exported,

        -- dates
        created_at,
        close_date,

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
