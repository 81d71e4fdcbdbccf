-- One row per canonical lead x stage entry, as observed (skipped stages are filled in
-- fct_stage_events). Sources, in order of trust:
--   1. lead creation: the lead-entry stage at created_at, then the CRM's lead stage history of the
--      lead and its merged duplicates; consecutive entries into the same stage are one entry, so a
--      lead worked again after being lost shows as a new entry (re-opened);
--   2. conversion (is_converted or an opportunity exists): the last lead stage (qualified) at
--      converted_at, else the first opportunity's created_at, else created_at;
--   3. status: a status mapped beyond the lead-entry stage (of the lead or a merged duplicate), at
--      converted_at else created_at of the lead record carrying it;
--      2 and 3 give one entry per stage (the earliest), only for stages history does not have;
--   4. a current status mapped to lost, dated at the latest record's conversion/creation time but
--      never before the lead's other events, so it is the current state — unless the events
--      already end in lost.
-- Synthesized events sort after history rows with the same timestamp (source_sequence 1e12+).
-- Statuses/history at stages before the lead-entry stage (e.g. HubSpot "subscriber" = inquiry)
-- add nothing: the lead record is the lead stage; inquiries come from form submissions.
-- Partition-incremental (macros/partitions.sql): a night recomputes only the canonical leads whose
-- record (with its merged duplicates), lead stage history or first opportunity changed. The
-- record's part of the digest is the one int_leads__resolved stored for the lead.

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

stages as (

    select * from {{ ref('int_funnel_stages') }}

),

lead_input_digests as {{ not_materialized() }} (

    -- what a lead's entries are computed from, besides its record: its members' stage history rows
    -- and its opportunities' creation times
    select merged_history.canonical_lead_id as lead_id, {{ row_hash('history_rows') }} as input_digest
    from (
        select entity_id, stage_key, entered_at, _source_row
        from {{ ref('stg_crm__stage_history') }}
        where entity_type = 'lead' and stage_key is not null
    ) as history_rows
    inner join {{ ref('int_leads__merged') }} as merged_history
        on history_rows.entity_id = merged_history.lead_id
    union all
    select deal_rows.lead_id, {{ row_hash('deal_rows') }}
    from (
        select deal_links.lead_id, deal_links.opportunity_id, deal_opportunities.created_at
        from {{ ref('int_opportunities__linked') }} as deal_links
        inner join {{ ref('stg_crm__opportunities') }} as deal_opportunities
            on deal_links.opportunity_id = deal_opportunities.opportunity_id
        where deal_links.lead_id is not null
    ) as deal_rows

),

{%- if is_incremental() %}

changed_buckets as (

    {{ changed_buckets_on_lead_records(ref('int_leads__resolved'), 'lead_input_digests', shared_digest([ref('int_funnel_stages')])) }}

),
{%- endif %}

input_digests as (

    -- every canonical lead: the digest int_leads__resolved stored for its record (its members'
    -- rows) plus its other inputs; the funnel stages shared by all
    {{ digests_on_lead_records(ref('int_leads__resolved'), 'lead_input_digests', shared_digest([ref('int_funnel_stages')])) }}

),

{%- if is_incremental() %}

changed_leads as (

    {{ changed_partitions('input_digests', ['lead_id']) }}

),
{%- endif %}

leads as (

    select all_leads.*
    from {{ ref('int_leads__resolved') }} as all_leads
    {{ only_changed_partitions('all_leads', 'changed_leads', ['lead_id']) }}

),

merged as (

    -- the CRM leads of the leads recomputed tonight, under their canonical lead
    select all_merged.*
    from {{ ref('int_leads__merged') }} as all_merged
    {%- if is_incremental() %}
    inner join changed_leads
        on all_merged.canonical_lead_id = changed_leads.lead_id
    where not changed_leads.is_gone
    {%- endif %}

),

members as (

    select all_members.*
    from {{ ref('stg_crm__leads') }} as all_members
    {%- if is_incremental() %}
    where all_members.lead_id in (select lead_id from merged)
    {%- endif %}

),

history as (

    select * from {{ ref('stg_crm__stage_history') }} where entity_type = 'lead' and stage_key is not null

),

opportunity_links as (

    select all_links.*
    from {{ ref('int_opportunities__linked') }} as all_links
    {{ only_changed_partitions('all_links', 'changed_leads', ['lead_id']) }}

),

opportunities as (

    select * from {{ ref('stg_crm__opportunities') }}

),

lead_entry_stage as (

    select stage_key, stage_order from stages where is_lead_entry_stage

),

lead_final_stage as (

    select stage_key, stage_order from stages where is_lead_final_stage

),

lost_stage as (

    select stage_key from stages where is_lost

),

-- 1. creation + history, collapsed into entries
creation_and_history as (

    select
        leads.lead_id,
        lead_entry_stage.stage_key,
        leads.created_at as entered_at,
        'lead_created' as event_source,
        0 as source_sequence
    from leads
    cross join lead_entry_stage

    union all

    select
        merged.canonical_lead_id as lead_id,
        history.stage_key,
        history.entered_at,
        'stage_history' as event_source,
        history._source_row as source_sequence
    from history
    inner join merged
        on history.entity_id = merged.lead_id
    inner join stages
        on history.stage_key = stages.stage_key
    cross join lead_entry_stage
    where stages.is_lost or stages.stage_order >= lead_entry_stage.stage_order

),

with_previous as (

    select
        creation_and_history.*,
        lag(stage_key) over (
            partition by lead_id order by entered_at, source_sequence, stage_key
        ) as previous_stage_key,
        -- the lead's first entry (never collapsed) carries its digest
        row_number() over (
            partition by lead_id order by entered_at, source_sequence, stage_key
        ) as entry_rank
    from creation_and_history

),

entries as (

    select lead_id, stage_key, entered_at, event_source, source_sequence, entry_rank
    from with_previous
    where previous_stage_key is null or previous_stage_key <> stage_key

),

-- 2. conversion
first_opportunity as (

    select
        opportunity_links.lead_id,
        min(opportunities.created_at) as first_opportunity_created_at
    from opportunity_links
    inner join opportunities
        on opportunity_links.opportunity_id = opportunities.opportunity_id
    where opportunity_links.lead_id is not null
    group by opportunity_links.lead_id

),

conversion_candidates as (

    select
        leads.lead_id,
        lead_final_stage.stage_key,
        case
            when coalesce(leads.converted_at, first_opportunity.first_opportunity_created_at, leads.created_at) < leads.created_at
                then leads.created_at
            else coalesce(leads.converted_at, first_opportunity.first_opportunity_created_at, leads.created_at)
        end as entered_at,
        'lead_converted' as event_source,
        -- synthesized events sort after history rows with the same timestamp
        1000000000000 as source_sequence
    from leads
    cross join lead_final_stage
    left join first_opportunity
        on leads.lead_id = first_opportunity.lead_id
    where leads.is_converted or first_opportunity.lead_id is not null

),

-- 3. statuses beyond the lead-entry stage, of the lead and its merged duplicates
status_candidates as (

    select
        merged.canonical_lead_id as lead_id,
        members.stage_key,
        min(coalesce(members.converted_at, members.created_at)) as entered_at,
        'lead_status' as event_source,
        1000000000001 as source_sequence
    from members
    inner join merged
        on members.lead_id = merged.lead_id
    inner join stages
        on members.stage_key = stages.stage_key
    cross join lead_entry_stage
    where stages.stage_order > lead_entry_stage.stage_order
    group by merged.canonical_lead_id, members.stage_key

),

-- 2 + 3: the earliest candidate per stage, where history has no entry for it
derived_events as (

    select lead_id, stage_key, entered_at, event_source, source_sequence, cast(null as {{ dbt.type_bigint() }}) as entry_rank
    from (
        select
            candidates.*,
            row_number() over (
                partition by lead_id, stage_key order by entered_at, source_sequence
            ) as candidate_rank
        from (
            select * from conversion_candidates
            union all
            select * from status_candidates
        ) as candidates
    ) as ranked
    where candidate_rank = 1
        and not exists (
            select 1 from entries
            where entries.lead_id = ranked.lead_id and entries.stage_key = ranked.stage_key
        )

),

observed as (

    select * from entries
    union all
    select * from derived_events

),

-- 4. a current lost status closes the lead unless its events already end in lost
last_observed as (

    select lead_id, stage_key, entered_at
    from (
        select
            observed.*,
            row_number() over (
                partition by lead_id order by entered_at desc, source_sequence desc
            ) as recency_rank
        from observed
    ) as ranked
    where recency_rank = 1

),

lost_events as (

    select
        leads.lead_id,
        lost_stage.stage_key,
        case
            when last_observed.entered_at > coalesce(members.converted_at, members.created_at)
                then last_observed.entered_at
            else coalesce(members.converted_at, members.created_at)
        end as entered_at,
        'lead_status' as event_source,
        1000000000002 as source_sequence
    from leads
    cross join lost_stage
    inner join members
        on leads.latest_lead_id = members.lead_id
    inner join last_observed
        on leads.lead_id = last_observed.lead_id
    where leads.stage_key = lost_stage.stage_key
        and last_observed.stage_key <> lost_stage.stage_key

),

final as (

    select
        'lead' as entity_type,
        observed.lead_id as entity_id,
        observed.lead_id,
        observed.stage_key,
        observed.entered_at,
        observed.event_source,
        observed.source_sequence,
        -- lineage: the lead's input digest, on its first entry (macros/partitions.sql)
        input_digests._partition_digest
    from observed
    left join input_digests
        on observed.lead_id = input_digests.lead_id
        and observed.entry_rank = 1

    union all

    select
        'lead' as entity_type,
        lead_id as entity_id,
        lead_id,
        stage_key,
        entered_at,
        event_source,
        source_sequence,
        cast(null as {{ digest_type() }}) as _partition_digest
    from lost_events

)

{%- if is_incremental() %}

select * from final

union all

-- one tombstone per changed lead (null stage_key): replace_partitions deletes its stored entries
{{ partition_tombstones('changed_leads', [
    'entity_type', 'entity_id', 'lead_id', 'stage_key', 'entered_at', 'event_source', 'source_sequence',
    '_partition_digest'], ['lead_id']) }}
{%- else %}

select * from final
{%- endif %}
