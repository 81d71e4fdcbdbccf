-- One row per campaign across systems: CRM campaigns, ad-platform campaigns (ad_spend) and UTM
-- campaign names (web forms) that resolve to no CRM campaign, each under the campaign_key that
-- int_campaigns__references resolved (seed campaign_mapping, then id, then normalized name).
-- campaign_key = the CRM campaign id, else 'ads:<platform>:<normalized name>' for ad campaigns,
-- else 'utm:<normalized name>'.

with

crm as (

    select * from {{ ref('stg_crm__campaigns') }}

),

campaign_refs as (

    select * from {{ ref('int_campaigns__references') }}

),

spend_dates as (

    select
        platform,
        {{ normalize_name('campaign_name') }} as normalized_name,
        min(period_start) as first_spend_date,
        max(period_end) as last_spend_date
    from {{ ref('stg_ads__ad_spend') }}
    group by platform, {{ normalize_name('campaign_name') }}

),

ad_platforms as (

    select
        crm_campaign_id,
        min(platform) as ad_platform,
        count(*) as ad_campaign_count
    from campaign_refs
    where source = 'ad_platform' and crm_campaign_id is not null
    group by crm_campaign_id

),

ad_only as (

    select
        campaign_refs.campaign_key,
        max(campaign_refs.reference_name) as campaign_name,
        max(campaign_refs.normalized_name) as normalized_name,
        min(campaign_refs.platform) as ad_platform,
        min(spend_dates.first_spend_date) as start_date,
        max(spend_dates.last_spend_date) as end_date
    from campaign_refs
    left join spend_dates
        on campaign_refs.platform = spend_dates.platform
        and campaign_refs.normalized_name = spend_dates.normalized_name
    where campaign_refs.source = 'ad_platform' and campaign_refs.crm_campaign_id is null
    group by campaign_refs.campaign_key

),

utm_only as (

    select
        campaign_key,
        max(reference_name) as campaign_name,
        max(normalized_name) as normalized_name
    from campaign_refs
    where source = 'utm' and match_method = 'unmatched'
    group by campaign_key

),

final as (

    select
        crm.campaign_id as campaign_key,
        crm.campaign_id as crm_campaign_id,
        crm.campaign_name,
        {{ normalize_name('crm.campaign_name') }} as normalized_name,
        crm.channel as crm_channel,
        crm.campaign_status,
        ad_platforms.ad_platform,
        crm.start_date,
        crm.end_date,
        crm.budget,
        crm.currency,
        'crm' as campaign_source
    from crm
    left join ad_platforms
        on crm.campaign_id = ad_platforms.crm_campaign_id

    union all

    select
        campaign_key,
        cast(null as {{ dbt.type_string() }}) as crm_campaign_id,
        campaign_name,
        normalized_name,
        cast(null as {{ dbt.type_string() }}) as crm_channel,
        cast(null as {{ dbt.type_string() }}) as campaign_status,
        ad_platform,
        start_date,
        end_date,
        cast(null as {{ type_double() }}) as budget,
        cast(null as {{ dbt.type_string() }}) as currency,
        'ad_platform' as campaign_source
    from ad_only

    union all

    select
        campaign_key,
        cast(null as {{ dbt.type_string() }}) as crm_campaign_id,
        campaign_name,
        normalized_name,
        cast(null as {{ dbt.type_string() }}) as crm_channel,
        cast(null as {{ dbt.type_string() }}) as campaign_status,
        cast(null as {{ dbt.type_string() }}) as ad_platform,
        cast(null as date) as start_date,
        cast(null as date) as end_date,
        cast(null as {{ type_double() }}) as budget,
        cast(null as {{ dbt.type_string() }}) as currency,
        'utm' as campaign_source
    from utm_only

)

select * from final
