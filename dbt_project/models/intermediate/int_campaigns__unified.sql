-- One row per campaign across systems: CRM campaigns, and ad-platform campaigns (ad_spend), matched
-- to a CRM campaign by normalized name. campaign_key = the CRM campaign id, else
-- 'ads:<platform>:<normalized name>' for ad campaigns without a CRM campaign.

with

crm as (

    select * from {{ ref('stg_crm__campaigns') }}

),

ads as (

    select
        platform,
        {{ normalize_name('campaign_name') }} as normalized_name,
        max(campaign_name) as campaign_name,
        max(campaign_id) as ad_campaign_id,
        min(period_start) as first_spend_date,
        max(period_end) as last_spend_date
    from {{ ref('stg_ads__ad_spend') }}
    group by platform, {{ normalize_name('campaign_name') }}

),

crm_named as (

    select crm.*, {{ normalize_name('crm.campaign_name') }} as normalized_name
    from crm

),

crm_name_unique as (

    -- a name shared by several CRM campaigns cannot identify one of them
    select normalized_name, min(campaign_id) as campaign_id
    from crm_named
    where normalized_name is not null
    group by normalized_name
    having count(*) = 1

),

ads_matched as (

    select ads.*, crm_name_unique.campaign_id as crm_campaign_id
    from ads
    left join crm_name_unique
        on ads.normalized_name = crm_name_unique.normalized_name

),

ad_platforms as (

    select
        crm_campaign_id,
        min(platform) as ad_platform,
        count(*) as ad_campaign_count
    from ads_matched
    where crm_campaign_id is not null
    group by crm_campaign_id

),

final as (

    select
        crm_named.campaign_id as campaign_key,
        crm_named.campaign_id as crm_campaign_id,
        crm_named.campaign_name,
        crm_named.normalized_name,
        crm_named.channel as crm_channel,
        crm_named.campaign_status,
        ad_platforms.ad_platform,
        crm_named.start_date,
        crm_named.end_date,
        crm_named.budget,
        crm_named.currency,
        'crm' as campaign_source
    from crm_named
    left join ad_platforms
        on crm_named.campaign_id = ad_platforms.crm_campaign_id

    union all

    select
        {{ dbt.concat(["'ads:'", "platform", "':'", "normalized_name"]) }} as campaign_key,
        cast(null as {{ dbt.type_string() }}) as crm_campaign_id,
        campaign_name,
        normalized_name,
        cast(null as {{ dbt.type_string() }}) as crm_channel,
        cast(null as {{ dbt.type_string() }}) as campaign_status,
        platform as ad_platform,
        first_spend_date as start_date,
        last_spend_date as end_date,
        cast(null as {{ type_double() }}) as budget,
        cast(null as {{ dbt.type_string() }}) as currency,
        'ad_platform' as campaign_source
    from ads_matched
    where crm_campaign_id is null

)

select * from final
