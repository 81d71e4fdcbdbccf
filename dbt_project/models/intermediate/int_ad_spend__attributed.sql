-- One row per ad_spend row (platform × campaign × day or report period) with the campaign_key it
-- resolves to (int_campaigns__references: seed campaign_mapping, then id, then normalized name),
-- its reporting month (of the day, or of the period's first day) and the spend converted to
-- var('base_currency') through int_fx_rates (the month's rate, else the constant one). A missing
-- currency means the base currency; a currency without a rate keeps spend_base_amount null.

with

spend as (

    select * from {{ ref('stg_ads__ad_spend') }}

),

campaign_refs as (

    select * from {{ ref('int_campaigns__references') }} where source = 'ad_platform'

),

fx as (

    select * from {{ ref('int_fx_rates') }}

),

keyed as (

    select
        spend.*,
        {{ normalize_name('spend.campaign_name') }} as normalized_name,
        {{ reporting_month('spend.spend_date') }} as spend_month,
        coalesce(spend.currency, '{{ var("base_currency", "USD") | upper }}') as spend_currency
    from spend

),

final as (

    select
        keyed.ad_spend_key,
        keyed.platform,
        keyed.campaign_id as ad_campaign_id,
        keyed.campaign_name as ad_campaign_name,
        campaign_refs.campaign_key,
        campaign_refs.match_method,
        keyed.spend_date,
        keyed.spend_month,
        keyed.impressions,
        keyed.clicks,
        keyed.spend as spend_amount,
        keyed.spend_currency,
        coalesce(monthly.rate_to_base, constant.rate_to_base) as fx_rate_to_base,
        keyed.spend * coalesce(monthly.rate_to_base, constant.rate_to_base) as spend_base_amount
    from keyed
    left join campaign_refs
        on keyed.platform = campaign_refs.platform
        and keyed.normalized_name = campaign_refs.normalized_name
    left join fx as monthly
        on keyed.spend_currency = monthly.currency
        and keyed.spend_month = monthly.rate_month
    left join fx as constant
        on keyed.spend_currency = constant.currency
        and constant.rate_month is null

)

select * from final
