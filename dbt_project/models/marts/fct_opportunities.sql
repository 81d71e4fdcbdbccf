-- One row per opportunity: the facts of int_opportunities__facts (how current stage, outcome,
-- re-opening and reached stages are derived is documented there) with the days spent in the current
-- stage, counted up to now (var as_of).
--
-- On DuckDB a view, not a table, like fct_stage_events: days_in_current_stage reads the clock, so
-- the mart changed every night and was rebuilt whole even on a night without new data (6.4 s at
-- 10M leads), although BI tools read the table published into funnel.duckdb, not this one. "Now" is
-- a literal (macros/dates.sql), so the view's rows are the same whenever they are read. Other
-- engines, whose warehouse BI tools may read directly, keep a table.

{%- set flag_stages = var('opportunity_reached_flag_stages') %}

{{ config(materialized=('view' if target.type == 'duckdb' else 'table')) }}

with

facts as (

    select * from {{ ref('int_opportunities__facts') }}

),

final as (

    select
        -- ids
        facts.opportunity_id,
        facts.lead_id,
        facts.account_id,
        facts.owner_id,
        facts.campaign_id,

        -- dimensions
        facts.opportunity_name,
        facts.owner_team,
        facts.stage,
        facts.stage_key,
        facts.current_stage_key,
        facts.product,
        facts.opportunity_type,
        facts.is_repeat_business,
        facts.lead_source,
        facts.loss_reason,
        facts.lead_first_touch_channel_key,

        -- measures
        facts.amount,
        facts.currency,
        facts.probability,

        -- state
        facts.is_closed,
        facts.is_won,
        facts.is_lost,
        facts.was_reopened,
        cast({{ days_between('facts.current_stage_entered_at', as_of()) }} as {{ type_double() }}) as days_in_current_stage,

        -- timestamps
        facts.created_at,
        facts.created_date,
        facts.created_month,
        facts.close_date,
        facts.won_at,
        facts.lost_at,
        facts.sales_cycle_days,

        -- reached stages
        {%- for s in flag_stages %}
        facts.has_reached_{{ s }},
        facts.{{ s }}_reached_at{{ ',' if not loop.last }}
        {%- endfor %}

    from facts

)

select * from final
