-- One row per campaign reference seen in a source system — every CRM campaign, every ad-platform
-- campaign (platform × normalized name, from ad_spend) and every utm_campaign value of the web
-- forms — with the campaign_key it resolves to. Resolution, first rule that matches wins:
--   1. seed campaign_mapping (overrides: by source id, else by normalized source name, to a CRM
--      campaign by id, else by normalized name)                         -> match_method mapping_seed
--   2. the reference's id (ad campaign id / utm value) is a CRM campaign id           -> id
--   3. its normalized name equals exactly one CRM campaign's normalized name          -> name
--   4. (utm only) its normalized name equals an unmatched ad campaign's               -> ad_name
--   5. none: its own key 'ads:<platform>:<normalized name>' / 'utm:<normalized name>' -> unmatched
-- Normalized name: lowercased, runs of spaces, hyphens, underscores and | collapsed (normalize_name),
-- so 'Search-Brand-US', 'search_brand_us' and 'Search Brand US' are one name.

with

crm as (

    select * from {{ ref('stg_crm__campaigns') }}

),

ads as (

    select * from {{ ref('stg_ads__ad_spend') }}

),

utm_campaigns as (

    -- each distinct utm_campaign of the form submissions: the names below are normalized once per
    -- name rather than once per submission (a regex over every one of 9.5M submissions at 10M leads)
    select distinct utm_campaign from {{ ref('stg_forms__submissions') }}

),

mapping as (

    select
        lower(trim(source)) as source,
        {{ clean_id('source_campaign_id') }} as source_campaign_id,
        {{ normalize_name('source_campaign_name') }} as source_normalized_name,
        {{ clean_id('crm_campaign_id') }} as crm_campaign_id,
        {{ normalize_name('crm_campaign_name') }} as crm_normalized_name
    from {{ ref('campaign_mapping') }}

),

crm_named as (

    select campaign_id, campaign_name, {{ normalize_name('campaign_name') }} as normalized_name
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

mapping_targets as (

    -- each mapping row with the CRM campaign it points to (by id, else by unique normalized name)
    select
        mapping.source,
        mapping.source_campaign_id,
        mapping.source_normalized_name,
        coalesce(by_id.campaign_id, by_name.campaign_id) as crm_campaign_id
    from mapping
    left join crm_named as by_id
        on mapping.crm_campaign_id = by_id.campaign_id
    left join crm_name_unique as by_name
        on mapping.crm_campaign_id is null
        and mapping.crm_normalized_name = by_name.normalized_name

),

raw_references as (

    select
        'ad_platform' as source,
        platform,
        max(campaign_id) as reference_id,
        max(campaign_name) as reference_name,
        {{ normalize_name('campaign_name') }} as normalized_name
    from ads
    group by platform, {{ normalize_name('campaign_name') }}

    union all

    select
        'utm' as source,
        cast(null as {{ dbt.type_string() }}) as platform,
        max(utm_campaign) as reference_id,
        max(utm_campaign) as reference_name,
        {{ normalize_name('utm_campaign') }} as normalized_name
    from utm_campaigns
    where {{ normalize_name('utm_campaign') }} is not null
    group by {{ normalize_name('utm_campaign') }}

),

resolved as (

    select
        raw_references.*,
        case
            when by_mapping_id.crm_campaign_id is not null or by_mapping_name.crm_campaign_id is not null then 'mapping_seed'
            when by_id.campaign_id is not null then 'id'
            when by_name.campaign_id is not null then 'name'
        end as crm_match_method,
        coalesce(
            by_mapping_id.crm_campaign_id, by_mapping_name.crm_campaign_id, by_id.campaign_id, by_name.campaign_id
        ) as crm_campaign_id
    from raw_references
    left join mapping_targets as by_mapping_id
        on by_mapping_id.source in (raw_references.source, '*')
        and by_mapping_id.source_campaign_id = raw_references.reference_id
    left join mapping_targets as by_mapping_name
        on by_mapping_name.source in (raw_references.source, '*')
        and by_mapping_name.source_campaign_id is null
        and by_mapping_name.source_normalized_name = raw_references.normalized_name
    left join crm_named as by_id
        on raw_references.reference_id = by_id.campaign_id
    left join crm_name_unique as by_name
        on raw_references.normalized_name = by_name.normalized_name

),

unmatched_ads as (

    -- ad campaigns without a CRM campaign: their own key, shared with UTM values of the same name
    select
        normalized_name,
        min({{ dbt.concat(["'ads:'", "platform", "':'", "normalized_name"]) }}) as campaign_key
    from resolved
    where source = 'ad_platform' and crm_campaign_id is null
    group by normalized_name

),

final as (

    select
        'crm' as source,
        cast(null as {{ dbt.type_string() }}) as platform,
        campaign_id as reference_id,
        campaign_name as reference_name,
        normalized_name,
        campaign_id as crm_campaign_id,
        campaign_id as campaign_key,
        'crm' as match_method
    from crm_named

    union all

    select
        resolved.source,
        resolved.platform,
        resolved.reference_id,
        resolved.reference_name,
        resolved.normalized_name,
        resolved.crm_campaign_id,
        case
            when resolved.crm_campaign_id is not null then resolved.crm_campaign_id
            when resolved.source = 'ad_platform'
                then {{ dbt.concat(["'ads:'", "resolved.platform", "':'", "resolved.normalized_name"]) }}
            when unmatched_ads.campaign_key is not null then unmatched_ads.campaign_key
            else {{ dbt.concat(["'utm:'", "resolved.normalized_name"]) }}
        end as campaign_key,
        case
            when resolved.crm_campaign_id is not null then resolved.crm_match_method
            when resolved.source = 'utm' and unmatched_ads.campaign_key is not null then 'ad_name'
            else 'unmatched'
        end as match_method
    from resolved
    left join unmatched_ads
        on resolved.source = 'utm'
        and resolved.normalized_name = unmatched_ads.normalized_name

)

select * from final
