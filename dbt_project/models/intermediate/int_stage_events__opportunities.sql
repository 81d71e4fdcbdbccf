-- One row per opportunity x stage entry, as observed (skipped stages are filled in
-- fct_stage_events).
--   * With stage history: the history rows in order (entered_at, then _source_row because real
--     exports carry identical timestamps), unmapped rows left out, consecutive rows in the same
--     stage (amount/date edits) collapsed into one entry. A re-opened opportunity (lost, then an
--     open stage again) simply has more entries: lost is the outcome only while it is the last one.
--     When the opportunity's current stage differs from the last history entry (history lagging
--     the snapshot), the current stage is appended at the later of the last entry and, for closed
--     deals, the close date.
--   * Without history (the CRM gave only current state): the first opportunity stage at
--     created_at — an opportunity exists, so it reached that stage — then every stage it was seen
--     in, night by night (snapshot snap_crm__opportunities, then tonight's state): the first state
--     seen at the close date for closed deals, else at created_at; each later change at the night
--     it was first seen (dbt_valid_from), or at the close date when the deal closed in between.

with

opportunities as {{ inlined_cte() }} (

    select * from {{ ref('stg_crm__opportunities') }}

),

links as (

    select opportunity_id, lead_id from {{ ref('int_opportunities__linked') }}

),

history as (

    select * from {{ ref('stg_crm__stage_history') }} where entity_type = 'opportunity' and stage_key is not null

),

stages as (

    select * from {{ ref('int_funnel_stages') }}

),

entry_stage as (

    select stage_key, stage_order from stages where is_opportunity_entry_stage

),

-- with history
history_rows as (

    select
        history.entity_id as opportunity_id,
        history.stage_key,
        history.entered_at,
        'stage_history' as event_source,
        history._source_row as source_sequence,
        lag(history.stage_key) over (
            partition by history.entity_id
            order by history.entered_at, history._source_row, history.stage_history_key
        ) as previous_stage_key
    from history
    inner join opportunities
        on history.entity_id = opportunities.opportunity_id

),

history_entries as (

    select opportunity_id, stage_key, entered_at, event_source, source_sequence
    from history_rows
    where previous_stage_key is null or previous_stage_key <> stage_key

),

last_history_entry as (

    select opportunity_id, stage_key, entered_at
    from (
        select
            history_entries.*,
            row_number() over (
                partition by opportunity_id order by entered_at desc, source_sequence desc
            ) as recency_rank
        from history_entries
    ) as ranked
    where recency_rank = 1

),

current_state_after_history as (

    select
        opportunities.opportunity_id,
        opportunities.stage_key,
        case
            when opportunities.is_closed
                and cast(opportunities.close_date as {{ dbt.type_timestamp() }}) > last_history_entry.entered_at
                then cast(opportunities.close_date as {{ dbt.type_timestamp() }})
            else last_history_entry.entered_at
        end as entered_at,
        'current_stage' as event_source,
        -- synthesized events sort after history rows with the same timestamp
        1000000000000 as source_sequence
    from opportunities
    inner join last_history_entry
        on opportunities.opportunity_id = last_history_entry.opportunity_id
    where opportunities.stage_key is not null
        and opportunities.stage_key <> last_history_entry.stage_key

),

-- without history
no_history as (

    select opportunities.*
    from opportunities
    where not exists (
        select 1 from history_entries where history_entries.opportunity_id = opportunities.opportunity_id
    )

),

snapshot_versions as (

    select
        snapshots.opportunity_id,
        snapshots.stage_key,
        snapshots.is_closed,
        snapshots.close_date,
        snapshots.dbt_valid_from as seen_at,
        0 as version_source
    from {{ opportunity_stage_versions() }} as snapshots
    inner join no_history
        on snapshots.opportunity_id = no_history.opportunity_id

    union all

    -- tonight's state, in case the snapshot has not run (a build that excluded it)
    select
        opportunity_id,
        stage_key,
        is_closed,
        close_date,
        {{ as_of() }} as seen_at,
        1 as version_source
    from no_history

),

ordered_versions as (

    select
        snapshot_versions.*,
        lag(stage_key) over (partition by opportunity_id order by seen_at, version_source) as previous_stage_key,
        lag(seen_at) over (partition by opportunity_id order by seen_at, version_source) as previous_seen_at,
        row_number() over (partition by opportunity_id order by seen_at, version_source) as version_number
    from snapshot_versions
    where stage_key is not null

),

stage_changes as (

    select *
    from ordered_versions
    where previous_stage_key is null or previous_stage_key <> stage_key

),

created_entries as (

    select
        no_history.opportunity_id,
        entry_stage.stage_key,
        no_history.created_at as entered_at,
        'opportunity_created' as event_source,
        0 as source_sequence
    from no_history
    cross join entry_stage
    left join stages as current_stage
        on no_history.stage_key = current_stage.stage_key
    -- a current stage before the opportunity funnel (single-pipeline CRMs) means not there yet
    where coalesce(current_stage.stage_order >= entry_stage.stage_order, true)

),

current_entries as (

    select
        stage_changes.opportunity_id,
        stage_changes.stage_key,
        case
            when stage_changes.previous_seen_at is null
                then case
                    when stage_changes.is_closed
                        and cast(stage_changes.close_date as {{ dbt.type_timestamp() }}) > no_history.created_at
                        then cast(stage_changes.close_date as {{ dbt.type_timestamp() }})
                    else no_history.created_at
                end
            when stage_changes.is_closed
                and cast(stage_changes.close_date as {{ dbt.type_timestamp() }}) > stage_changes.previous_seen_at
                and cast(stage_changes.close_date as {{ dbt.type_timestamp() }}) <= stage_changes.seen_at
                then cast(stage_changes.close_date as {{ dbt.type_timestamp() }})
            else stage_changes.seen_at
        end as entered_at,
        case when stage_changes.previous_seen_at is null then 'current_stage' else 'snapshot' end as event_source,
        1000000000000 + stage_changes.version_number - 1 as source_sequence
    from stage_changes
    inner join no_history
        on stage_changes.opportunity_id = no_history.opportunity_id
    cross join entry_stage
    -- the first state seen, when it is the entry stage, is already the created entry
    where not (stage_changes.previous_seen_at is null and stage_changes.stage_key = entry_stage.stage_key)

),

unioned as (

    select * from history_entries
    union all
    select * from current_state_after_history
    union all
    select * from created_entries
    union all
    select * from current_entries

),

final as (

    select
        'opportunity' as entity_type,
        unioned.opportunity_id as entity_id,
        links.lead_id,
        unioned.stage_key,
        unioned.entered_at,
        unioned.event_source,
        unioned.source_sequence
    from unioned
    left join links
        on unioned.opportunity_id = links.opportunity_id

)

select * from final
