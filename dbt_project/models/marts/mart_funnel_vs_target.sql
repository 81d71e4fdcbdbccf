-- One row per month × stage with a target in seed funnel_targets: the target, the actual (entities
-- that entered the stage in the month, as mart_funnel_period counts them; for the won stage also
-- the won amount in the base currency, by the month the deal closed), the gap and the attainment.

with

targets as (

    select
        cast(period_month as date) as period_month,
        lower(trim(stage_key)) as stage_key,
        cast(target_count as {{ dbt.type_bigint() }}) as target_count,
        cast(target_base_amount as {{ type_double() }}) as target_base_amount
    from {{ ref('funnel_targets') }}

),

period_funnel as (

    select * from {{ ref('mart_funnel_period') }}

),

stages as (

    select * from {{ ref('dim_stage') }}

),

won_amounts as (

    select closed_month as period_month, {{ exact_sum('amount_base') }} as won_base_amount
    from {{ ref('int_opportunities__base_currency') }}
    where is_closed_won
    group by closed_month

),

final as (

    select
        -- grain
        targets.period_month,
        cast(stages.stage_order as {{ dbt.type_int() }}) as stage_order,
        cast(targets.stage_key as {{ dbt.type_string() }}) as stage_key,
        cast(stages.stage_label_en as {{ dbt.type_string() }}) as stage_label_en,
        cast(stages.stage_label_zh as {{ dbt.type_string() }}) as stage_label_zh,
        {{ dbt.dateadd('month', 1, 'targets.period_month') }} <= {{ to_reporting_tz(as_of()) }} as is_period_complete,

        -- counts
        targets.target_count,
        cast(coalesce(period_funnel.entered_count, 0) as {{ dbt.type_bigint() }}) as actual_count,
        cast(coalesce(period_funnel.entered_count, 0) - targets.target_count as {{ dbt.type_bigint() }}) as gap_count,
        cast({{ safe_ratio('coalesce(period_funnel.entered_count, 0)', 'targets.target_count') }} as {{ type_double() }})
            as attainment_rate,

        -- amounts (won stage)
        cast('{{ var("base_currency", "USD") | upper }}' as {{ dbt.type_string() }}) as base_currency,
        targets.target_base_amount,
        cast(
            case when stages.is_won then coalesce(won_amounts.won_base_amount, 0) end as {{ type_double() }}
        ) as actual_base_amount,
        cast(
            case when stages.is_won and targets.target_base_amount is not null
                then coalesce(won_amounts.won_base_amount, 0) - targets.target_base_amount end
            as {{ type_double() }}
        ) as gap_base_amount,
        cast(
            case when stages.is_won then {{ safe_ratio('coalesce(won_amounts.won_base_amount, 0)', 'targets.target_base_amount') }} end
            as {{ type_double() }}
        ) as amount_attainment_rate
    from targets
    left join stages
        on targets.stage_key = stages.stage_key
    left join period_funnel
        on targets.period_month = period_funnel.period_month
        and targets.stage_key = period_funnel.stage_key
    left join won_amounts
        on targets.period_month = won_amounts.period_month

)

select * from final
