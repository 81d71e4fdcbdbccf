-- One row per canonical lead: its first sales activity at or after creation (on the lead or a
-- merged duplicate) and whether that came within var('first_contact_sla_hours') (default 24).

with

leads as {{ inlined_cte() }} (

    select lead_id, owner_id, created_at from {{ ref('int_leads__resolved') }}

),

activities as (

    select * from {{ ref('int_activities__sequenced') }} where entity_type = 'lead'

),

first_activity as (

    select
        leads.lead_id,
        min(activities.occurred_at) as first_activity_at,
        count(activities.activity_id) as activity_count
    from leads
    left join activities
        on leads.lead_id = activities.entity_id
        and activities.occurred_at >= leads.created_at
    group by leads.lead_id

),

final as (

    select
        leads.lead_id,
        leads.owner_id,
        leads.created_at,
        first_activity.first_activity_at,
        {{ days_between('leads.created_at', 'first_activity.first_activity_at') }} * 24 as hours_to_first_activity,
        coalesce(
            first_activity.first_activity_at <= {{ dbt.dateadd('hour', var('first_contact_sla_hours', 24), 'leads.created_at') }},
            false
        ) as is_contacted_within_sla,
        first_activity.activity_count
    from leads
    inner join first_activity
        on leads.lead_id = first_activity.lead_id

)

select * from final
