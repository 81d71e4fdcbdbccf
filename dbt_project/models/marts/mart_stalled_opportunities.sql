-- One row per open opportunity (not closed, current stage neither won nor lost), with whether it is
-- stalled: days in its current stage above the var('stalled_percentile') (default p75) of the days
-- closed-won opportunities spent in that stage (observed, exited entries). Stages without closed-won
-- history use var('stalled_fallback_days'), or are never flagged when that is null.

{%- set fallback = var('stalled_fallback_days', none) %}

with

opportunities as {{ inlined_cte() }} (

    select * from {{ ref('fct_opportunities') }}

),

events as {{ inlined_cte() }} (

    select * from {{ ref('fct_stage_events') }} where entity_type = 'opportunity'

),

stages as (

    select * from {{ ref('dim_stage') }}

),

won_durations as (

    select events.stage_key, events.days_in_stage
    from events
    inner join opportunities
        on events.entity_id = opportunities.opportunity_id
    where opportunities.won_at is not null
        and not opportunities.is_lost
        and not events.is_skipped_stage
        and not events.is_current_stage

),

thresholds as (

    select
        stage_key,
        count(*) as closed_won_sample_size,
        {{ percentile('days_in_stage', var('stalled_percentile', 0.75)) }} as threshold_days
    from won_durations
    group by stage_key

),

open_opportunities as (

    select opportunities.*
    from opportunities
    inner join stages
        on opportunities.current_stage_key = stages.stage_key
    where not opportunities.is_closed
        and not stages.is_won
        and not stages.is_lost

),

current_entries as (

    select entity_id, entered_at from events where is_current_stage

),

final as (

    select
        cast(open_opportunities.opportunity_id as {{ dbt.type_string() }}) as opportunity_id,
        cast(open_opportunities.owner_id as {{ dbt.type_string() }}) as owner_id,
        cast(open_opportunities.owner_team as {{ dbt.type_string() }}) as owner_team,
        cast(open_opportunities.account_id as {{ dbt.type_string() }}) as account_id,
        cast(open_opportunities.current_stage_key as {{ dbt.type_string() }}) as current_stage_key,
        cast(stages.stage_label_en as {{ dbt.type_string() }}) as stage_label_en,
        cast(stages.stage_label_zh as {{ dbt.type_string() }}) as stage_label_zh,
        cast(open_opportunities.amount as {{ type_double() }}) as amount,
        cast(open_opportunities.currency as {{ dbt.type_string() }}) as currency,
        current_entries.entered_at as entered_current_stage_at,
        cast(open_opportunities.days_in_current_stage as {{ type_double() }}) as days_in_current_stage,
        cast(coalesce(thresholds.threshold_days, {{ 'null' if fallback is none else fallback }}) as {{ type_double() }})
            as stalled_threshold_days,
        cast(
            case
                when thresholds.threshold_days is not null then 'closed_won_percentile'
                {%- if fallback is not none %}
                else 'fallback'
                {%- endif %}
            end as {{ dbt.type_string() }}
        ) as threshold_basis,
        cast(coalesce(thresholds.closed_won_sample_size, 0) as {{ dbt.type_bigint() }}) as closed_won_sample_size,
        coalesce(
            open_opportunities.days_in_current_stage
                > coalesce(thresholds.threshold_days, {{ 'null' if fallback is none else fallback }}),
            false
        ) as is_stalled,
        cast(
            open_opportunities.days_in_current_stage
                - coalesce(thresholds.threshold_days, {{ 'null' if fallback is none else fallback }})
            as {{ type_double() }}
        ) as days_over_threshold
    from open_opportunities
    inner join stages
        on open_opportunities.current_stage_key = stages.stage_key
    left join thresholds
        on open_opportunities.current_stage_key = thresholds.stage_key
    left join current_entries
        on open_opportunities.opportunity_id = current_entries.entity_id

)

select * from final
