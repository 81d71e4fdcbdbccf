-- One row per entity x stage entry (submissions, leads, opportunities, accounts), including the
-- stages an entity skipped (synthesized, is_skipped_stage) and `lost` entries.
-- Skipped stages: an entity that reached a stage has passed every earlier stage of its own part of
-- the funnel (from its entity type's first stage on); such a stage is entered when the first later
-- stage was entered, and is ordered just before that entry.
-- Exit = the next entry's entered_at; for the entity's last entry, the time its journey continued
-- in another record (handoff: submission -> lead -> opportunity), else null (current stage).
-- Everything of marts.fct_stage_events but days_in_stage, the one column that moves with the clock:
-- kept apart so that a night whose sources did not change keeps this table (the window functions
-- over every entry) and only recomputes the ages (orchestration/transform/unchanged.py).
-- Partition-incremental (macros/partitions.sql): a night recomputes only the entities whose input
-- entries changed — new, changed or gone — and keeps the rows of every other entity.

{%- set partition_by = ['entity_type', 'entity_id'] %}

{{
    config(
        materialized=incremental_or_table(),
        incremental_strategy='replace_partitions',
        unique_key=partition_by,
        partition_tombstone='stage_event_id is null',
        on_schema_change='sync_all_columns',
    )
}}

with

all_events as {{ not_materialized() }} (

    select * from {{ ref('int_stage_events__unioned') }}

),

stages as (

    select * from {{ ref('int_funnel_stages') }}

),

{%- if is_incremental() %}

changed_buckets as (

    {{ changed_buckets_of_rows('all_events', partition_by, shared_inputs=[ref('int_funnel_stages')]) }}

),

input_digests as (

    {{ partition_digests('all_events', partition_by, shared_inputs=[ref('int_funnel_stages')]) }}

),

changed_entities as (

    {{ changed_partitions('input_digests', partition_by) }}

),
{%- endif %}

events as (

    select all_events.*
    from all_events
    {{ only_changed_partitions('all_events', 'changed_entities', partition_by) }}

),

entity_type_first_stage as (

    select entity_type, min(stage_order) as first_stage_order
    from stages
    where is_ordered
    group by entity_type

),

numbered as (

    -- the entity's facts are window aggregates over the same partition and order as the sequence
    -- number: one sort for all four (a group by plus a join back cost as much as that sort)
    select
        events.*,
        row_number() over (
            partition by events.entity_type, events.entity_id
            order by events.entered_at, events.source_sequence, events.stage_order, events.stage_key
        ) as observed_sequence,
        max(events.lead_id) over (
            partition by events.entity_type, events.entity_id
            order by events.entered_at, events.source_sequence, events.stage_order, events.stage_key
            rows between unbounded preceding and unbounded following
        ) as entity_lead_id,
        max(events.handoff_at) over (
            partition by events.entity_type, events.entity_id
            order by events.entered_at, events.source_sequence, events.stage_order, events.stage_key
            rows between unbounded preceding and unbounded following
        ) as entity_handoff_at,
        max(events.stage_order) over (
            partition by events.entity_type, events.entity_id
            order by events.entered_at, events.source_sequence, events.stage_order, events.stage_key
            rows between unbounded preceding and unbounded following
        ) as entity_max_stage_order,
        -- the entity's input digest (partition_digests' value, in the same sort as the facts above)
        sum({{ row_hash('events') }}) over (
            partition by events.entity_type, events.entity_id
            order by events.entered_at, events.source_sequence, events.stage_order, events.stage_key
            rows between unbounded preceding and unbounded following
        ) + {{ shared_digest([ref('int_funnel_stages')]) }} as entity_input_digest
    from events

),

entities as (

    select
        entity_type,
        entity_id,
        entity_lead_id as lead_id,
        entity_handoff_at as handoff_at,
        entity_max_stage_order as max_stage_order,
        entity_input_digest
    from numbered
    where observed_sequence = 1

),

skipped_candidates as (

    select
        entities.entity_type,
        entities.entity_id,
        entities.lead_id,
        entities.handoff_at,
        entities.entity_input_digest,
        stages.stage_key,
        stages.stage_order
    from entities
    inner join entity_type_first_stage
        on entities.entity_type = entity_type_first_stage.entity_type
    inner join stages
        on stages.stage_order >= entity_type_first_stage.first_stage_order
        and stages.stage_order < entities.max_stage_order
    where not exists (
        select 1 from numbered
        where numbered.entity_type = entities.entity_type
            and numbered.entity_id = entities.entity_id
            and numbered.stage_key = stages.stage_key
    )

),

skipped as (

    -- entered with the first later-stage entry (the lowest observed_sequence among later stages)
    select
        skipped_candidates.entity_type,
        skipped_candidates.entity_id,
        skipped_candidates.lead_id,
        skipped_candidates.stage_key,
        skipped_candidates.stage_order,
        anchor.entered_at,
        'skipped_stage' as event_source,
        anchor.observed_sequence as anchor_sequence,
        true as is_skipped_stage,
        skipped_candidates.handoff_at,
        skipped_candidates.entity_input_digest
    from skipped_candidates
    inner join (
        select
            later.entity_type,
            later.entity_id,
            candidates.stage_key,
            min(later.observed_sequence) as observed_sequence
        from skipped_candidates as candidates
        inner join numbered as later
            on later.entity_type = candidates.entity_type
            and later.entity_id = candidates.entity_id
            and later.stage_order > candidates.stage_order
        group by later.entity_type, later.entity_id, candidates.stage_key
    ) as first_later
        on skipped_candidates.entity_type = first_later.entity_type
        and skipped_candidates.entity_id = first_later.entity_id
        and skipped_candidates.stage_key = first_later.stage_key
    inner join numbered as anchor
        on anchor.entity_type = first_later.entity_type
        and anchor.entity_id = first_later.entity_id
        and anchor.observed_sequence = first_later.observed_sequence

),

all_entries as (

    select
        numbered.entity_type,
        numbered.entity_id,
        numbered.entity_lead_id as lead_id,
        numbered.stage_key,
        numbered.stage_order,
        numbered.entered_at,
        numbered.event_source,
        numbered.observed_sequence as anchor_sequence,
        false as is_skipped_stage,
        numbered.entity_handoff_at as handoff_at,
        numbered.entity_input_digest
    from numbered

    union all

    select * from skipped

),

sequenced as (

    -- the next entry's time in the same window as the sequence number (one sort; the order is
    -- total: observed entries have distinct anchors, skipped ones distinct stage orders)
    select
        all_entries.*,
        row_number() over (
            partition by entity_type, entity_id
            order by anchor_sequence, case when is_skipped_stage then 0 else 1 end, stage_order
        ) as event_sequence,
        lead(entered_at) over (
            partition by entity_type, entity_id
            order by anchor_sequence, case when is_skipped_stage then 0 else 1 end, stage_order
        ) as next_entered_at
    from all_entries

),

with_exit as (

    select
        sequenced.*,
        row_number() over (
            partition by entity_type, entity_id, stage_key order by event_sequence
        ) as entry_number
    from sequenced

),

timed as (

    select
        with_exit.*,
        case
            when next_entered_at is not null then next_entered_at
            when handoff_at is not null and handoff_at > entered_at then handoff_at
            when handoff_at is not null then entered_at
        end as exited_at
    from with_exit

),

final as (

    select
        -- ids
        cast({{ dbt.concat(["entity_type", "':'", "entity_id", "':'", dbt.safe_cast("event_sequence", dbt.type_string())]) }} as {{ dbt.type_string() }}) as stage_event_id,
        cast(entity_type as {{ dbt.type_string() }}) as entity_type,
        cast(entity_id as {{ dbt.type_string() }}) as entity_id,
        cast(lead_id as {{ dbt.type_string() }}) as lead_id,

        -- stage
        cast(stage_key as {{ dbt.type_string() }}) as stage_key,
        cast(stage_order as {{ dbt.type_int() }}) as stage_order,
        cast(event_sequence as {{ dbt.type_int() }}) as event_sequence,
        cast(entry_number as {{ dbt.type_int() }}) as entry_number,
        cast(event_source as {{ dbt.type_string() }}) as event_source,
        is_skipped_stage,
        exited_at is null as is_current_stage,

        -- timestamps
        entered_at,
        exited_at,
        {{ reporting_date('entered_at') }} as entered_date,
        {{ reporting_month('entered_at') }} as entered_month,

        -- lineage: the entity's input digest, on its first entry (macros/partitions.sql)
        case when event_sequence = 1 then entity_input_digest end as _partition_digest

    from timed

)

{%- if is_incremental() %}

select * from final

union all

-- one tombstone per changed entity (stage_event_id null): replace_partitions deletes the entity's
-- stored rows, then inserts its rows of `final`
{{ partition_tombstones('changed_entities', [
    'stage_event_id', 'entity_type', 'entity_id', 'lead_id', 'stage_key', 'stage_order', 'event_sequence',
    'entry_number', 'event_source', 'is_skipped_stage', 'is_current_stage', 'entered_at', 'exited_at',
    'entered_date', 'entered_month', '_partition_digest'], partition_by) }}
{%- else %}

select * from final
{%- endif %}
