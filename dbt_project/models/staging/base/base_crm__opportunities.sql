-- One row per opportunity id: its latest delivery (deleted ones included, flagged), columns cleaned.
-- The view stg_crm__opportunities drops deleted ones and maps the stage.
-- Incremental: a night reads only the rows of new loads, so the cost follows the delivery and not
-- the history of nightly full exports kept in raw (macros/incremental.sql).

{{
    config(
        materialized=incremental_or_table(),
        unique_key='opportunity_id',
    )
}}

with

deduplicated as (

    {{ latest_new_delivery(source('raw', 'crm_opportunities'), 'trim(opportunity_id)') }}

),

final as (

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
        coalesce(is_deleted, false) as is_deleted,

        -- dates
        created_at,
        close_date,

        -- lineage
        _source_system,
        _source_file,
        _source_row,
        _load_id,
        _loaded_at

    from deduplicated

)

select * from final
