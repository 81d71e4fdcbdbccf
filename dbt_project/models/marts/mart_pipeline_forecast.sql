-- One row per expected close month of the open pipeline (the month of the open deals' close date;
-- a row with a null month for open deals without one): open deals, pipeline and weighted pipeline
-- (amount × probability: the CRM probability, else the current stage's default_probability of seed
-- stage_probabilities) in the base currency, what was already won in the month, the won target of seed
-- funnel_targets, the remaining target and the coverage (weighted pipeline / remaining target).

{%- set base = var('base_currency', 'USD') | upper %}

with

opportunities as (

    select * from {{ ref('int_opportunities__base_currency') }}

),

stage_defaults as (

    select stage_key, cast(default_probability as {{ type_double() }}) as default_probability
    from {{ ref('stage_probabilities') }}

),

won_stage as (

    select stage_key from {{ ref('dim_stage') }} where is_won

),

targets as (

    select
        cast(period_month as date) as period_month,
        cast(target_count as {{ dbt.type_bigint() }}) as target_count,
        cast(target_base_amount as {{ type_double() }}) as target_base_amount
    from {{ ref('funnel_targets') }}
    where lower(trim(stage_key)) in (select stage_key from won_stage)

),

open_deals as (

    select
        cast({{ dbt.date_trunc('month', 'opportunities.close_date') }} as date) as expected_close_month,
        opportunities.amount_base,
        coalesce(opportunities.probability, stage_defaults.default_probability) as probability,
        opportunities.probability is null as is_probability_defaulted
    from opportunities
    left join stage_defaults
        on coalesce(opportunities.current_stage_key, opportunities.stage_key) = stage_defaults.stage_key
    where opportunities.is_open

),

pipeline as (

    select
        expected_close_month,
        count(*) as open_opportunity_count,
        sum(case when is_probability_defaulted then 1 else 0 end) as default_probability_count,
        {{ exact_sum('coalesce(amount_base, 0)') }} as pipeline_base_amount,
        {{ exact_sum('coalesce(amount_base, 0) * coalesce(probability, 0)') }} as weighted_pipeline_base_amount,
        {{ exact_sum('coalesce(probability, 0)') }} as weighted_opportunity_count
    from open_deals
    group by expected_close_month

),

won as (

    select
        closed_month as period_month,
        count(*) as won_count,
        {{ exact_sum('coalesce(amount_base, 0)') }} as won_base_amount
    from opportunities
    where is_closed_won
    group by closed_month

),

final as (

    select
        -- grain
        cast(pipeline.expected_close_month as date) as expected_close_month,
        coalesce(
            {{ dbt.dateadd('month', 1, 'pipeline.expected_close_month') }} <= {{ to_reporting_tz(as_of()) }},
            false
        ) as is_past_month,

        -- open pipeline
        cast('{{ base }}' as {{ dbt.type_string() }}) as base_currency,
        cast(pipeline.open_opportunity_count as {{ dbt.type_bigint() }}) as open_opportunity_count,
        cast(pipeline.default_probability_count as {{ dbt.type_bigint() }}) as default_probability_count,
        cast(pipeline.pipeline_base_amount as {{ type_double() }}) as pipeline_base_amount,
        cast(pipeline.weighted_pipeline_base_amount as {{ type_double() }}) as weighted_pipeline_base_amount,
        cast(pipeline.weighted_opportunity_count as {{ type_double() }}) as weighted_opportunity_count,

        -- won so far and target
        cast(coalesce(won.won_count, 0) as {{ dbt.type_bigint() }}) as won_count,
        cast(coalesce(won.won_base_amount, 0) as {{ type_double() }}) as won_base_amount,
        targets.target_count as target_won_count,
        targets.target_base_amount,
        cast(
            case when targets.target_base_amount is not null then
                case when targets.target_base_amount > coalesce(won.won_base_amount, 0)
                    then targets.target_base_amount - coalesce(won.won_base_amount, 0) else 0 end
            end as {{ type_double() }}
        ) as remaining_target_base_amount,

        -- coverage (null without a remaining target)
        cast(
            {{ safe_ratio(
                'pipeline.weighted_pipeline_base_amount',
                'case when targets.target_base_amount > coalesce(won.won_base_amount, 0) then targets.target_base_amount - coalesce(won.won_base_amount, 0) end'
            ) }} as {{ type_double() }}
        ) as weighted_coverage_ratio,
        cast(
            {{ safe_ratio(
                'pipeline.pipeline_base_amount',
                'case when targets.target_base_amount > coalesce(won.won_base_amount, 0) then targets.target_base_amount - coalesce(won.won_base_amount, 0) end'
            ) }} as {{ type_double() }}
        ) as pipeline_coverage_ratio
    from pipeline
    left join won
        on pipeline.expected_close_month = won.period_month
    left join targets
        on pipeline.expected_close_month = targets.period_month

)

select * from final
