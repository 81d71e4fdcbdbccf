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
-- Partition-incremental (macros/partitions.sql): a partition is a canonical lead with its closed
-- opportunities (whose rows take the lead's dimensions), an opportunity without a lead, or a form
-- submission. A night recomputes only the partitions whose input rows changed: the lead's
-- dimensions, reached stages and first contact, the opportunity with its account, source, campaign
-- and owner, the submission with its campaign. The digest is stored on the partition's first row.

{%- set window_days = var('conversion_window_days', none) %}

{{
    config(
        materialized=incremental_or_table(),
        incremental_strategy='replace_partitions',
        unique_key='_partition_key',
        partition_tombstone='metric_key is null',
        on_schema_change='sync_all_columns',
    )
}}

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

all_reached as (

    -- the stages each lead reached (the only journey rows a metric counts)
    select
        lead_id,
        {{ dbt.concat(["'lead:'", "lead_id"]) }} as _partition_key,
        stage_key,
        cohort_month
    from journeys
    {%- if window_days is none %}
    where is_reached
    {%- else %}
    where coalesce(reached_at <= {{ dbt.dateadd('day', window_days, 'lead_created_at') }}, false)
    {%- endif %}

),

all_lead_dimensions as (

    select
        leads.lead_id,
        {{ dbt.concat(["'lead:'", "leads.lead_id"]) }} as _partition_key,
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

all_first_contacts as (

    select
        lead_id,
        {{ dbt.concat(["'lead:'", "lead_id"]) }} as _partition_key,
        is_contacted_within_sla
    from first_contact

),

all_closed_opportunities as (

    -- with everything their rows take besides their lead's dimensions; in their lead's partition
    select
        opportunities.opportunity_id,
        case
            when opportunities.lead_id is not null then {{ dbt.concat(["'lead:'", "opportunities.lead_id"]) }}
            else {{ dbt.concat(["'opportunity:'", "opportunities.opportunity_id"]) }}
        end as _partition_key,
        opportunities.lead_id,
        opportunities.closed_month,
        opportunities.is_closed_won,
        opportunities.owner_id,
        opportunities.campaign_id,
        opportunities.product,
        opportunity_sources.lead_source,
        campaigns.campaign_name,
        accounts.industry as account_industry,
        {{ company_size_band('accounts.employees') }} as account_size_band,
        accounts.region as account_region,
        accounts.segment as account_segment,
        owners.team as owner_team
    from opportunities
    left join opportunity_sources
        on opportunities.opportunity_id = opportunity_sources.opportunity_id
    left join accounts
        on opportunities.account_id = accounts.account_id
    left join campaigns
        on opportunities.campaign_id = campaigns.campaign_key
    left join owners
        on opportunities.owner_id = owners.owner_id
    where opportunities.is_closed_won or opportunities.is_closed_lost

),

all_submissions as (

    select
        submissions.submission_id,
        {{ dbt.concat(["'submission:'", "submissions.submission_id"]) }} as _partition_key,
        submissions.submitted_month,
        submissions.is_matched_to_lead,
        submissions.channel_key,
        coalesce(campaigns.campaign_name, submissions.utm_campaign, 'unknown') as campaign
    from submissions
    left join campaigns
        on submissions.campaign_key = campaigns.campaign_key

),

partition_inputs as (

    -- every input row of every partition, hashed (a partition's rows are a function of these)
    select _partition_key, {{ row_hash('all_lead_dimensions') }} as input_row_hash from all_lead_dimensions
    union all
    select _partition_key, {{ row_hash('all_reached') }} from all_reached
    union all
    select _partition_key, {{ row_hash('all_first_contacts') }} from all_first_contacts
    union all
    select _partition_key, {{ row_hash('all_closed_opportunities') }} from all_closed_opportunities
    union all
    select _partition_key, {{ row_hash('all_submissions') }} from all_submissions

),

input_digests as (

    {{ partition_digests('partition_inputs', ['_partition_key'], shared_inputs=[ref('conversion_metrics')]) }}

),

{%- if is_incremental() %}

changed_partitions as (

    {{ changed_partitions('input_digests', ['_partition_key']) }}

),
{%- endif %}

reached as (

    select all_reached.* from all_reached
    {{- only_changed_partitions('all_reached', 'changed_partitions', ['_partition_key']) }}

),

lead_dimensions as (

    select all_lead_dimensions.* from all_lead_dimensions
    {{- only_changed_partitions('all_lead_dimensions', 'changed_partitions', ['_partition_key']) }}

),

scoped_first_contacts as (

    select all_first_contacts.* from all_first_contacts
    {{- only_changed_partitions('all_first_contacts', 'changed_partitions', ['_partition_key']) }}

),

closed_opportunities as (

    select all_closed_opportunities.* from all_closed_opportunities
    {{- only_changed_partitions('all_closed_opportunities', 'changed_partitions', ['_partition_key']) }}

),

scoped_submissions as (

    select all_submissions.* from all_submissions
    {{- only_changed_partitions('all_submissions', 'changed_partitions', ['_partition_key']) }}

),

stage_conversions as (

    select
        metrics.metric_key,
        from_stage.cohort_month as period_month,
        'lead' as entity_type,
        from_stage.lead_id as entity_id,
        to_stage.lead_id is not null as is_converted
    from metrics
    inner join reached as from_stage
        on metrics.from_stage_key = from_stage.stage_key
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
        scoped_first_contacts.lead_id as entity_id,
        scoped_first_contacts.is_contacted_within_sla as is_converted
    from metrics
    cross join scoped_first_contacts
    inner join lead_dimensions
        on scoped_first_contacts.lead_id = lead_dimensions.lead_id
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
        cast(null as {{ dbt.type_string() }}) as customer_segment,
        lead_dimensions._partition_key
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
        closed_opportunities.closed_month as period_month,
        'opportunity' as entity_type,
        closed_opportunities.opportunity_id as entity_id,
        closed_opportunities.is_closed_won as is_converted,
        coalesce(lead_dimensions.channel, 'unknown') as channel,
        coalesce(closed_opportunities.lead_source, lead_dimensions.lead_source, 'unknown') as lead_source,
        coalesce(closed_opportunities.campaign_name, closed_opportunities.campaign_id, lead_dimensions.campaign, 'unknown') as campaign,
        coalesce(closed_opportunities.account_industry, lead_dimensions.industry, 'unknown') as industry,
        coalesce(closed_opportunities.account_size_band, lead_dimensions.company_size_band, 'unknown') as company_size_band,
        coalesce(closed_opportunities.account_region, lead_dimensions.region, 'unknown') as region,
        coalesce(closed_opportunities.owner_id, 'unknown') as owner,
        coalesce(closed_opportunities.owner_team, 'unknown') as owner_team,
        coalesce(closed_opportunities.product, 'unknown') as product,
        coalesce(closed_opportunities.account_segment, 'unknown') as customer_segment,
        closed_opportunities._partition_key
    from metrics
    cross join closed_opportunities
    left join lead_dimensions
        on closed_opportunities.lead_id = lead_dimensions.lead_id
    where metrics.metric_type = 'win_rate'

),

inquiry_rows as (

    select
        metrics.metric_key,
        scoped_submissions.submitted_month as period_month,
        'submission' as entity_type,
        scoped_submissions.submission_id as entity_id,
        scoped_submissions.is_matched_to_lead as is_converted,
        scoped_submissions.channel_key as channel,
        cast(null as {{ dbt.type_string() }}) as lead_source,
        scoped_submissions.campaign,
        cast(null as {{ dbt.type_string() }}) as industry,
        cast(null as {{ dbt.type_string() }}) as company_size_band,
        cast(null as {{ dbt.type_string() }}) as region,
        cast(null as {{ dbt.type_string() }}) as owner,
        cast(null as {{ dbt.type_string() }}) as owner_team,
        cast(null as {{ dbt.type_string() }}) as product,
        cast(null as {{ dbt.type_string() }}) as customer_segment,
        scoped_submissions._partition_key
    from metrics
    cross join scoped_submissions
    where metrics.metric_type = 'inquiry_conversion'

),

entity_rows as (

    select * from lead_metric_rows
    union all
    select * from win_rate_rows
    union all
    select * from inquiry_rows

),

final as (

    select
        entity_rows.*,
        -- on one row of the partition, the first by metric and entity
        case
            when row_number() over (
                partition by entity_rows._partition_key
                order by entity_rows.metric_key, entity_rows.entity_type, entity_rows.entity_id
            ) = 1
                then input_digests._partition_digest
        end as _partition_digest
    from entity_rows
    inner join input_digests
        on entity_rows._partition_key = input_digests._partition_key

)

{%- if is_incremental() %}

select * from final

union all

-- one tombstone per changed partition (null metric_key): replace_partitions deletes its stored rows first
{{ partition_tombstones('changed_partitions', [
    'metric_key', 'period_month', 'entity_type', 'entity_id', 'is_converted', 'channel', 'lead_source',
    'campaign', 'industry', 'company_size_band', 'region', 'owner', 'owner_team', 'product',
    'customer_segment', '_partition_key', '_partition_digest'], ['_partition_key']) }}
{%- else %}

select * from final
{%- endif %}
