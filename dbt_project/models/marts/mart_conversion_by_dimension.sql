-- One row per month × metric × dimension × value: entities, conversions, rate with its Wilson
-- interval, change vs the previous month (pp) with a two-proportion z-test, share of volume,
-- small-segment flag and priority (seed conversion_priority_rules). Dimensions: var
-- conversion_dimensions plus `overall` (value 'all'); a dimension that does not apply to a metric
-- is left out for it (see int_conversion_metrics__entities).

{%- set dims = var('conversion_dimensions') %}
{%- set alpha = var('significance_alpha', 0.05) %}
{%- set min_volume = var('min_segment_volume', 30) %}

with

entities as {{ inlined_cte() }} (

    select * from {{ ref('int_conversion_metrics__entities') }}

),

metrics as (

    select * from {{ ref('conversion_metrics') }}

),

dimension_labels as (

    select * from {{ ref('conversion_dimensions') }}

),

priority_rules as (

    select * from {{ ref('conversion_priority_rules') }}

),

unpivoted as (

    select metric_key, period_month, 'overall' as dimension, 'all' as dimension_value, is_converted
    from entities
    {%- for d in dims %}

    union all

    select metric_key, period_month, '{{ d }}' as dimension, {{ d }} as dimension_value, is_converted
    from entities
    where {{ d }} is not null
    {%- endfor %}

),

counted as (

    select
        metric_key,
        period_month,
        dimension,
        dimension_value,
        count(*) as entity_count,
        sum(case when is_converted then 1 else 0 end) as converted_count
    from unpivoted
    group by metric_key, period_month, dimension, dimension_value

),

with_previous as (

    select
        counted.*,
        sum(counted.entity_count) over (
            partition by counted.metric_key, counted.period_month, counted.dimension
        ) as dimension_entity_count,
        previous.period_month as previous_period_month,
        coalesce(previous.entity_count, 0) as previous_entity_count,
        coalesce(previous.converted_count, 0) as previous_converted_count
    from counted
    left join counted as previous
        on counted.metric_key = previous.metric_key
        and counted.dimension = previous.dimension
        and counted.dimension_value = previous.dimension_value
        and previous.period_month = cast({{ dbt.dateadd('month', -1, 'counted.period_month') }} as date)

),

measured as (

    select
        with_previous.*,
        {{ safe_ratio('converted_count', 'entity_count') }} as conversion_rate,
        {{ wilson_lower('converted_count', 'entity_count') }} as rate_ci_lower,
        {{ wilson_upper('converted_count', 'entity_count') }} as rate_ci_upper,
        {{ safe_ratio('previous_converted_count', 'previous_entity_count') }} as previous_conversion_rate,
        {{ two_proportion_p_value('previous_converted_count', 'previous_entity_count', 'converted_count', 'entity_count') }}
            as change_p_value,
        {{ safe_ratio('entity_count', 'dimension_entity_count') }} as share_of_volume,
        entity_count < {{ min_volume }} as is_small_segment
    from with_previous

),

with_change as (

    select
        measured.*,
        (conversion_rate - previous_conversion_rate) * 100.0 as rate_change_pp
    from measured

),

prioritized as (

    select
        with_change.metric_key,
        with_change.period_month,
        with_change.dimension,
        with_change.dimension_value,
        min(priority_rules.rule_order) as matched_rule_order
    from with_change
    inner join priority_rules
        on not with_change.is_small_segment
        and with_change.rate_change_pp <= -priority_rules.min_drop_pp
        and with_change.change_p_value <= priority_rules.max_p_value
        and with_change.share_of_volume >= priority_rules.min_share_of_volume
    group by with_change.metric_key, with_change.period_month, with_change.dimension, with_change.dimension_value

),

final as (

    select
        -- grain
        cast(with_change.period_month as date) as period_month,
        cast(with_change.metric_key as {{ dbt.type_string() }}) as metric_key,
        cast(metrics.label_en as {{ dbt.type_string() }}) as metric_label_en,
        cast(metrics.label_zh as {{ dbt.type_string() }}) as metric_label_zh,
        cast(with_change.dimension as {{ dbt.type_string() }}) as dimension,
        cast(dimension_labels.label_en as {{ dbt.type_string() }}) as dimension_label_en,
        cast(dimension_labels.label_zh as {{ dbt.type_string() }}) as dimension_label_zh,
        cast(with_change.dimension_value as {{ dbt.type_string() }}) as dimension_value,

        -- this period
        cast(with_change.entity_count as {{ dbt.type_bigint() }}) as entity_count,
        cast(with_change.converted_count as {{ dbt.type_bigint() }}) as converted_count,
        cast(with_change.conversion_rate as {{ type_double() }}) as conversion_rate,
        cast(with_change.rate_ci_lower as {{ type_double() }}) as rate_ci_lower,
        cast(with_change.rate_ci_upper as {{ type_double() }}) as rate_ci_upper,
        cast(with_change.share_of_volume as {{ type_double() }}) as share_of_volume,
        with_change.is_small_segment,

        -- change vs the previous month
        cast({{ dbt.dateadd('month', -1, 'with_change.period_month') }} as date) as previous_period_month,
        cast(with_change.previous_entity_count as {{ dbt.type_bigint() }}) as previous_entity_count,
        cast(with_change.previous_converted_count as {{ dbt.type_bigint() }}) as previous_converted_count,
        cast(with_change.previous_conversion_rate as {{ type_double() }}) as previous_conversion_rate,
        cast(with_change.rate_change_pp as {{ type_double() }}) as rate_change_pp,
        cast(with_change.change_p_value as {{ type_double() }}) as change_p_value,
        coalesce(with_change.change_p_value <= {{ alpha }}, false) as is_change_significant,

        -- priority
        cast(coalesce(priority_rules.priority, 'low') as {{ dbt.type_string() }}) as priority
    from with_change
    inner join metrics
        on with_change.metric_key = metrics.metric_key
    left join dimension_labels
        on with_change.dimension = dimension_labels.dimension
    left join prioritized
        on with_change.metric_key = prioritized.metric_key
        and with_change.period_month = prioritized.period_month
        and with_change.dimension = prioritized.dimension
        and with_change.dimension_value = prioritized.dimension_value
    left join priority_rules
        on prioritized.matched_rule_order = priority_rules.rule_order

)

select * from final
