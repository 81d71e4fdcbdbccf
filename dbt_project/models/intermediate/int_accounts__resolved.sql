-- One row per account: every exported account plus account ids that opportunities (or converted
-- leads) reference but the account export lacks, with its won deals and repeat purchase.

with

accounts as (

    select * from {{ ref('stg_crm__accounts') }}

),

links as (

    select * from {{ ref('int_opportunities__linked') }}

),

opportunities as (

    select * from {{ ref('stg_crm__opportunities') }}

),

repeat_events as (

    select entity_id as account_id, entered_at as repeat_purchase_at from {{ ref('int_stage_events__accounts') }}

),

referenced as (

    select distinct account_id from links where account_id is not null

),

all_accounts as (

    select
        account_id, account_name, industry, employees, annual_revenue, country, region, segment,
        created_at, true as is_in_account_export
    from accounts

    union all

    select
        referenced.account_id,
        cast(null as {{ dbt.type_string() }}),
        cast(null as {{ dbt.type_string() }}),
        cast(null as {{ dbt.type_bigint() }}),
        cast(null as {{ type_double() }}),
        cast(null as {{ dbt.type_string() }}),
        cast(null as {{ dbt.type_string() }}),
        cast(null as {{ dbt.type_string() }}),
        cast(null as {{ dbt.type_timestamp() }}),
        false
    from referenced
    where not exists (select 1 from accounts where accounts.account_id = referenced.account_id)

),

deals as (

    select
        links.account_id,
        count(*) as opportunity_count,
        sum(case when opportunities.is_won then 1 else 0 end) as won_opportunity_count
    from links
    inner join opportunities
        on links.opportunity_id = opportunities.opportunity_id
    where links.account_id is not null
    group by links.account_id

),

final as (

    select
        all_accounts.*,
        coalesce(deals.opportunity_count, 0) as opportunity_count,
        coalesce(deals.won_opportunity_count, 0) as won_opportunity_count,
        repeat_events.repeat_purchase_at
    from all_accounts
    left join deals
        on all_accounts.account_id = deals.account_id
    left join repeat_events
        on all_accounts.account_id = repeat_events.account_id

)

select * from final
