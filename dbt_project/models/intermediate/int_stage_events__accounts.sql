-- One row per account that made a repeat purchase (复购): its entry into the account-level stage
-- (entity type `account`, default `repeat`) when its first repeat deal was won. A won deal is a
-- repeat purchase when the account had won a deal before, or when its opportunity_type is one of
-- var('repeat_opportunity_types') (existing business, renewal, upsell, …).
-- Won time = the deal's last entry into the won stage, else its close date, else created_at.

with

opportunities as (

    select * from {{ ref('stg_crm__opportunities') }}

),

links as (

    select opportunity_id, account_id from {{ ref('int_opportunities__linked') }}

),

opportunity_events as (

    select * from {{ ref('int_stage_events__opportunities') }}

),

stages as (

    select * from {{ ref('int_funnel_stages') }}

),

repeat_stage as (

    select stage_key from stages where entity_type = 'account' and is_ordered

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
        links.account_id,
        opportunities.opportunity_id,
        opportunities.opportunity_type,
        coalesce(
            won_entries.won_at,
            cast(opportunities.close_date as {{ dbt.type_timestamp() }}),
            opportunities.created_at
        ) as won_at
    from opportunities
    inner join links
        on opportunities.opportunity_id = links.opportunity_id
    left join won_entries
        on opportunities.opportunity_id = won_entries.opportunity_id
    where opportunities.is_won
        and links.account_id is not null

),

ranked as (

    select
        won_deals.*,
        row_number() over (
            partition by account_id order by won_at, opportunity_id
        ) as won_deal_number
    from won_deals

),

repeat_deals as (

    select
        account_id,
        min(won_at) as repeat_at
    from ranked
    where won_deal_number > 1
        or opportunity_type in (
            {%- for t in var('repeat_opportunity_types', []) %}'{{ t | lower }}'{{ ', ' if not loop.last }}{% endfor -%}
            {%- if var('repeat_opportunity_types', []) | length == 0 %}null{% endif -%}
        )
    group by account_id

),

final as (

    select
        'account' as entity_type,
        repeat_deals.account_id as entity_id,
        cast(null as {{ dbt.type_string() }}) as lead_id,
        repeat_stage.stage_key,
        repeat_deals.repeat_at as entered_at,
        'repeat_purchase' as event_source,
        0 as source_sequence
    from repeat_deals
    cross join repeat_stage

)

select * from final
