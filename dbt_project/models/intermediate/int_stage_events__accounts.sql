-- One row per account that made a repeat purchase (复购): its entry into the account-level stage
-- (entity type `account`, default `repeat`) when its first repeat deal was won
-- (see int_accounts__won_deals for what a repeat deal is).

with

won_deals as (

    select * from {{ ref('int_accounts__won_deals') }}

),

repeat_stage as (

    select stage_key from {{ ref('int_funnel_stages') }} where entity_type = 'account' and is_ordered

),

first_repeat as (

    select account_id, min(won_at) as repeat_at
    from won_deals
    where is_repeat_purchase
    group by account_id

),

final as (

    select
        'account' as entity_type,
        first_repeat.account_id as entity_id,
        cast(null as {{ dbt.type_string() }}) as lead_id,
        repeat_stage.stage_key,
        first_repeat.repeat_at as entered_at,
        'repeat_purchase' as event_source,
        0 as source_sequence
    from first_repeat
    cross join repeat_stage

)

select * from final
