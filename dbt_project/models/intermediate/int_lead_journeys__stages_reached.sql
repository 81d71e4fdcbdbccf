-- One row per canonical lead x cohort-funnel stage (the lead-entry stage and every later ordered
-- stage): whether the lead's journey reached the stage, and when.
-- Journey = the lead's own entries + the entries of its opportunities (linked through
-- converted_opportunity_id or opportunity.lead_id) + the repeat-purchase entry of their accounts
-- when it happened after the lead was created.
-- Reached (METRICS.md): an entry at the stage or at any later stage; the stage is reached when the
-- first such entry happened (so a skipped stage is reached with the first later stage). `lost` is
-- not ordered and never counts as reaching anything. Cohort month = lead creation month in
-- var('reporting_timezone').

with

leads as (

    select lead_id, created_at from {{ ref('int_leads__resolved') }}

),

events as (

    select * from {{ ref('int_stage_events__unioned') }}

),

opportunity_links as (

    select * from {{ ref('int_opportunities__linked') }}

),

stages as (

    select * from {{ ref('int_funnel_stages') }} where is_cohort_stage

),

lead_accounts as (

    select distinct lead_id, account_id
    from opportunity_links
    where lead_id is not null and account_id is not null

),

journey_events as (

    select lead_id, stage_order, entered_at
    from events
    where entity_type in ('lead', 'opportunity')
        and lead_id is not null
        and stage_order is not null

    union all

    select lead_accounts.lead_id, events.stage_order, events.entered_at
    from events
    inner join lead_accounts
        on events.entity_type = 'account'
        and events.entity_id = lead_accounts.account_id
    inner join leads
        on lead_accounts.lead_id = leads.lead_id
    where events.stage_order is not null
        and events.entered_at >= leads.created_at

),

reached as (

    select
        leads.lead_id,
        stages.stage_key,
        min(journey_events.entered_at) as reached_at
    from leads
    cross join stages
    left join journey_events
        on leads.lead_id = journey_events.lead_id
        and journey_events.stage_order >= stages.stage_order
    group by leads.lead_id, stages.stage_key

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
        {{ days_between('leads.created_at', 'reached.reached_at') }} as days_to_reach
    from reached
    inner join leads
        on reached.lead_id = leads.lead_id
    inner join stages
        on reached.stage_key = stages.stage_key

)

select * from final
