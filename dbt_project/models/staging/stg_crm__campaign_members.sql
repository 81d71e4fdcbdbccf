-- One row per campaign membership (latest delivery). member_key is the CRM member id, or
-- campaign + lead/contact when the export has no member id.
-- Incremental: a night reads only the rows of new loads (macros/incremental.sql). As a view, each
-- of its five tests and its reader re-ranked every delivery ever loaded (~4 s each at 10M leads).

{{
    config(
        materialized=incremental_or_table(),
        unique_key='member_key',
    )
}}

with

source as (

    select * from {{ source('raw', 'crm_campaign_members') }}
    {{ new_loads_only() }}

),

keyed as (

    select
        source.*,
        coalesce(
            {{ clean_id('member_id') }},
            {{ dbt.concat([
                "trim(campaign_id)", "'|'",
                "coalesce(trim(lead_id), '')", "'|'",
                "coalesce(trim(contact_id), '')"
            ]) }}
        ) as member_key
    from source

),

deduplicated as (

    {{ latest_delivery('keyed', 'member_key') }}

),

final as (

    select
        -- ids
        member_key,
        {{ clean_id('member_id') }} as member_id,
        {{ clean_id('campaign_id') }} as campaign_id,
        {{ clean_id('lead_id') }} as lead_id,
        {{ clean_id('contact_id') }} as contact_id,

        -- status
        {{ clean_code('status') }} as member_status,
        coalesce(has_responded, responded_at is not null) as has_responded,

        -- timestamps
        created_at,
        responded_at,

        -- lineage
        _source_system,
        _source_file,
        _source_row,
        _load_id,
        _loaded_at

    from deduplicated

)

select * from final
