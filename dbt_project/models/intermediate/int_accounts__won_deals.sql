-- One row per won opportunity of an account, numbered in the order the account won them, and
-- whether it is a repeat purchase (复购): not the account's first won deal, or an
-- opportunity_type listed in var('repeat_opportunity_types') (existing business, renewal, …).
-- Won time = the deal's last entry into the won stage, else its close date, else created_at.

{%- set repeat_types = var('repeat_opportunity_types', []) %}

with

opportunities as (

    select * from {{ ref('int_opportunities__linked') }}

),

opportunity_events as (

    select * from {{ ref('int_stage_events__opportunities') }}

),

stages as (

    select * from {{ ref('int_funnel_stages') }}

),

won_entries as (

    select
        opportunity_events.entity_id as opportunity_id,
        max(opportunity_events.entered_at) as won_at
    from opportunity_events
    inner join stages
        on opportunity_events.stage_key = stages.stage_key
    where stages.is_won
    group by opportunity_events.entity_id

),

won_deals as (

    select
        opportunities.account_id,
        opportunities.opportunity_id,
        opportunities.lead_id,
        opportunities.opportunity_type,
        coalesce(
            won_entries.won_at,
            cast(opportunities.close_date as {{ dbt.type_timestamp() }}),
            opportunities.created_at
        ) as won_at
    from opportunities
    left join won_entries
        on opportunities.opportunity_id = won_entries.opportunity_id
    where opportunities.is_won
        and opportunities.account_id is not null

),

final as (

    select
        won_deals.*,
        row_number() over (partition by account_id order by won_at, opportunity_id) as won_deal_number,
        row_number() over (partition by account_id order by won_at, opportunity_id) > 1
            or coalesce(opportunity_type in (
                {%- for t in repeat_types %}'{{ t | lower }}'{{ ', ' if not loop.last }}{% endfor -%}
                {%- if repeat_types | length == 0 %}null{% endif -%}
            ), false) as is_repeat_purchase
    from won_deals

)

select * from final
