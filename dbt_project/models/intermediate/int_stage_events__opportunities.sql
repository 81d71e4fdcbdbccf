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
--     created_at — an opportunity exists, so it reached that stage — then the current stage at
--     the close date for closed deals, else at created_at.

with

opportunities as (

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
        no_history.opportunity_id,
        no_history.stage_key,
        case
            when no_history.is_closed
                and cast(no_history.close_date as {{ dbt.type_timestamp() }}) > no_history.created_at
                then cast(no_history.close_date as {{ dbt.type_timestamp() }})
            else no_history.created_at
        end as entered_at,
        'current_stage' as event_source,
        1000000000000 as source_sequence
    from no_history
    cross join entry_stage
    where no_history.stage_key is not null
        and no_history.stage_key <> entry_stage.stage_key

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
