-- One row per customer with open pipeline (the account, or the opportunity itself when it has no
-- account): value × intent quadrant (重点客户 key account, 潜力客户 potential, 机会客户 opportunity,
-- 培育客户 nurture) and the follow-up cadence of seed customer_segment_cadence.
-- Value = the customer's open pipeline in the base currency: high >= var segment_high_value_amount,
-- low <= var segment_low_value_amount, medium between (a medium customer is on the not-high side
-- of the quadrant). Intent is high when an open deal is expected to close within var
-- segment_high_intent_days of as_of (overdue close dates included) or sits in one of var
-- segment_late_stage_keys.

{%- set high_value = var('segment_high_value_amount', 500000) %}
{%- set low_value = var('segment_low_value_amount', 100000) %}
{%- set intent_days = var('segment_high_intent_days', 90) %}
{%- set late_stages = var('segment_late_stage_keys', ['negotiation']) %}

with

opportunities as (

    select * from {{ ref('int_opportunities__base_currency') }} where is_open

),

accounts as (

    select * from {{ ref('dim_account') }}

),

stages as (

    select * from {{ ref('dim_stage') }}

),

cadence as (

    select * from {{ ref('customer_segment_cadence') }}

),

open_deals as (

    select
        coalesce(opportunities.account_id, {{ dbt.concat(["'opportunity:'", "opportunities.opportunity_id"]) }}) as customer_key,
        opportunities.account_id,
        opportunities.opportunity_id,
        opportunities.amount_base,
        opportunities.close_date,
        coalesce(opportunities.current_stage_key, opportunities.stage_key) as stage_key,
        stages.stage_order,
        coalesce(
            cast(opportunities.close_date as {{ dbt.type_timestamp() }})
                <= {{ dbt.dateadd('day', intent_days, as_of()) }},
            false
        ) as is_closing_soon,
        coalesce(opportunities.current_stage_key, opportunities.stage_key) in (
            {%- for s in late_stages %}'{{ s }}'{{ ', ' if not loop.last }}{% endfor -%}
            {%- if late_stages | length == 0 %}null{% endif -%}
        ) as is_late_stage
    from opportunities
    left join stages
        on coalesce(opportunities.current_stage_key, opportunities.stage_key) = stages.stage_key

),

customers as (

    select
        customer_key,
        max(account_id) as account_id,
        count(*) as open_opportunity_count,
        {{ exact_sum('coalesce(amount_base, 0)') }} as open_pipeline_base_amount,
        max(amount_base) as largest_opportunity_base_amount,
        min(close_date) as next_expected_close_date,
        max(stage_order) as furthest_stage_order,
        {{ dbt.bool_or('is_closing_soon') }} as has_deal_closing_soon,
        {{ dbt.bool_or('coalesce(is_late_stage, false)') }} as has_late_stage_deal
    from open_deals
    group by customer_key

),

classified as (

    select
        customers.*,
        open_pipeline_base_amount >= {{ high_value }} as is_high_value,
        case
            when open_pipeline_base_amount >= {{ high_value }} then 'high'
            when open_pipeline_base_amount <= {{ low_value }} then 'low'
            else 'medium'
        end as value_band,
        has_deal_closing_soon or has_late_stage_deal as is_high_intent
    from customers

),

final as (

    select
        -- ids
        cast(classified.customer_key as {{ dbt.type_string() }}) as customer_key,
        cast(classified.account_id as {{ dbt.type_string() }}) as account_id,
        cast(accounts.account_name as {{ dbt.type_string() }}) as account_name,
        cast(accounts.industry as {{ dbt.type_string() }}) as industry,
        cast(accounts.segment as {{ dbt.type_string() }}) as account_segment,

        -- value
        cast('{{ var("base_currency", "USD") | upper }}' as {{ dbt.type_string() }}) as base_currency,
        cast(classified.open_opportunity_count as {{ dbt.type_int() }}) as open_opportunity_count,
        cast(classified.open_pipeline_base_amount as {{ type_double() }}) as open_pipeline_base_amount,
        cast(classified.largest_opportunity_base_amount as {{ type_double() }}) as largest_opportunity_base_amount,
        cast(classified.value_band as {{ dbt.type_string() }}) as value_band,
        classified.is_high_value,

        -- intent
        cast(classified.next_expected_close_date as date) as next_expected_close_date,
        cast(furthest_stage.stage_key as {{ dbt.type_string() }}) as furthest_stage_key,
        classified.has_deal_closing_soon,
        classified.has_late_stage_deal,
        classified.is_high_intent,

        -- quadrant and cadence
        cast(cadence.quadrant as {{ dbt.type_string() }}) as quadrant,
        cast(cadence.label_en as {{ dbt.type_string() }}) as quadrant_label_en,
        cast(cadence.label_zh as {{ dbt.type_string() }}) as quadrant_label_zh,
        cast(cadence.follow_up_cadence_days as {{ dbt.type_int() }}) as follow_up_cadence_days,
        cast(cadence.cadence_en as {{ dbt.type_string() }}) as follow_up_cadence_en,
        cast(cadence.cadence_zh as {{ dbt.type_string() }}) as follow_up_cadence_zh
    from classified
    left join accounts
        on classified.account_id = accounts.account_id
    left join stages as furthest_stage
        on classified.furthest_stage_order = furthest_stage.stage_order
    left join cadence
        on classified.is_high_value = cadence.is_high_value
        and classified.is_high_intent = cadence.is_high_intent

)

select * from final
