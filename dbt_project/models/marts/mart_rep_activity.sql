-- One row per month x rep, plus one per month x team (aggregation_level): first-contact SLA on the
-- leads the rep owns (by lead creation month: share first contacted within
-- var('first_contact_sla_hours'), default 24 h) and the rep's activities in the month (by activity
-- month), split into first contacts and follow-ups (later activities on the same record).

with

first_contacts as (

    select * from {{ ref('int_leads__first_contact') }}

),

activities as (

    select * from {{ ref('int_activities__sequenced') }}

),

owners as (

    select owner_id, coalesce(team, 'unknown') as team from {{ ref('int_owners') }}

),

lead_facts as (

    select
        {{ reporting_month('created_at') }} as period_month,
        owner_id,
        lead_id,
        first_activity_at,
        hours_to_first_activity,
        is_contacted_within_sla
    from first_contacts

),

activity_facts as (

    select
        {{ reporting_month('occurred_at') }} as period_month,
        owner_id,
        activity_id,
        is_follow_up
    from activities

),

keys as (

    select period_month, owner_id from lead_facts
    union
    select period_month, owner_id from activity_facts

),

by_rep_leads as (

    select
        period_month,
        owner_id,
        count(*) as leads_created_count,
        sum(case when first_activity_at is not null then 1 else 0 end) as leads_contacted_count,
        sum(case when is_contacted_within_sla then 1 else 0 end) as leads_contacted_within_sla_count,
        {{ percentile('hours_to_first_activity', 0.5) }} as median_hours_to_first_activity
    from lead_facts
    group by period_month, owner_id

),

by_rep_activities as (

    select
        period_month,
        owner_id,
        count(*) as activity_count,
        sum(case when is_follow_up then 0 else 1 end) as first_touch_activity_count,
        sum(case when is_follow_up then 1 else 0 end) as follow_up_activity_count
    from activity_facts
    group by period_month, owner_id

),

by_team_leads as (

    select
        lead_facts.period_month,
        coalesce(owners.team, 'unknown') as team,
        count(*) as leads_created_count,
        sum(case when lead_facts.first_activity_at is not null then 1 else 0 end) as leads_contacted_count,
        sum(case when lead_facts.is_contacted_within_sla then 1 else 0 end) as leads_contacted_within_sla_count,
        {{ percentile('lead_facts.hours_to_first_activity', 0.5) }} as median_hours_to_first_activity
    from lead_facts
    left join owners
        on lead_facts.owner_id = owners.owner_id
    group by lead_facts.period_month, coalesce(owners.team, 'unknown')

),

by_team_activities as (

    select
        activity_facts.period_month,
        coalesce(owners.team, 'unknown') as team,
        count(*) as activity_count,
        sum(case when activity_facts.is_follow_up then 0 else 1 end) as first_touch_activity_count,
        sum(case when activity_facts.is_follow_up then 1 else 0 end) as follow_up_activity_count
    from activity_facts
    left join owners
        on activity_facts.owner_id = owners.owner_id
    group by activity_facts.period_month, coalesce(owners.team, 'unknown')

),

team_keys as (

    select period_month, team from by_team_leads
    union
    select period_month, team from by_team_activities

),

unioned as (

    select
        keys.period_month,
        'rep' as aggregation_level,
        keys.owner_id,
        coalesce(owners.team, 'unknown') as team,
        by_rep_leads.leads_created_count,
        by_rep_leads.leads_contacted_count,
        by_rep_leads.leads_contacted_within_sla_count,
        by_rep_leads.median_hours_to_first_activity,
        by_rep_activities.activity_count,
        by_rep_activities.first_touch_activity_count,
        by_rep_activities.follow_up_activity_count
    from keys
    left join owners
        on keys.owner_id = owners.owner_id
    left join by_rep_leads
        on keys.period_month = by_rep_leads.period_month
        and coalesce(keys.owner_id, '') = coalesce(by_rep_leads.owner_id, '')
    left join by_rep_activities
        on keys.period_month = by_rep_activities.period_month
        and coalesce(keys.owner_id, '') = coalesce(by_rep_activities.owner_id, '')

    union all

    select
        team_keys.period_month,
        'team' as aggregation_level,
        cast(null as {{ dbt.type_string() }}) as owner_id,
        team_keys.team,
        by_team_leads.leads_created_count,
        by_team_leads.leads_contacted_count,
        by_team_leads.leads_contacted_within_sla_count,
        by_team_leads.median_hours_to_first_activity,
        by_team_activities.activity_count,
        by_team_activities.first_touch_activity_count,
        by_team_activities.follow_up_activity_count
    from team_keys
    left join by_team_leads
        on team_keys.period_month = by_team_leads.period_month
        and team_keys.team = by_team_leads.team
    left join by_team_activities
        on team_keys.period_month = by_team_activities.period_month
        and team_keys.team = by_team_activities.team

),

final as (

    select
        cast(period_month as date) as period_month,
        cast(aggregation_level as {{ dbt.type_string() }}) as aggregation_level,
        cast(owner_id as {{ dbt.type_string() }}) as owner_id,
        cast(team as {{ dbt.type_string() }}) as team,
        cast(coalesce(leads_created_count, 0) as {{ dbt.type_bigint() }}) as leads_created_count,
        cast(coalesce(leads_contacted_count, 0) as {{ dbt.type_bigint() }}) as leads_contacted_count,
        cast(coalesce(leads_contacted_within_sla_count, 0) as {{ dbt.type_bigint() }}) as leads_contacted_within_sla_count,
        cast(
            case when leads_created_count > 0 then cast(leads_contacted_within_sla_count as {{ type_double() }}) / leads_created_count end
            as {{ type_double() }}
        ) as first_contact_sla_rate,
        cast(median_hours_to_first_activity as {{ type_double() }}) as median_hours_to_first_activity,
        cast(coalesce(activity_count, 0) as {{ dbt.type_bigint() }}) as activity_count,
        cast(coalesce(first_touch_activity_count, 0) as {{ dbt.type_bigint() }}) as first_touch_activity_count,
        cast(coalesce(follow_up_activity_count, 0) as {{ dbt.type_bigint() }}) as follow_up_activity_count,
        cast({{ var('first_contact_sla_hours', 24) }} as {{ dbt.type_int() }}) as first_contact_sla_hours
    from unioned

)

select * from final
