-- One row per open opportunity: the weighted 5-dimension scorecard of METRICS.md. Each dimension's
-- input is scored 1-5 through seed opportunity_score_bands and weighted by seed
-- opportunity_score_weights; total = Σ weight × score / 5 × 100; tier from var
-- opportunity_score_tiers. Inputs the CRM lacks fall back to the weights seed's default_value and
-- are listed in defaulted_inputs.

{%- set tiers = var('opportunity_score_tiers') %}
{%- set dimensions = ['deal_amount', 'win_probability', 'strategic_value', 'follow_up_cost', 'payment_cycle'] %}

with

opportunities as (

    select * from {{ ref('int_opportunities__base_currency') }} where is_open

),

stage_defaults as (

    select stage_key, cast(default_probability as {{ type_double() }}) as default_probability
    from {{ ref('stage_probabilities') }}

),

manual_inputs as (

    select
        trim(opportunity_id) as opportunity_id,
        lower(trim(strategic_value)) as strategic_value,
        lower(trim(follow_up_cost)) as follow_up_cost,
        cast(payment_cycle_days as {{ type_double() }}) as payment_cycle_days
    from {{ ref('opportunity_score_inputs') }}

),

weights as (

    select
        score_dimension,
        cast(weight as {{ type_double() }}) as weight,
        lower(trim(default_value)) as default_value
    from {{ ref('opportunity_score_weights') }}

),

bands as (

    select
        score_dimension,
        band_key,
        cast(min_value as {{ type_double() }}) as min_value,
        cast(max_value as {{ type_double() }}) as max_value,
        coalesce(lower(trim(inclusive_bound)), 'lower') as inclusive_bound,
        lower(trim(category_value)) as category_value,
        cast(score as {{ type_double() }}) as score
    from {{ ref('opportunity_score_bands') }}

),

inputs as (

    select
        opportunities.opportunity_id,
        -- deal amount (base currency)
        coalesce(opportunities.amount_base, {{ dbt.safe_cast("(select default_value from weights where score_dimension = 'deal_amount')", type_double()) }})
            as deal_amount_value,
        opportunities.amount_base is null as is_deal_amount_defaulted,
        -- win probability: the CRM's, else the current stage's default (seed stage_probabilities)
        coalesce(opportunities.probability, stage_defaults.default_probability,
                 {{ dbt.safe_cast("(select default_value from weights where score_dimension = 'win_probability')", type_double()) }}) as win_probability_value,
        opportunities.probability is null as is_win_probability_defaulted,
        -- inputs most CRMs lack: seed opportunity_score_inputs, else the documented default
        coalesce(manual_inputs.strategic_value, (select default_value from weights where score_dimension = 'strategic_value')) as strategic_value_value,
        manual_inputs.strategic_value is null as is_strategic_value_defaulted,
        coalesce(manual_inputs.follow_up_cost, (select default_value from weights where score_dimension = 'follow_up_cost')) as follow_up_cost_value,
        manual_inputs.follow_up_cost is null as is_follow_up_cost_defaulted,
        coalesce(manual_inputs.payment_cycle_days, {{ dbt.safe_cast("(select default_value from weights where score_dimension = 'payment_cycle')", type_double()) }})
            as payment_cycle_value,
        manual_inputs.payment_cycle_days is null as is_payment_cycle_defaulted
    from opportunities
    left join stage_defaults
        on coalesce(opportunities.current_stage_key, opportunities.stage_key) = stage_defaults.stage_key
    left join manual_inputs
        on opportunities.opportunity_id = manual_inputs.opportunity_id

),

long_inputs as (

    {%- for d in dimensions %}
    select
        opportunity_id,
        '{{ d }}' as score_dimension,
        {%- if d in ('strategic_value', 'follow_up_cost') %}
        cast(null as {{ type_double() }}) as numeric_value,
        {{ d }}_value as category_value
        {%- else %}
        {{ d }}_value as numeric_value,
        cast(null as {{ dbt.type_string() }}) as category_value
        {%- endif %}
    from inputs
    {{ 'union all' if not loop.last }}
    {%- endfor %}

),

scored as (

    select
        long_inputs.opportunity_id,
        long_inputs.score_dimension,
        max(bands.score) as score
    from long_inputs
    left join bands
        on long_inputs.score_dimension = bands.score_dimension
        and (
            (bands.category_value is not null and long_inputs.category_value = bands.category_value)
            or (
                bands.category_value is null
                and long_inputs.numeric_value is not null
                and (
                    (bands.inclusive_bound = 'lower'
                        and (bands.min_value is null or long_inputs.numeric_value >= bands.min_value)
                        and (bands.max_value is null or long_inputs.numeric_value < bands.max_value))
                    or (bands.inclusive_bound = 'upper'
                        and (bands.min_value is null or long_inputs.numeric_value > bands.min_value)
                        and (bands.max_value is null or long_inputs.numeric_value <= bands.max_value))
                )
            )
        )
    group by long_inputs.opportunity_id, long_inputs.score_dimension

),

totals as (

    select
        scored.opportunity_id,
        {%- for d in dimensions %}
        max(case when scored.score_dimension = '{{ d }}' then scored.score end) as {{ d }}_score,
        {%- endfor %}
        -- rounded so that tier boundaries are not missed by floating-point noise (79.99999…)
        {{ round_double(exact_sum('weights.weight * scored.score') ~ ' / 5.0 * 100.0', 4) }} as total_score,
        sum(case when scored.score is null then 1 else 0 end) as unscored_dimension_count
    from scored
    inner join weights
        on scored.score_dimension = weights.score_dimension
    group by scored.opportunity_id

),

defaulted_flags as (

    select
        opportunity_id,
        {{ dbt.concat([
            "case when is_deal_amount_defaulted then ',deal_amount' else '' end",
            "case when is_win_probability_defaulted then ',win_probability' else '' end",
            "case when is_strategic_value_defaulted then ',strategic_value' else '' end",
            "case when is_follow_up_cost_defaulted then ',follow_up_cost' else '' end",
            "case when is_payment_cycle_defaulted then ',payment_cycle' else '' end"
        ]) }} as flags
    from inputs

),

defaulted as (

    -- drop the leading comma
    select
        opportunity_id,
        case when flags = '' then '' else substr(flags, 2) end as defaulted_inputs
    from defaulted_flags

),

final as (

    select
        -- ids
        cast(opportunities.opportunity_id as {{ dbt.type_string() }}) as opportunity_id,
        cast(opportunities.lead_id as {{ dbt.type_string() }}) as lead_id,
        cast(opportunities.account_id as {{ dbt.type_string() }}) as account_id,
        cast(opportunities.owner_id as {{ dbt.type_string() }}) as owner_id,
        cast(coalesce(opportunities.current_stage_key, opportunities.stage_key) as {{ dbt.type_string() }}) as current_stage_key,

        -- inputs
        cast('{{ var("base_currency", "USD") | upper }}' as {{ dbt.type_string() }}) as base_currency,
        cast(inputs.deal_amount_value as {{ type_double() }}) as deal_amount_base,
        cast(inputs.win_probability_value as {{ type_double() }}) as win_probability,
        cast(inputs.strategic_value_value as {{ dbt.type_string() }}) as strategic_value,
        cast(inputs.follow_up_cost_value as {{ dbt.type_string() }}) as follow_up_cost,
        cast(inputs.payment_cycle_value as {{ type_double() }}) as payment_cycle_days,

        -- scores (1-5)
        {%- for d in dimensions %}
        cast(totals.{{ d }}_score as {{ dbt.type_int() }}) as {{ d }}_score,
        {%- endfor %}
        cast(totals.total_score as {{ type_double() }}) as total_score,
        cast(
            case
                when totals.unscored_dimension_count > 0 then null
                {%- for t in tiers %}
                when totals.total_score >= {{ t.min_score }} then '{{ t.tier }}'
                {%- endfor %}
            end as {{ dbt.type_string() }}
        ) as score_tier,
        cast(
            case
                when totals.unscored_dimension_count > 0 then null
                {%- for t in tiers %}
                when totals.total_score >= {{ t.min_score }} then '{{ t.label_en }}'
                {%- endfor %}
            end as {{ dbt.type_string() }}
        ) as score_tier_label_en,
        cast(
            case
                when totals.unscored_dimension_count > 0 then null
                {%- for t in tiers %}
                when totals.total_score >= {{ t.min_score }} then '{{ t.label_zh }}'
                {%- endfor %}
            end as {{ dbt.type_string() }}
        ) as score_tier_label_zh,

        -- which inputs fell back to their default (comma-separated, empty when none)
        cast(defaulted.defaulted_inputs as {{ dbt.type_string() }}) as defaulted_inputs
    from opportunities
    inner join inputs
        on opportunities.opportunity_id = inputs.opportunity_id
    inner join totals
        on opportunities.opportunity_id = totals.opportunity_id
    inner join defaulted
        on opportunities.opportunity_id = defaulted.opportunity_id

)

select * from final
