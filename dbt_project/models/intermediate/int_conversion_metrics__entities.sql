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
-- Partition-incremental (macros/partitions.sql), with three kinds of partition
-- (_partition_type, _partition_id): a canonical lead with its closed opportunities (their rows take
-- the lead's dimensions), an opportunity whose lead is not a canonical lead, and a form submission.
-- A night recomputes only the partitions whose input rows changed: for a lead, the digests its
-- partition-incremental inputs (record, attribution, campaigns, journey) stored for it, so any
-- change to what those read for the lead (a new touch, even one that is not its first), and its
-- first contact, campaign name, owner's team and closed deals; the opportunity with its account,
-- source, campaign and owner; the submission with its campaign. Each digest is stored on one row chosen without sorting the table:
-- the row of the first metric (by key) of its type, i.e. a submission's first inquiry_conversion
-- row, a lead-less deal's first win_rate row, a lead's first first_contact_sla row (every canonical
-- lead has one). Without a first_contact_sla metric in the seed, a lead's digest goes on its first
-- row by metric and entity instead (a window over the lead partitions' rows: slower).

{%- set window_days = var('conversion_window_days', none) %}
{%- set leads_have_sla_rows = funnel_warehouse.seed_has_metric_type(ref('conversion_metrics'), 'first_contact_sla') %}

{{
    config(
        materialized=incremental_or_table(),
        incremental_strategy='replace_partitions',
        unique_key=['_partition_type', '_partition_id'],
        partition_tombstone='metric_key is null',
        on_schema_change='sync_all_columns',
    )
}}

with

metrics as (

    select
        conversion_metrics.*,
        conversion_metrics.metric_key = min(conversion_metrics.metric_key) over (
            partition by conversion_metrics.metric_type
        ) as is_first_of_its_type
    from {{ ref('conversion_metrics') }} as conversion_metrics

),

leads as {{ inlined_cte() }} (

    -- read again by each reader rather than stored: DuckDB stored all 10M resolved leads, every
    -- column, because two CTEs read them (docs/benchmarks.md)
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
    select lead_id, stage_key, cohort_month
    from journeys
    {%- if window_days is none %}
    where is_reached
    {%- else %}
    where coalesce(reached_at <= {{ dbt.dateadd('day', window_days, 'lead_created_at') }}, false)
    {%- endif %}

),

all_lead_records as (

    -- what a lead's dimensions take from its record, with its owner's team
    select
        leads.lead_id,
        leads.created_at,
        leads.lead_source,
        leads.industry,
        leads.employees,
        leads.region,
        leads.owner_id,
        owners.team as owner_team
    from leads
    left join owners
        on leads.owner_id = owners.owner_id

),

all_first_touch_channels as (

    select lead_id, first_touch_channel_key from attribution

),

all_first_touch_campaigns as (

    select lead_campaigns.lead_id, lead_campaigns.first_touch_campaign_key, campaigns.campaign_name
    from lead_campaigns
    left join campaigns
        on lead_campaigns.first_touch_campaign_key = campaigns.campaign_key

),

all_first_contacts as (

    select lead_id, is_contacted_within_sla from first_contact

),

closed_opportunity_inputs as (

    -- with everything their rows take besides their lead's dimensions; partition_lead_id: the
    -- canonical lead whose partition they belong to (null: a partition of their own)
    select
        opportunities.opportunity_id,
        leads.lead_id as partition_lead_id,
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
    left join leads
        on opportunities.lead_id = leads.lead_id
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

all_closed_opportunities as (

    -- _partition_digest: the digest of a lead-less deal's own partition (its one input row)
    select
        closed_opportunity_inputs.*,
        {{ row_hash('closed_opportunity_inputs') }} + {{ shared_digest([ref('conversion_metrics')]) }} as _partition_digest
    from closed_opportunity_inputs

),

submission_inputs as {{ not_materialized() }} (

    select
        submissions.submission_id,
        submissions.submitted_month,
        submissions.is_matched_to_lead,
        submissions.channel_key,
        coalesce(campaigns.campaign_name, submissions.utm_campaign, 'unknown') as campaign
    from submissions
    left join campaigns
        on submissions.campaign_key = campaigns.campaign_key

),

all_submissions as {{ not_materialized() }} (

    -- hashed again by its second reader in an incremental run (which keeps a few of its rows)
    -- rather than 9.5M rows stored at 10M leads: the night's select 22.5 -> 20.0 s.
    -- _partition_digest: the digest of the submission's partition (its one input row)
    select
        submission_inputs.*,
        {{ row_hash('submission_inputs') }} + {{ shared_digest([ref('conversion_metrics')]) }} as _partition_digest
    from submission_inputs

),

lead_input_digests as {{ not_materialized() }} (

    -- what a lead's rows are computed from, one value per input: the digests its
    -- partition-incremental inputs stored for it (they cover every row those read for the lead,
    -- without hashing the rows again each night), and the hashed rows of its other inputs
    select lead_id, _partition_digest as input_digest
    from {{ ref('int_leads__attribution') }}
    union all
    select lead_id, _partition_digest
    from {{ ref('int_leads__campaigns') }}
    union all
    select lead_id, _partition_digest
    from {{ ref('int_lead_journeys__stages_reached') }}
    where _partition_digest is not null
    union all
    -- the name of its first-touch campaign, and its owner's team
    select named_campaigns.lead_id, {{ row_hash('named_campaigns') }}
    from (
        select lead_campaigns.lead_id, campaigns.campaign_name
        from {{ ref('int_leads__campaigns') }} as lead_campaigns
        inner join campaigns
            on lead_campaigns.first_touch_campaign_key = campaigns.campaign_key
    ) as named_campaigns
    union all
    {{ lead_owner_digests() }}
    union all
    select lead_id, {{ row_hash('all_first_contacts') }}
    from all_first_contacts
    union all
    select partition_lead_id, {{ row_hash('closed_opportunity_inputs') }}
    from closed_opportunity_inputs
    where partition_lead_id is not null

),

{%- if is_incremental() %}

changed_buckets as (

    -- bucketed by partition id (macros/partition_buckets.sql); every kind shares the metrics' digest
    {%- set contributions %}
        {{ lead_record_contributions(ref('int_leads__resolved'), 'lead_input_digests', '_partition_id') }}
        union all
        select opportunity_id, {{ row_hash('closed_opportunity_inputs') }}
        from closed_opportunity_inputs
        where partition_lead_id is null
        union all
        select submission_id, {{ row_hash('submission_inputs') }}
        from submission_inputs
    {%- endset %}
    {{ changed_buckets(contributions, '_partition_id', shared_digest([ref('conversion_metrics')])) }}

),
{%- endif %}

lead_digests as (

    -- every canonical lead (int_leads__resolved's digest covers its record; in an incremental run,
    -- those of changed buckets)
    {{ digests_on_lead_records(ref('int_leads__resolved'), 'lead_input_digests',
        shared_digest([ref('conversion_metrics')])) }}

),

input_digests as (

    select 'lead' as _partition_type, lead_id as _partition_id, _partition_digest from lead_digests
    union all
    select 'opportunity', opportunity_id, _partition_digest
    from all_closed_opportunities
    where partition_lead_id is null and {{ in_changed_buckets('opportunity_id') }}
    union all
    select 'submission', submission_id, _partition_digest
    from all_submissions
    where {{ in_changed_buckets('submission_id') }}

),

{%- if is_incremental() %}

changed_partitions as (

    {{ changed_partitions('input_digests', ['_partition_type', '_partition_id']) }}

),

recomputed_partitions as (

    select _partition_type, _partition_id from changed_partitions where not is_gone

),
{%- endif %}

reached as (

    select * from all_reached {{ only_partitions_of_type('lead', 'lead_id') }}

),

lead_records as (

    select * from all_lead_records {{ only_partitions_of_type('lead', 'lead_id') }}

),

first_touch_channels as (

    select * from all_first_touch_channels {{ only_partitions_of_type('lead', 'lead_id') }}

),

first_touch_campaigns as (

    select * from all_first_touch_campaigns {{ only_partitions_of_type('lead', 'lead_id') }}

),

lead_dimensions as (

    select
        lead_records.lead_id,
        {{ reporting_month('lead_records.created_at') }} as cohort_month,
        coalesce(first_touch_channels.first_touch_channel_key, 'unknown') as channel,
        coalesce(lead_records.lead_source, 'unknown') as lead_source,
        coalesce(first_touch_campaigns.campaign_name, first_touch_campaigns.first_touch_campaign_key, 'unknown') as campaign,
        coalesce(lead_records.industry, 'unknown') as industry,
        coalesce({{ company_size_band('lead_records.employees') }}, 'unknown') as company_size_band,
        coalesce(lead_records.region, 'unknown') as region,
        coalesce(lead_records.owner_id, 'unknown') as owner,
        coalesce(lead_records.owner_team, 'unknown') as owner_team
    from lead_records
    left join first_touch_channels
        on lead_records.lead_id = first_touch_channels.lead_id
    left join first_touch_campaigns
        on lead_records.lead_id = first_touch_campaigns.lead_id

),

scoped_first_contacts as (

    select * from all_first_contacts {{ only_partitions_of_type('lead', 'lead_id') }}

),

closed_opportunities as (

    select * from all_closed_opportunities
    {%- if is_incremental() %}
    where partition_lead_id in (
            select _partition_id from recomputed_partitions where _partition_type = 'lead'
        )
        or opportunity_id in (
            select _partition_id from recomputed_partitions where _partition_type = 'opportunity'
        )
    {%- endif %}

),

scoped_submissions as (

    select * from all_submissions {{ only_partitions_of_type('submission', 'submission_id') }}

),

stage_conversions as (

    select
        metrics.metric_key,
        from_stage.cohort_month as period_month,
        'lead' as entity_type,
        from_stage.lead_id as entity_id,
        to_stage.lead_id is not null as is_converted,
        cast(null as {{ digest_type() }}) as _partition_digest
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
        scoped_first_contacts.is_contacted_within_sla as is_converted,
        -- on the lead's row of the first first_contact_sla metric: its partition's digest
        case when metrics.is_first_of_its_type then lead_digests._partition_digest end as _partition_digest
    from metrics
    cross join scoped_first_contacts
    inner join lead_dimensions
        on scoped_first_contacts.lead_id = lead_dimensions.lead_id
    inner join lead_digests
        on scoped_first_contacts.lead_id = lead_digests.lead_id
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
        'lead' as _partition_type,
        lead_dimensions.lead_id as _partition_id,
        lead_rows._partition_digest
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
        case when closed_opportunities.partition_lead_id is null then 'opportunity' else 'lead' end as _partition_type,
        coalesce(closed_opportunities.partition_lead_id, closed_opportunities.opportunity_id) as _partition_id,
        -- a lead-less deal's row of the first win_rate metric: its partition's digest
        case
            when closed_opportunities.partition_lead_id is null and metrics.is_first_of_its_type
                then closed_opportunities._partition_digest
        end as _partition_digest
    from metrics
    cross join closed_opportunities
    left join lead_dimensions
        on closed_opportunities.partition_lead_id = lead_dimensions.lead_id
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
        'submission' as _partition_type,
        scoped_submissions.submission_id as _partition_id,
        -- the row of the first inquiry_conversion metric: its partition's digest
        case when metrics.is_first_of_its_type then scoped_submissions._partition_digest end as _partition_digest
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
        entity_rows.metric_key,
        entity_rows.period_month,
        entity_rows.entity_type,
        entity_rows.entity_id,
        entity_rows.is_converted,
        entity_rows.channel,
        entity_rows.lead_source,
        entity_rows.campaign,
        entity_rows.industry,
        entity_rows.company_size_band,
        entity_rows.region,
        entity_rows.owner,
        entity_rows.owner_team,
        entity_rows.product,
        entity_rows.customer_segment,
        entity_rows._partition_type,
        entity_rows._partition_id,
        {%- if leads_have_sla_rows %}
        entity_rows._partition_digest
    from entity_rows
        {%- else %}
        -- no first_contact_sla metric: a lead's digest goes on its partition's first row
        case
            when entity_rows._partition_type <> 'lead' then entity_rows._partition_digest
            when row_number() over (
                partition by entity_rows._partition_type, entity_rows._partition_id
                order by entity_rows.metric_key, entity_rows.entity_type, entity_rows.entity_id
            ) = 1
                then lead_digests._partition_digest
        end as _partition_digest
    from entity_rows
    left join lead_digests
        on entity_rows._partition_type = 'lead'
        and entity_rows._partition_id = lead_digests.lead_id
        {%- endif %}

)

{%- if is_incremental() %}

select * from final

union all

-- one tombstone per changed partition (null metric_key): replace_partitions deletes its stored rows first
{{ partition_tombstones('changed_partitions', [
    'metric_key', 'period_month', 'entity_type', 'entity_id', 'is_converted', 'channel', 'lead_source',
    'campaign', 'industry', 'company_size_band', 'region', 'owner', 'owner_team', 'product',
    'customer_segment', '_partition_type', '_partition_id', '_partition_digest'],
    ['_partition_type', '_partition_id']) }}
{%- else %}

select * from final
{%- endif %}
