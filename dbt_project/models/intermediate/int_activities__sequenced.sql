-- One row per sales activity, attached to its record (leads mapped to their canonical lead), with
-- its position among the activities on that record: the first is the first contact, later ones
-- are follow-ups.

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
        end as entity_id
    from activities
    left join merged
        on activities.entity_type = 'lead'
        and activities.entity_id = merged.lead_id

),

final as (

    select
        attached.*,
        row_number() over (
            partition by entity_type, entity_id order by occurred_at, activity_id
        ) as touch_number,
        row_number() over (
            partition by entity_type, entity_id order by occurred_at, activity_id
        ) > 1 as is_follow_up
    from attached

)

select * from final
