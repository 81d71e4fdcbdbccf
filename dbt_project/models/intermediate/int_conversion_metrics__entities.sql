-- One row per conversion metric (seed conversion_metrics) × entity counted in its denominator,
-- with the period it counts in, whether it converted (the numerator) and its dimension values.
--   stage_conversion    leads of the creation-month cohort that reached from_stage_key; converted =
--                       reached to_stage_key (METRICS.md: reached(next) / reached(stage), within the
--                       cohort; var conversion_window_days applies as in mart_funnel_cohort)
--   win_rate            opportunities closed (won or lost, current outcome) in the month; converted = won
--   first_contact_sla   leads of the creation-month cohort; converted = first activity within
--                       var first_contact_sla_hours
--   inquiry_conversion  form submissions of the month; converted = matched to a canonical lead
-- Dimensions: 'unknown' when the record lacks the value; null when the dimension does not apply to
-- the metric's entity: product and customer_segment exist only once a deal exists, so on lead
-- metrics they would be known for converted leads only and fake the rate — they apply to
-- win_rate only; submissions carry only channel and campaign (their UTM).

{%- set window_days = var('conversion_window_days', none) %}

with

metrics as (

    select * from {{ ref('conversion_metrics') }}

),

leads as (

    select * from {{ ref('int_leads__resolved') }}

),

journeys as (

    select * from {{ ref('int_lead_journeys__stages_reached') }}

),

attribution as (

    select * from {{ ref('int_leads__attribution') }}

),

lead_campaigns as (

    select * from {{ ref('int_leads__campaigns') }}

),

first_contact as (

    select * from {{ ref('int_leads__first_contact') }}

),

opportunities as (

    select * from {{ ref('int_opportunities__base_currency') }}

),

opportunity_sources as (

    select opportunity_id, lead_source from {{ ref('int_opportunities__linked') }}

),

accounts as (

    select * from {{ ref('int_accounts__resolved') }}

),

submissions as (

    select * from {{ ref('int_submissions__attributed') }}

),

owners as (

    select * from {{ ref('int_owners') }}

),

campaigns as (

    select campaign_key, campaign_name from {{ ref('int_campaigns__unified') }}

),

reached as (

    select
        lead_id,
        stage_key,
        cohort_month,
        {%- if window_days is none %}
        is_reached as counts_as_reached
        {%- else %}
        coalesce(reached_at <= {{ dbt.dateadd('day', window_days, 'lead_created_at') }}, false) as counts_as_reached
        {%- endif %}
    from journeys

),

lead_dimensions as (

    select
        leads.lead_id,
        {{ reporting_month('leads.created_at') }} as cohort_month,
        coalesce(attribution.first_touch_channel_key, 'unknown') as channel,
        coalesce(leads.lead_source, 'unknown') as lead_source,
        coalesce(campaigns.campaign_name, lead_campaigns.first_touch_campaign_key, 'unknown') as campaign,
        coalesce(leads.industry, 'unknown') as industry,
        coalesce({{ company_size_band('leads.employees') }}, 'unknown') as company_size_band,
        coalesce(leads.region, 'unknown') as region,
        coalesce(leads.owner_id, 'unknown') as owner,
        coalesce(owners.team, 'unknown') as owner_team
    from leads
    left join attribution
        on leads.lead_id = attribution.lead_id
    left join lead_campaigns
        on leads.lead_id = lead_campaigns.lead_id
    left join campaigns
        on lead_campaigns.first_touch_campaign_key = campaigns.campaign_key
    left join owners
        on leads.owner_id = owners.owner_id

),

stage_conversions as (

    select
        metrics.metric_key,
        from_stage.cohort_month as period_month,
        'lead' as entity_type,
        from_stage.lead_id as entity_id,
        coalesce(to_stage.counts_as_reached, false) as is_converted
    from metrics
    inner join reached as from_stage
        on metrics.from_stage_key = from_stage.stage_key
        and from_stage.counts_as_reached
    left join reached as to_stage
        on from_stage.lead_id = to_stage.lead_id
        and metrics.to_stage_key = to_stage.stage_key
    where metrics.metric_type = 'stage_conversion'

),

sla as (

    select
        metrics.metric_key,
        lead_dimensions.cohort_month as period_month,
        'lead' as entity_type,
        first_contact.lead_id as entity_id,
        first_contact.is_contacted_within_sla as is_converted
    from metrics
    cross join first_contact
    inner join lead_dimensions
        on first_contact.lead_id = lead_dimensions.lead_id
    where metrics.metric_type = 'first_contact_sla'

),

lead_metric_rows as (

    select
        lead_rows.metric_key,
        lead_rows.period_month,
        lead_rows.entity_type,
        lead_rows.entity_id,
        lead_rows.is_converted,
        lead_dimensions.channel,
        lead_dimensions.lead_source,
        lead_dimensions.campaign,
        lead_dimensions.industry,
        lead_dimensions.company_size_band,
        lead_dimensions.region,
        lead_dimensions.owner,
        lead_dimensions.owner_team,
        cast(null as {{ dbt.type_string() }}) as product,
        cast(null as {{ dbt.type_string() }}) as customer_segment
    from (
        select * from stage_conversions
        union all
        select * from sla
    ) as lead_rows
    inner join lead_dimensions
        on lead_rows.entity_id = lead_dimensions.lead_id

),

win_rate_rows as (

    select
        metrics.metric_key,
        opportunities.closed_month as period_month,
        'opportunity' as entity_type,
        opportunities.opportunity_id as entity_id,
        opportunities.is_closed_won as is_converted,
        coalesce(lead_dimensions.channel, 'unknown') as channel,
        coalesce(opportunity_sources.lead_source, lead_dimensions.lead_source, 'unknown') as lead_source,
        coalesce(campaigns.campaign_name, opportunities.campaign_id, lead_dimensions.campaign, 'unknown') as campaign,
        coalesce(accounts.industry, lead_dimensions.industry, 'unknown') as industry,
        coalesce({{ company_size_band('accounts.employees') }}, lead_dimensions.company_size_band, 'unknown') as company_size_band,
        coalesce(accounts.region, lead_dimensions.region, 'unknown') as region,
        coalesce(opportunities.owner_id, 'unknown') as owner,
        coalesce(owners.team, 'unknown') as owner_team,
        coalesce(opportunities.product, 'unknown') as product,
        coalesce(accounts.segment, 'unknown') as customer_segment
    from metrics
    cross join opportunities
    left join opportunity_sources
        on opportunities.opportunity_id = opportunity_sources.opportunity_id
    left join lead_dimensions
        on opportunities.lead_id = lead_dimensions.lead_id
    left join accounts
        on opportunities.account_id = accounts.account_id
    left join campaigns
        on opportunities.campaign_id = campaigns.campaign_key
    left join owners
        on opportunities.owner_id = owners.owner_id
    where metrics.metric_type = 'win_rate'
        and (opportunities.is_closed_won or opportunities.is_closed_lost)

),

inquiry_rows as (

    select
        metrics.metric_key,
        submissions.submitted_month as period_month,
        'submission' as entity_type,
        submissions.submission_id as entity_id,
        submissions.is_matched_to_lead as is_converted,
        submissions.channel_key as channel,
        cast(null as {{ dbt.type_string() }}) as lead_source,
        coalesce(campaigns.campaign_name, submissions.utm_campaign, 'unknown') as campaign,
        cast(null as {{ dbt.type_string() }}) as industry,
        cast(null as {{ dbt.type_string() }}) as company_size_band,
        cast(null as {{ dbt.type_string() }}) as region,
        cast(null as {{ dbt.type_string() }}) as owner,
        cast(null as {{ dbt.type_string() }}) as owner_team,
        cast(null as {{ dbt.type_string() }}) as product,
        cast(null as {{ dbt.type_string() }}) as customer_segment
    from metrics
    cross join submissions
    left join campaigns
        on submissions.campaign_key = campaigns.campaign_key
    where metrics.metric_type = 'inquiry_conversion'

),

final as (

    select * from lead_metric_rows
    union all
    select * from win_rate_rows
    union all
    select * from inquiry_rows

)

select * from final
