-- One row per cohort month x cohort-funnel stage: of the leads created in the month, how many
-- reached each stage (within var('conversion_window_days') of creation when set), with stage
-- conversion, overall conversion and loss rates (METRICS.md).

{%- set window_days = var('conversion_window_days', none) %}

with

journeys as {{ inlined_cte() }} (

    select * from {{ ref('int_lead_journeys__stages_reached') }}

),

stages as (

    select * from {{ ref('int_funnel_stages') }} where is_cohort_stage

),

reached_in_window as (

    select
        journeys.*,
        {%- if window_days is none %}
        journeys.is_reached as counts_as_reached
        {%- else %}
        coalesce(journeys.reached_at <= {{ dbt.dateadd('day', window_days, 'journeys.lead_created_at') }}, false)
            as counts_as_reached
        {%- endif %}
    from journeys

),

cohort_sizes as (

    select cohort_month, count(distinct lead_id) as entities_in_cohort
    from journeys
    group by cohort_month

),

reached_counts as (

    select
        cohort_month,
        stage_key,
        sum(case when counts_as_reached then 1 else 0 end) as reached_count
    from reached_in_window
    group by cohort_month, stage_key

),

first_stage as (

    select stage_key from stages where is_lead_entry_stage

),

with_rates as (

    select
        reached_counts.cohort_month,
        stages.stage_order,
        stages.stage_key,
        stages.label_en as stage_label_en,
        stages.label_zh as stage_label_zh,
        cohort_sizes.entities_in_cohort,
        reached_counts.reached_count,
        next_stage.reached_count as next_reached_count,
        first_reached.reached_count as first_reached_count
    from reached_counts
    inner join stages
        on reached_counts.stage_key = stages.stage_key
    inner join cohort_sizes
        on reached_counts.cohort_month = cohort_sizes.cohort_month
    cross join first_stage
    inner join reached_counts as first_reached
        on reached_counts.cohort_month = first_reached.cohort_month
        and first_reached.stage_key = first_stage.stage_key
    left join reached_counts as next_stage
        on reached_counts.cohort_month = next_stage.cohort_month
        and next_stage.stage_key = stages.next_stage_key

),

final as (

    select
        cast(cohort_month as date) as cohort_month,
        cast(stage_order as {{ dbt.type_int() }}) as stage_order,
        cast(stage_key as {{ dbt.type_string() }}) as stage_key,
        cast(stage_label_en as {{ dbt.type_string() }}) as stage_label_en,
        cast(stage_label_zh as {{ dbt.type_string() }}) as stage_label_zh,
        cast(entities_in_cohort as {{ dbt.type_bigint() }}) as entities_in_cohort,
        cast(reached_count as {{ dbt.type_bigint() }}) as reached_count,
        cast(
            case when reached_count > 0 and next_reached_count is not null
                then cast(next_reached_count as {{ type_double() }}) / reached_count end
            as {{ type_double() }}
        ) as stage_conversion_rate,
        cast(
            case when first_reached_count > 0 then cast(reached_count as {{ type_double() }}) / first_reached_count end
            as {{ type_double() }}
        ) as overall_conversion_rate,
        cast(
            case when reached_count > 0 and next_reached_count is not null
                then cast((reached_count - next_reached_count) as {{ type_double() }}) / reached_count end
            as {{ type_double() }}
        ) as loss_rate,
        cast({{ 'null' if window_days is none else window_days }} as {{ dbt.type_int() }}) as conversion_window_days
    from with_rates

)

select * from final
