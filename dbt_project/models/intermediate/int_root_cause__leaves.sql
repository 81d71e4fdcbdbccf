-- One row per metric × month × leaf (channel, industry, company_size_band, region, owner_team):
-- the integer denominator and numerator of the metric in that combination of dimension values.
-- The input of the Python root-cause engine (orchestration/analysis), which writes
-- marts.mart_root_cause from it. Metrics and their entities: int_conversion_metrics__entities
-- (every metric of seed conversion_metrics). Dimension values are never null: 'unknown' when the
-- record lacks the value or the dimension does not apply (submissions know only their channel).
-- Cohort maturity: a lead cohort's stage conversions still grow for weeks after its month ends, so
-- the newest cohort always looks like a drop. A stage-conversion month is compared only once
-- var conversion_window_days (else var root_cause_cohort_maturity_days) have passed since its end.

{%- set maturity_days = var('conversion_window_days', none) or var('root_cause_cohort_maturity_days', 30) %}

with

metrics as (

    select metric_key, metric_type from {{ ref('conversion_metrics') }}

),

all_entities as (

    select * from {{ ref('int_conversion_metrics__entities') }}

),

entities as (

    select all_entities.*
    from all_entities
    inner join metrics
        on all_entities.metric_key = metrics.metric_key
    where metrics.metric_type <> 'stage_conversion'
        or {{ dbt.dateadd('day', maturity_days, dbt.dateadd('month', 1, 'all_entities.period_month')) }} <= {{ as_of() }}

),

final as (

    select
        cast(metric_key as {{ dbt.type_string() }}) as metric,
        cast(period_month as date) as period,
        cast(coalesce(channel, 'unknown') as {{ dbt.type_string() }}) as channel,
        cast(coalesce(industry, 'unknown') as {{ dbt.type_string() }}) as industry,
        cast(coalesce(company_size_band, 'unknown') as {{ dbt.type_string() }}) as company_size_band,
        cast(coalesce(region, 'unknown') as {{ dbt.type_string() }}) as region,
        cast(coalesce(owner_team, 'unknown') as {{ dbt.type_string() }}) as owner_team,
        cast(count(*) as {{ dbt.type_bigint() }}) as denominator,
        cast(sum(case when is_converted then 1 else 0 end) as {{ dbt.type_bigint() }}) as numerator
    from entities
    group by
        metric_key,
        period_month,
        coalesce(channel, 'unknown'),
        coalesce(industry, 'unknown'),
        coalesce(company_size_band, 'unknown'),
        coalesce(region, 'unknown'),
        coalesce(owner_team, 'unknown')

)

select * from final
