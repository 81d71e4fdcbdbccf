-- One row per canonical lead x cohort-funnel stage (the lead-entry stage and every later ordered
-- stage): whether the lead's journey reached the stage, and when.
-- Journey = the lead's own entries + the entries of its opportunities (linked through
-- converted_opportunity_id or opportunity.lead_id).
-- Reached (METRICS.md): an entry at the stage or at any later stage; the stage is reached when the
-- first such entry happened (so a skipped stage is reached with the first later stage). `lost` is
-- not ordered and never counts as reaching anything.
-- Account stages (repeat purchase, 复购) are reached through the lead's accounts: the first repeat
-- deal of one of its accounts won at or after the lead itself reached won — an account's other
-- purchases never make a lead that did not win "reach" won or repeat. Cohort month = lead creation
-- month in var('reporting_timezone').

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

won_deals as (

    select * from {{ ref('int_accounts__won_deals') }}

),

stages as (

    select * from {{ ref('int_funnel_stages') }} where is_cohort_stage

),

won_stage as (

    select stage_key from stages where is_won

),

lead_accounts as (

    select distinct lead_id, account_id
    from opportunity_links
    where lead_id is not null and account_id is not null

),

own_events as (

    select lead_id, stage_order, entered_at
    from events
    where entity_type in ('lead', 'opportunity')
        and lead_id is not null
        and stage_order is not null

),

reached_own as (

    select
        leads.lead_id,
        stages.stage_key,
        min(own_events.entered_at) as reached_at
    from leads
    cross join stages
    left join own_events
        on leads.lead_id = own_events.lead_id
        and own_events.stage_order >= stages.stage_order
    group by leads.lead_id, stages.stage_key

),

account_repeat as (

    select
        lead_accounts.lead_id,
        min(won_deals.won_at) as repeat_at
    from lead_accounts
    inner join won_deals
        on lead_accounts.account_id = won_deals.account_id
        and won_deals.is_repeat_purchase
    inner join reached_own as lead_won
        on lead_accounts.lead_id = lead_won.lead_id
    inner join won_stage
        on lead_won.stage_key = won_stage.stage_key
    where won_deals.won_at >= lead_won.reached_at
    group by lead_accounts.lead_id

),

reached as (

    select
        reached_own.lead_id,
        reached_own.stage_key,
        case
            when stages.entity_type <> 'account' then reached_own.reached_at
            when account_repeat.repeat_at is null then reached_own.reached_at
            when reached_own.reached_at is null or account_repeat.repeat_at < reached_own.reached_at
                then account_repeat.repeat_at
            else reached_own.reached_at
        end as reached_at
    from reached_own
    inner join stages
        on reached_own.stage_key = stages.stage_key
    left join account_repeat
        on reached_own.lead_id = account_repeat.lead_id

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
