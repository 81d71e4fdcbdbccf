-- One row per opportunity: everything of marts.fct_opportunities but days_in_current_stage, the one
-- column that moves with the clock, and with current_stage_entered_at it is computed from. Kept
-- apart so that a night whose sources did not change keeps this table (the window over every
-- opportunity's stage entries and six joins: 6.4 s a night at 10M leads, docs/benchmarks.md) and
-- fct_opportunities only adds the age. Dimensions, current stage and outcome from the stage
-- entries, re-opening, won/lost times, sales cycle, lead attribution, and a reached flag + timestamp
-- per stage of var('opportunity_reached_flag_stages').

{%- set flag_stages = var('opportunity_reached_flag_stages') %}
{%- set repeat_types = var('repeat_opportunity_types', []) %}

with

opportunities as {{ inlined_cte() }} (

    select * from {{ ref('int_opportunities__linked') }}

),

events as {{ inlined_cte() }} (

    select * from {{ ref('int_stage_events__unioned') }} where entity_type = 'opportunity'

),

leads as (

    select lead_id, created_at from {{ ref('int_leads__resolved') }}

),

attribution as (

    select * from {{ ref('int_leads__attribution') }}

),

owners as (

    select * from {{ ref('int_owners') }}

),

stages as (

    select * from {{ ref('int_funnel_stages') }}

),

sequenced as (

    select
        events.*,
        stages.is_won as is_won_stage,
        row_number() over (
            partition by events.entity_id order by events.entered_at desc, events.source_sequence desc
        ) as recency_rank
    from events
    inner join stages
        on events.stage_key = stages.stage_key

),

current_entry as (

    select entity_id, stage_key, entered_at, is_lost
    from sequenced
    where recency_rank = 1

),

entry_facts as (

    select
        entity_id,
        max(case when is_won_stage then entered_at end) as won_at,
        max(case when is_lost then entered_at end) as last_lost_at,
        {{ dbt.bool_or('is_lost and recency_rank > 1') }} as was_reopened
    from sequenced
    group by entity_id

),

reached as (

    select
        opportunities.opportunity_id,
        {%- for s in flag_stages %}
        min(case when events.stage_order >= flag_{{ s }}.stage_order then events.entered_at end) as {{ s }}_reached_at{{ ',' if not loop.last }}
        {%- endfor %}
    from opportunities
    left join events
        on opportunities.opportunity_id = events.entity_id
    {%- for s in flag_stages %}
    cross join (select stage_order from stages where stage_key = '{{ s }}') as flag_{{ s }}
    {%- endfor %}
    group by opportunities.opportunity_id

),

final as (

    select
        -- ids
        cast(opportunities.opportunity_id as {{ dbt.type_string() }}) as opportunity_id,
        cast(opportunities.lead_id as {{ dbt.type_string() }}) as lead_id,
        cast(opportunities.account_id as {{ dbt.type_string() }}) as account_id,
        cast(opportunities.owner_id as {{ dbt.type_string() }}) as owner_id,
        cast(opportunities.campaign_id as {{ dbt.type_string() }}) as campaign_id,

        -- dimensions
        cast(opportunities.opportunity_name as {{ dbt.type_string() }}) as opportunity_name,
        cast(owners.team as {{ dbt.type_string() }}) as owner_team,
        cast(opportunities.stage as {{ dbt.type_string() }}) as stage,
        cast(opportunities.stage_key as {{ dbt.type_string() }}) as stage_key,
        cast(current_entry.stage_key as {{ dbt.type_string() }}) as current_stage_key,
        cast(opportunities.product as {{ dbt.type_string() }}) as product,
        cast(opportunities.opportunity_type as {{ dbt.type_string() }}) as opportunity_type,
        coalesce(opportunities.opportunity_type in (
            {%- for t in repeat_types %}'{{ t | lower }}'{{ ', ' if not loop.last }}{% endfor -%}
            {%- if repeat_types | length == 0 %}null{% endif -%}
        ), false) as is_repeat_business,
        cast(opportunities.lead_source as {{ dbt.type_string() }}) as lead_source,
        cast(opportunities.loss_reason as {{ dbt.type_string() }}) as loss_reason,
        cast(attribution.first_touch_channel_key as {{ dbt.type_string() }}) as lead_first_touch_channel_key,

        -- measures
        cast(opportunities.amount as {{ type_double() }}) as amount,
        cast(opportunities.currency as {{ dbt.type_string() }}) as currency,
        cast(opportunities.probability as {{ type_double() }}) as probability,

        -- state
        opportunities.is_closed,
        opportunities.is_won,
        coalesce(current_entry.is_lost, false) as is_lost,
        coalesce(entry_facts.was_reopened, false) as was_reopened,
        current_entry.entered_at as current_stage_entered_at,

        -- timestamps
        opportunities.created_at,
        {{ reporting_date('opportunities.created_at') }} as created_date,
        {{ reporting_month('opportunities.created_at') }} as created_month,
        cast(opportunities.close_date as date) as close_date,
        entry_facts.won_at,
        case when current_entry.is_lost then entry_facts.last_lost_at end as lost_at,
        cast(
            case when entry_facts.won_at is not null then
                {{ days_between('coalesce(leads.created_at, opportunities.created_at)', 'entry_facts.won_at') }}
            end as {{ type_double() }}
        ) as sales_cycle_days,

        -- reached stages
        {%- for s in flag_stages %}
        reached.{{ s }}_reached_at is not null as has_reached_{{ s }},
        reached.{{ s }}_reached_at{{ ',' if not loop.last }}
        {%- endfor %}

    from opportunities
    left join current_entry
        on opportunities.opportunity_id = current_entry.entity_id
    left join entry_facts
        on opportunities.opportunity_id = entry_facts.entity_id
    left join reached
        on opportunities.opportunity_id = reached.opportunity_id
    left join leads
        on opportunities.lead_id = leads.lead_id
    left join attribution
        on opportunities.lead_id = attribution.lead_id
    left join owners
        on opportunities.owner_id = owners.owner_id

)

select * from final
