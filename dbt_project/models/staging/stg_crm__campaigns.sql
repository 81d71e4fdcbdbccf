-- One row per CRM campaign (latest delivery), deleted campaigns removed.

with

source as (

    {{ latest_delivery(source('raw', 'crm_campaigns'), 'trim(campaign_id)') }}

),

final as (

    select
        -- ids
        {{ clean_id('campaign_id') }} as campaign_id,

        -- dimensions
        {{ clean_string('name') }} as campaign_name,
        {{ clean_string('channel') }} as channel,
        {{ clean_code('status') }} as campaign_status,

        -- measures
        budget,
        actual_cost,
        upper({{ clean_string('currency') }}) as currency,

        -- dates
        start_date,
        end_date,

        -- lineage
        _source_system,
        _source_file,
        _source_row,
        _load_id,
        _loaded_at

    from source
    where not coalesce(is_deleted, false)

)

select * from final
