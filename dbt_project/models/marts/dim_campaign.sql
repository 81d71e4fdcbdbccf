-- One row per campaign across CRM and ad platforms (int_campaigns__unified), with its channel:
-- the CRM campaign type through seed channel_mapping, else the ad platform's, else `other`.

with

campaigns as (

    select * from {{ ref('int_campaigns__unified') }}

),

channel_mapping as (

    select match_field, lower(trim(match_value)) as match_value, channel_key, priority
    from {{ ref('channel_mapping') }}

),

channel_candidates as (

    select campaigns.campaign_key, channel_mapping.channel_key, channel_mapping.priority
    from campaigns
    inner join channel_mapping
        on (channel_mapping.match_field = 'campaign_channel' and channel_mapping.match_value = lower(trim(campaigns.crm_channel)))
        or (channel_mapping.match_field = 'ad_platform' and channel_mapping.match_value = lower(trim(campaigns.ad_platform)))

),

best_channel as (

    select campaign_key, channel_key
    from (
        select
            channel_candidates.*,
            row_number() over (partition by campaign_key order by priority, channel_key) as channel_rank
        from channel_candidates
    ) as ranked
    where channel_rank = 1

),

final as (

    select
        cast(campaigns.campaign_key as {{ dbt.type_string() }}) as campaign_key,
        cast(campaigns.crm_campaign_id as {{ dbt.type_string() }}) as crm_campaign_id,
        cast(campaigns.campaign_name as {{ dbt.type_string() }}) as campaign_name,
        cast(campaigns.normalized_name as {{ dbt.type_string() }}) as normalized_name,
        cast(coalesce(best_channel.channel_key, 'other') as {{ dbt.type_string() }}) as channel_key,
        cast(campaigns.crm_channel as {{ dbt.type_string() }}) as crm_channel,
        cast(campaigns.ad_platform as {{ dbt.type_string() }}) as ad_platform,
        cast(campaigns.campaign_status as {{ dbt.type_string() }}) as campaign_status,
        cast(campaigns.start_date as date) as start_date,
        cast(campaigns.end_date as date) as end_date,
        cast(campaigns.budget as {{ type_double() }}) as budget,
        cast(campaigns.currency as {{ dbt.type_string() }}) as currency,
        cast(campaigns.campaign_source as {{ dbt.type_string() }}) as campaign_source
    from campaigns
    left join best_channel
        on campaigns.campaign_key = best_channel.campaign_key

)

select * from final
