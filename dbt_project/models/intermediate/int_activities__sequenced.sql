-- One row per sales activity, attached to its record (leads mapped to their canonical lead), with
-- its position among the activities on that record: the first is the first contact, later ones
-- are follow-ups.
-- Incremental: a night renumbers only the records that got an activity from a new load, within the
-- lookback window or a backfill range, or whose activities moved to another record (lead merges):
-- all of each such record's activities (macros/incremental.sql).

{{
    config(
        materialized=incremental_or_table(),
        unique_key='activity_id',
    )
}}

with

activities as (

    select * from {{ ref('stg_crm__activities') }}

),

merged as (

    select lead_id, canonical_lead_id from {{ ref('int_leads__merged') }}

),

attached as (

    select
        activities.activity_id,
        activities.owner_id,
        activities.activity_type,
        activities.occurred_at,
        activities.entity_type,
        case
            when activities.entity_type = 'lead' then coalesce(merged.canonical_lead_id, activities.entity_id)
            else activities.entity_id
        end as entity_id,
        activities._loaded_at
    from activities
    left join merged
        on activities.entity_type = 'lead'
        and activities.entity_id = merged.lead_id

),

{%- if is_incremental() %}
moved as (

    -- stored activities that now belong to another record (their lead was merged into another)
    select
        stored.entity_type as old_entity_type,
        stored.entity_id as old_entity_id,
        attached.entity_type as new_entity_type,
        attached.entity_id as new_entity_id
    from {{ this }} as stored
    inner join attached
        on stored.activity_id = attached.activity_id
    where coalesce(stored.entity_type, '') <> coalesce(attached.entity_type, '')
        or coalesce(stored.entity_id, '') <> coalesce(attached.entity_id, '')

),
{%- endif %}

changed_records as (

    -- records whose numbering can have changed: those with an activity from a new load, in the
    -- lookback window or in a backfill range, and both records of every moved activity
    select distinct entity_type, entity_id
    from attached
    where {{ incremental_recompute_condition('occurred_at', 'occurred_at') }}
    {%- if is_incremental() %}
    union
    select old_entity_type, old_entity_id from moved
    union
    select new_entity_type, new_entity_id from moved
    {%- endif %}

),

recomputed as (

    select attached.*
    from attached
    inner join changed_records
        on coalesce(attached.entity_type, '') = coalesce(changed_records.entity_type, '')
        and coalesce(attached.entity_id, '') = coalesce(changed_records.entity_id, '')

),

final as (

    select
        recomputed.*,
        row_number() over (
            partition by entity_type, entity_id order by occurred_at, activity_id
        ) as touch_number,
        row_number() over (
            partition by entity_type, entity_id order by occurred_at, activity_id
        ) > 1 as is_follow_up
    from recomputed

)

select * from final
