-- One row per entry month x stage: how long entries stayed in the stage (METRICS.md time in
-- stage: exit − entry; exit = next entry, or as_of for the current stage), as median / p75 / p90.
-- Synthesized skipped-stage rows (0 days by construction), won, lost and the last funnel stage
-- (no stage after them to move to) are left out. Figures are rounded to 6 decimals (~0.1 s) so
-- a rebuild on the same data gives identical values (a float sum's order is not fixed).

with

events as (

    select * from {{ ref('fct_stage_events') }}

),

stages as (

    select * from {{ ref('dim_stage') }}

),

measured as (

    select events.*
    from events
    inner join stages
        on events.stage_key = stages.stage_key
    where not events.is_skipped_stage
        and not stages.is_won
        and not stages.is_lost
        and stages.next_stage_key is not null

),

final as (

    select
        cast(measured.entered_month as date) as entered_month,
        cast(stages.stage_order as {{ dbt.type_int() }}) as stage_order,
        cast(stages.stage_key as {{ dbt.type_string() }}) as stage_key,
        cast(stages.stage_label_en as {{ dbt.type_string() }}) as stage_label_en,
        cast(stages.stage_label_zh as {{ dbt.type_string() }}) as stage_label_zh,
        cast(count(*) as {{ dbt.type_bigint() }}) as entry_count,
        cast(sum(case when measured.is_current_stage then 0 else 1 end) as {{ dbt.type_bigint() }}) as exited_count,
        cast(sum(case when measured.is_current_stage then 1 else 0 end) as {{ dbt.type_bigint() }}) as still_in_stage_count,
        cast({{ round_double(percentile('measured.days_in_stage', 0.5), 6) }} as {{ type_double() }}) as median_days_in_stage,
        cast({{ round_double(percentile('measured.days_in_stage', 0.75), 6) }} as {{ type_double() }}) as p75_days_in_stage,
        cast({{ round_double(percentile('measured.days_in_stage', 0.9), 6) }} as {{ type_double() }}) as p90_days_in_stage,
        cast({{ round_double('avg(measured.days_in_stage)', 6) }} as {{ type_double() }}) as avg_days_in_stage
    from measured
    inner join stages
        on measured.stage_key = stages.stage_key
    group by
        measured.entered_month,
        stages.stage_order,
        stages.stage_key,
        stages.stage_label_en,
        stages.stage_label_zh

)

select * from final
