-- One row per sales activity, attached to its record (leads mapped to their canonical lead), with
-- its position among the activities on that record: the first is the first contact, later ones
-- are follow-ups.
-- Incremental: a night renumbers only the records that got an activity from a new load, within the
-- lookback window or a backfill range, or whose activities moved to another record (lead merges,
-- re-delivered activities): all of each such record's activities (macros/incremental.sql).
-- A night never attaches all activities: it finds the moved ones from the CRM lead id stored on
-- each row, and attaches only the activities of the records it renumbers (at 26M activities the
-- whole attachment, compared row by row with the stored table, was 42 s of a night).
-- A table stored without crm_entity_id (an older version) is renumbered whole once.

{{
    config(
        materialized=incremental_or_table(),
        unique_key='activity_id',
        on_schema_change='append_new_columns',
    )
}}

{#- Activities attached to their record: lead activities to their canonical lead. Inlined where it is
    used, each time over only the activities that use needs ({activities}: a relation or subquery
    with the columns of stg_crm__activities); a CTE read twice would be materialized whole. -#}
{%- set attach_to_records -%}
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
        activities.entity_id as crm_entity_id,
        activities._loaded_at
    from {activities} as activities
    left join {{ ref('int_leads__merged') }} as merged
        on activities.entity_type = 'lead'
        and activities.entity_id = merged.lead_id
{%- endset -%}

with

{%- if incremental_with_columns(['crm_entity_id']) %}

new_or_recent as (

    -- activities of new loads, in the lookback window or in a backfill range, selected before they
    -- are attached (the condition reads only the activity's own occurred_at and _loaded_at): DuckDB
    -- does not push a filter with subqueries below the join, and attaching all 25M activities at
    -- 10M leads took 5.6 s of a night that attaches 0.5M (the dbt node: 10.5-10.8 -> 8.2-8.3 s)
    {{ attach_to_records.replace('{activities}',
        '(select * from ' ~ ref('stg_crm__activities') ~ ' where '
        ~ incremental_recompute_condition('occurred_at', 'occurred_at') ~ ')') }}

),

moved as (

    -- stored lead activities whose CRM lead now belongs to another canonical lead (a merge made or
    -- undone): the stored record loses them, the new one gains them
    select
        stored.entity_type,
        stored.entity_id as old_entity_id,
        coalesce(merged.canonical_lead_id, stored.crm_entity_id) as new_entity_id
    from {{ this }} as stored
    left join {{ ref('int_leads__merged') }} as merged
        on stored.crm_entity_id = merged.lead_id
    where stored.entity_type = 'lead'
        and coalesce(stored.entity_id, '') <> coalesce(merged.canonical_lead_id, stored.crm_entity_id, '')

),

redelivered as (

    -- the stored record of every activity a new load delivers again (it may name another record)
    select stored.entity_type, stored.entity_id
    from {{ this }} as stored
    inner join new_or_recent
        on stored.activity_id = new_or_recent.activity_id

),

changed_records as (

    -- records whose numbering can have changed
    select entity_type, entity_id from new_or_recent
    union
    select entity_type, old_entity_id from moved
    union
    select entity_type, new_entity_id from moved
    union
    select entity_type, entity_id from redelivered

),

changed_crm_ids as (

    -- the CRM ids whose activities belong to a changed record: a changed canonical lead's own id
    -- and the ids of the leads merged into it; any other record's own id
    select changed_records.entity_type, changed_records.entity_id as crm_entity_id
    from changed_records
    union
    select 'lead', merged.lead_id
    from {{ ref('int_leads__merged') }} as merged
    inner join changed_records
        on changed_records.entity_type = 'lead'
        and merged.canonical_lead_id = changed_records.entity_id

),

activities_of_changed_crm_ids as (

    select activities.*
    from {{ ref('stg_crm__activities') }} as activities
    inner join changed_crm_ids
        on coalesce(activities.entity_type, '') = coalesce(changed_crm_ids.entity_type, '')
        and coalesce(activities.entity_id, '') = coalesce(changed_crm_ids.crm_entity_id, '')

),

recomputed as (

    -- every activity of a changed record (a lead's CRM id can also name a lead merged away, whose
    -- activities belong to a record that is either changed too or kept as it is)
    select attached.*
    from ({{ attach_to_records.replace('{activities}', 'activities_of_changed_crm_ids') }}) as attached
    inner join changed_records
        on coalesce(attached.entity_type, '') = coalesce(changed_records.entity_type, '')
        and coalesce(attached.entity_id, '') = coalesce(changed_records.entity_id, '')

),

{%- else %}

recomputed as (

    {{ attach_to_records.replace('{activities}', ref('stg_crm__activities') | string) }}

),

{%- endif %}

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
