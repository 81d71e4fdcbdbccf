-- One row per attribution model (first_touch, last_touch) × campaign × month, plus one total row
-- per attribution model × campaign (period_month null, is_total): ad spend (base currency through
-- seed fx_rates, original currency kept), impressions, clicks, inquiries (form submissions), and
-- the funnel of the leads attributed to the campaign (by lead creation month): leads, qualified,
-- opportunities, won, revenue (their won deals, base currency); CTR, CPC, CPL, CAC, ROAS, ROI.
-- Leads without a campaign touch are kept under campaign_key 'unattributed'; spend of campaigns
-- without leads is kept on the campaign's own rows.

{%- set base = var('base_currency', 'USD') | upper %}
{%- set models = ['first_touch', 'last_touch'] %}

with

spend as (

    select * from {{ ref('int_ad_spend__attributed') }}

),

submissions as (

    select * from {{ ref('int_submissions__attributed') }}

),

lead_campaigns as (

    select * from {{ ref('int_leads__campaigns') }}

),

leads as (

    select * from {{ ref('fct_leads') }}

),

won_deals as (

    select lead_id, {{ exact_sum('amount_base') }} as revenue_base_amount
    from {{ ref('int_opportunities__base_currency') }}
    where is_closed_won and lead_id is not null
    group by lead_id

),

campaigns as (

    select * from {{ ref('dim_campaign') }}

),

spend_by_month as (

    select
        coalesce(campaign_key, 'unattributed') as campaign_key,
        spend_month as period_month,
        {{ exact_sum('spend_base_amount') }} as spend_base_amount,
        {{ exact_sum('spend_amount') }} as spend_original_amount,
        min(spend_currency) as min_currency,
        max(spend_currency) as max_currency,
        sum(impressions) as impressions,
        sum(clicks) as clicks
    from spend
    group by coalesce(campaign_key, 'unattributed'), spend_month

),

inquiries_by_month as (

    select
        coalesce(campaign_key, 'unattributed') as campaign_key,
        submitted_month as period_month,
        count(*) as inquiry_count
    from submissions
    group by coalesce(campaign_key, 'unattributed'), submitted_month

),

attributed_leads as (

    {%- for m in models %}
    select
        '{{ m }}' as attribution_model,
        coalesce(lead_campaigns.{{ m }}_campaign_key, 'unattributed') as campaign_key,
        leads.cohort_month as period_month,
        leads.lead_id,
        leads.has_reached_qualified,
        leads.has_reached_discovery,
        leads.has_reached_won,
        won_deals.revenue_base_amount
    from leads
    left join lead_campaigns
        on leads.lead_id = lead_campaigns.lead_id
    left join won_deals
        on leads.lead_id = won_deals.lead_id
    {{ 'union all' if not loop.last }}
    {%- endfor %}

),

leads_by_month as (

    select
        attribution_model,
        campaign_key,
        period_month,
        count(*) as lead_count,
        sum(case when has_reached_qualified then 1 else 0 end) as qualified_count,
        sum(case when has_reached_discovery then 1 else 0 end) as opportunity_count,
        sum(case when has_reached_won then 1 else 0 end) as won_count,
        {{ exact_sum('coalesce(revenue_base_amount, 0)') }} as revenue_base_amount
    from attributed_leads
    group by attribution_model, campaign_key, period_month

),

attribution_models as (

    {%- for m in models %}
    select '{{ m }}' as attribution_model{{ ' union all' if not loop.last }}
    {%- endfor %}

),

keys as (

    select attribution_models.attribution_model, spend_by_month.campaign_key, spend_by_month.period_month
    from spend_by_month
    cross join attribution_models

    union

    select attribution_models.attribution_model, inquiries_by_month.campaign_key, inquiries_by_month.period_month
    from inquiries_by_month
    cross join attribution_models

    union

    select attribution_model, campaign_key, period_month from leads_by_month

),

monthly as (

    select
        keys.attribution_model,
        keys.campaign_key,
        keys.period_month,
        false as is_total,
        coalesce(spend_by_month.spend_base_amount, 0) as spend_base_amount,
        coalesce(spend_by_month.spend_original_amount, 0) as spend_original_amount,
        spend_by_month.min_currency,
        spend_by_month.max_currency,
        coalesce(spend_by_month.impressions, 0) as impressions,
        coalesce(spend_by_month.clicks, 0) as clicks,
        coalesce(inquiries_by_month.inquiry_count, 0) as inquiry_count,
        coalesce(leads_by_month.lead_count, 0) as lead_count,
        coalesce(leads_by_month.qualified_count, 0) as qualified_count,
        coalesce(leads_by_month.opportunity_count, 0) as opportunity_count,
        coalesce(leads_by_month.won_count, 0) as won_count,
        coalesce(leads_by_month.revenue_base_amount, 0) as revenue_base_amount
    from keys
    left join spend_by_month
        on keys.campaign_key = spend_by_month.campaign_key
        and keys.period_month is not distinct from spend_by_month.period_month
    left join inquiries_by_month
        on keys.campaign_key = inquiries_by_month.campaign_key
        and keys.period_month is not distinct from inquiries_by_month.period_month
    left join leads_by_month
        on keys.attribution_model = leads_by_month.attribution_model
        and keys.campaign_key = leads_by_month.campaign_key
        and keys.period_month is not distinct from leads_by_month.period_month

),

totals as (

    select
        attribution_model,
        campaign_key,
        cast(null as date) as period_month,
        true as is_total,
        {{ exact_sum('spend_base_amount') }} as spend_base_amount,
        {{ exact_sum('spend_original_amount') }} as spend_original_amount,
        min(min_currency) as min_currency,
        max(max_currency) as max_currency,
        sum(impressions) as impressions,
        sum(clicks) as clicks,
        sum(inquiry_count) as inquiry_count,
        sum(lead_count) as lead_count,
        sum(qualified_count) as qualified_count,
        sum(opportunity_count) as opportunity_count,
        sum(won_count) as won_count,
        {{ exact_sum('revenue_base_amount') }} as revenue_base_amount
    from monthly
    group by attribution_model, campaign_key

),

unioned as (

    select * from monthly
    union all
    select * from totals

),

final as (

    select
        -- grain
        cast(unioned.attribution_model as {{ dbt.type_string() }}) as attribution_model,
        cast(unioned.campaign_key as {{ dbt.type_string() }}) as campaign_key,
        cast(unioned.period_month as date) as period_month,
        unioned.is_total,

        -- campaign
        cast(
            case when unioned.campaign_key = 'unattributed' then '(unattributed)' else campaigns.campaign_name end
            as {{ dbt.type_string() }}
        ) as campaign_name,
        cast(
            case when unioned.campaign_key = 'unattributed' then 'unattributed' else campaigns.campaign_source end
            as {{ dbt.type_string() }}
        ) as campaign_source,
        cast(campaigns.channel_key as {{ dbt.type_string() }}) as channel_key,

        -- spend
        cast('{{ base }}' as {{ dbt.type_string() }}) as base_currency,
        cast(unioned.spend_base_amount as {{ type_double() }}) as spend_base_amount,
        cast(
            case when unioned.min_currency = unioned.max_currency then unioned.min_currency
                 when unioned.min_currency is not null then 'mixed' end
            as {{ dbt.type_string() }}
        ) as spend_original_currency,
        cast(
            case when unioned.min_currency = unioned.max_currency then unioned.spend_original_amount end
            as {{ type_double() }}
        ) as spend_original_amount,
        cast(unioned.impressions as {{ dbt.type_bigint() }}) as impressions,
        cast(unioned.clicks as {{ dbt.type_bigint() }}) as clicks,

        -- funnel
        cast(unioned.inquiry_count as {{ dbt.type_bigint() }}) as inquiry_count,
        cast(unioned.lead_count as {{ dbt.type_bigint() }}) as lead_count,
        cast(unioned.qualified_count as {{ dbt.type_bigint() }}) as qualified_count,
        cast(unioned.opportunity_count as {{ dbt.type_bigint() }}) as opportunity_count,
        cast(unioned.won_count as {{ dbt.type_bigint() }}) as won_count,
        cast(unioned.revenue_base_amount as {{ type_double() }}) as revenue_base_amount,

        -- ratios (null when the denominator is 0)
        cast({{ safe_ratio('unioned.clicks', 'unioned.impressions') }} as {{ type_double() }}) as click_through_rate,
        cast({{ safe_ratio('unioned.spend_base_amount', 'unioned.clicks') }} as {{ type_double() }}) as cost_per_click,
        cast({{ safe_ratio('unioned.spend_base_amount', 'unioned.lead_count') }} as {{ type_double() }}) as cost_per_lead,
        cast({{ safe_ratio('unioned.spend_base_amount', 'unioned.won_count') }} as {{ type_double() }}) as customer_acquisition_cost,
        cast({{ safe_ratio('unioned.revenue_base_amount', 'unioned.spend_base_amount') }} as {{ type_double() }}) as return_on_ad_spend,
        cast({{ safe_ratio('unioned.revenue_base_amount - unioned.spend_base_amount', 'unioned.spend_base_amount') }} as {{ type_double() }})
            as return_on_investment
    from unioned
    left join campaigns
        on unioned.campaign_key = campaigns.campaign_key

)

select * from final
