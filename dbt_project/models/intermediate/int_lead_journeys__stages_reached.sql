-- One row per canonical lead x cohort-funnel stage (the lead-entry stage and every later ordered
-- stage): whether the lead's journey reached the stage, and when.
-- Journey = the lead's own entries + the entries of its opportunities (linked through
-- converted_opportunity_id or opportunity.lead_id).
-- Reached (METRICS.md): an entry at the stage or at any later stage; the stage is reached when the
-- first such entry happened (so a skipped stage is reached with the first later stage). `lost` is
-- not ordered and never counts as reaching anything.
-- Account stages (repeat purchase, 复购) are reached through the lead's accounts: the first repeat
-- deal of one of its accounts won at or after the lead itself reached won — an account's other
-- purchases never make a lead that did not win "reach" won or repeat. Cohort month = lead creation
-- month in var('reporting_timezone').
-- Partition-incremental (macros/partitions.sql): a night recomputes only the leads whose creation,
-- stage entries (their own and their opportunities') or accounts' repeat deals changed.

{{
    config(
        materialized=incremental_or_table(),
        incremental_strategy='replace_partitions',
        unique_key='lead_id',
        partition_tombstone='stage_key is null',
        on_schema_change='sync_all_columns',
    )
}}

with

all_leads as (

    select lead_id, created_at from {{ ref('int_leads__resolved') }}

),

events as (

    select * from {{ ref('int_stage_events__unioned') }}

),

opportunity_links as (

    select * from {{ ref('int_opportunities__linked') }}

),

won_deals as (

    select * from {{ ref('int_accounts__won_deals') }}

),

stages as (

    select * from {{ ref('int_funnel_stages') }} where is_cohort_stage

),

won_stage as (

    select stage_key from stages where is_won

),

all_lead_accounts as (

    select distinct lead_id, account_id
    from opportunity_links
    where lead_id is not null and account_id is not null

),

all_own_events as (

    select lead_id, stage_order, entered_at
    from events
    where entity_type in ('lead', 'opportunity')
        and lead_id is not null
        and stage_order is not null

),

journey_inputs as {{ not_materialized() }} (

    -- everything a lead's rows are computed from: its creation, its entries, its accounts' repeat deals
    select lead_id, 'lead' as input_kind, created_at as input_at, cast(null as {{ dbt.type_int() }}) as stage_order
    from all_leads
    union all
    select lead_id, 'entry', entered_at, stage_order from all_own_events
    union all
    select all_lead_accounts.lead_id, 'repeat_deal', won_deals.won_at, null
    from all_lead_accounts
    inner join won_deals
        on all_lead_accounts.account_id = won_deals.account_id
        and won_deals.is_repeat_purchase

),

{%- if is_incremental() %}

changed_buckets as (

    {{ changed_buckets_of_rows('journey_inputs', ['lead_id'], shared_inputs=[ref('int_funnel_stages')]) }}

),
{%- endif %}

input_digests as (

    {{ partition_digests('journey_inputs', ['lead_id'], shared_inputs=[ref('int_funnel_stages')]) }}

),

{%- if is_incremental() %}

changed_leads as (

    {{ changed_partitions('input_digests', ['lead_id']) }}

),
{%- endif %}

leads as (

    select all_leads.* from all_leads {{ only_changed_partitions('all_leads', 'changed_leads', ['lead_id']) }}

),

lead_accounts as (

    select all_lead_accounts.*
    from all_lead_accounts {{ only_changed_partitions('all_lead_accounts', 'changed_leads', ['lead_id']) }}

),

own_events as (

    select all_own_events.*
    from all_own_events {{ only_changed_partitions('all_own_events', 'changed_leads', ['lead_id']) }}

),

reached_own as (

    select
        leads.lead_id,
        stages.stage_key,
        min(own_events.entered_at) as reached_at
    from leads
    cross join stages
    left join own_events
        on leads.lead_id = own_events.lead_id
        and own_events.stage_order >= stages.stage_order
    group by leads.lead_id, stages.stage_key

),

account_repeat as (

    select
        lead_accounts.lead_id,
        min(won_deals.won_at) as repeat_at
    from lead_accounts
    inner join won_deals
        on lead_accounts.account_id = won_deals.account_id
        and won_deals.is_repeat_purchase
    inner join reached_own as lead_won
        on lead_accounts.lead_id = lead_won.lead_id
    inner join won_stage
        on lead_won.stage_key = won_stage.stage_key
    where won_deals.won_at >= lead_won.reached_at
    group by lead_accounts.lead_id

),

reached as (

    select
        reached_own.lead_id,
        reached_own.stage_key,
        case
            when stages.entity_type <> 'account' then reached_own.reached_at
            when account_repeat.repeat_at is null then reached_own.reached_at
            when reached_own.reached_at is null or account_repeat.repeat_at < reached_own.reached_at
                then account_repeat.repeat_at
            else reached_own.reached_at
        end as reached_at
    from reached_own
    inner join stages
        on reached_own.stage_key = stages.stage_key
    left join account_repeat
        on reached_own.lead_id = account_repeat.lead_id

),

final as (

    select
        reached.lead_id,
        reached.stage_key,
        stages.stage_order,
        leads.created_at as lead_created_at,
        {{ reporting_month('leads.created_at') }} as cohort_month,
        reached.reached_at is not null as is_reached,
        reached.reached_at,
        {{ days_between('leads.created_at', 'reached.reached_at') }} as days_to_reach,
        -- lineage: the lead's input digest, on its first cohort stage's row (macros/partitions.sql)
        case
            when stages.stage_order = (select min(stage_order) from stages) then input_digests._partition_digest
        end as _partition_digest
    from reached
    inner join leads
        on reached.lead_id = leads.lead_id
    inner join stages
        on reached.stage_key = stages.stage_key
    inner join input_digests
        on reached.lead_id = input_digests.lead_id

)

{%- if is_incremental() %}

select * from final

union all

-- one tombstone per changed lead (stage_key null): replace_partitions deletes its stored rows first
{{ partition_tombstones('changed_leads', [
    'lead_id', 'stage_key', 'stage_order', 'lead_created_at', 'cohort_month', 'is_reached', 'reached_at',
    'days_to_reach', '_partition_digest'], ['lead_id']) }}
{%- else %}

select * from final
{%- endif %}
