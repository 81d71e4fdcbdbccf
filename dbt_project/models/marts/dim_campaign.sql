-- One row per campaign across CRM and ad platforms (int_campaigns__unified), with its channel
-- (int_campaigns__channels: CRM campaign type, ad platform and form utm_medium through seed
-- channel_mapping, lowest priority wins, else `other`).

with

campaigns as (

    select * from {{ ref('int_campaigns__unified') }}

),

campaign_channels as (

    select * from {{ ref('int_campaigns__channels') }}

),

final as (

    select
        cast(campaigns.campaign_key as {{ dbt.type_string() }}) as campaign_key,
        cast(campaigns.crm_campaign_id as {{ dbt.type_string() }}) as crm_campaign_id,
        cast(campaigns.campaign_name as {{ dbt.type_string() }}) as campaign_name,
        cast(campaigns.normalized_name as {{ dbt.type_string() }}) as normalized_name,
        cast(campaign_channels.channel_key as {{ dbt.type_string() }}) as channel_key,
        cast(campaigns.crm_channel as {{ dbt.type_string() }}) as crm_channel,
        cast(campaigns.ad_platform as {{ dbt.type_string() }}) as ad_platform,
        cast(campaigns.campaign_status as {{ dbt.type_string() }}) as campaign_status,
        cast(campaigns.start_date as date) as start_date,
        cast(campaigns.end_date as date) as end_date,
        cast(campaigns.budget as {{ type_double() }}) as budget,
        cast(campaigns.currency as {{ dbt.type_string() }}) as currency,
        cast(campaigns.campaign_source as {{ dbt.type_string() }}) as campaign_source
    from campaigns
    left join campaign_channels
        on campaigns.campaign_key = campaign_channels.campaign_key

)

select * from final
