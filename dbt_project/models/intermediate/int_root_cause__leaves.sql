-- One row per metric × month × leaf (channel, industry, company_size_band, region, owner_team):
-- the integer denominator and numerator of the metric in that combination of dimension values.
-- The input of the Python root-cause engine (orchestration/analysis), which writes
-- marts.mart_root_cause from it. Metrics and their entities: int_conversion_metrics__entities
-- (every metric of seed conversion_metrics). Dimension values are never null: 'unknown' when the
-- record lacks the value or the dimension does not apply (submissions know only their channel).

with

entities as (

    select * from {{ ref('int_conversion_metrics__entities') }}

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
