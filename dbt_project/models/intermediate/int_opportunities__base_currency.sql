-- One row per opportunity with its amount converted to var('base_currency') (int_fx_rates: the
-- rate of the month of the close date — expected or actual — else of the creation month, else the
-- constant rate), its outcome from the stage entries (won / lost / open, as fct_opportunities) and
-- the month it closed. A missing currency means the base currency; a currency without a rate
-- keeps amount_base null.

with

opportunities as (

    select * from {{ ref('int_opportunities__linked') }}

),

events as (

    select * from {{ ref('int_stage_events__unioned') }} where entity_type = 'opportunity'

),

stages as (

    select * from {{ ref('int_funnel_stages') }}

),

fx as (

    select * from {{ ref('int_fx_rates') }}

),

current_entry as (

    select entity_id, stage_key, is_won, is_lost, entered_at
    from (
        select
            events.entity_id,
            events.stage_key,
            events.entered_at,
            stages.is_won,
            stages.is_lost,
            row_number() over (
                partition by events.entity_id order by events.entered_at desc, events.source_sequence desc
            ) as recency_rank
        from events
        inner join stages
            on events.stage_key = stages.stage_key
    ) as ranked
    where recency_rank = 1

),

keyed as (

    select
        opportunities.*,
        coalesce(opportunities.currency, '{{ var("base_currency", "USD") | upper }}') as amount_currency,
        {{ reporting_month('coalesce(cast(opportunities.close_date as ' ~ dbt.type_timestamp() ~ '), opportunities.created_at)') }}
            as fx_month
    from opportunities

),

final as (

    select
        keyed.opportunity_id,
        keyed.lead_id,
        keyed.account_id,
        keyed.owner_id,
        keyed.campaign_id,
        keyed.product,
        keyed.stage_key,
        current_entry.stage_key as current_stage_key,
        keyed.amount,
        keyed.amount_currency,
        keyed.probability,
        coalesce(monthly.rate_to_base, constant.rate_to_base) as fx_rate_to_base,
        keyed.amount * coalesce(monthly.rate_to_base, constant.rate_to_base) as amount_base,
        coalesce(current_entry.is_won, false) as is_closed_won,
        coalesce(current_entry.is_lost, false) as is_closed_lost,
        not coalesce(current_entry.is_won, false) and not coalesce(current_entry.is_lost, false) as is_open,
        case when current_entry.is_won or current_entry.is_lost then current_entry.entered_at end as closed_at,
        case when current_entry.is_won or current_entry.is_lost then {{ reporting_month('current_entry.entered_at') }} end
            as closed_month,
        keyed.close_date,
        keyed.created_at
    from keyed
    left join current_entry
        on keyed.opportunity_id = current_entry.entity_id
    left join fx as monthly
        on keyed.amount_currency = monthly.currency
        and keyed.fx_month = monthly.rate_month
    left join fx as constant
        on keyed.amount_currency = constant.currency
        and constant.rate_month is null

)

select * from final
