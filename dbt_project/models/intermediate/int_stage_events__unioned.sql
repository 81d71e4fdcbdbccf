-- One row per observed stage entry of any entity (submission, lead, opportunity, account), with the
-- stage's order and, per entity, handoff_at: when its journey continued in another record — a
-- submission when its lead was created, a lead when its first opportunity started. fct_stage_events
-- uses handoff_at as the exit of the entity's last stage instead of leaving it open forever.

with

submission_events as (

    select * from {{ ref('int_stage_events__submissions') }}

),

lead_events as (

    select entity_type, entity_id, lead_id, stage_key, entered_at, event_source, source_sequence
    from {{ ref('int_stage_events__leads') }}

),

opportunity_events as (

    select * from {{ ref('int_stage_events__opportunities') }}

),

account_events as (

    select * from {{ ref('int_stage_events__accounts') }}

),

submissions as (

    select * from {{ ref('int_submissions__matched_to_leads') }}

),

leads as (

    select lead_id, created_at from {{ ref('int_leads__resolved') }}

),

stages as (

    select stage_key, stage_order, is_lost from {{ ref('int_funnel_stages') }}

),

unioned as (

    select * from submission_events
    union all
    select * from lead_events
    union all
    select * from opportunity_events
    union all
    select * from account_events

),

submission_handoffs as (

    select
        'submission' as entity_type,
        submissions.submission_id as entity_id,
        case
            when leads.created_at > submissions.submitted_at then leads.created_at
            else submissions.submitted_at
        end as handoff_at
    from submissions
    inner join leads
        on submissions.lead_id = leads.lead_id

),

lead_handoffs as (

    select
        'lead' as entity_type,
        lead_id as entity_id,
        min(entered_at) as handoff_at
    from opportunity_events
    where lead_id is not null
    group by lead_id

),

handoffs as (

    select * from submission_handoffs
    union all
    select * from lead_handoffs

),

final as (

    select
        unioned.entity_type,
        unioned.entity_id,
        unioned.lead_id,
        unioned.stage_key,
        stages.stage_order,
        stages.is_lost,
        unioned.entered_at,
        unioned.event_source,
        unioned.source_sequence,
        handoffs.handoff_at
    from unioned
    inner join stages
        on unioned.stage_key = stages.stage_key
    left join handoffs
        on unioned.entity_type = handoffs.entity_type
        and unioned.entity_id = handoffs.entity_id

)

select * from final
