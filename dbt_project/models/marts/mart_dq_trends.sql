-- One row per source system × raw table × delivery day: how the night's deliveries fared in the
-- quality gate (rows validated, expectations evaluated and failed by severity, unexpected rows,
-- pass rate), the worst failing expectation, and the change against the previous delivery day of
-- the same source system and table. Read from quality.dq_results through
-- int_dq_results__deliveries (latest validation of each delivery, source system from the load
-- manifest). Empty until the first quality check has run.

with

expectation_results as (

    select * from {{ ref('int_dq_results__deliveries') }}

),

delivery_rows as (

    -- every check reports its delivery's row count as element_count
    select
        source_system,
        table_name,
        delivery_date,
        delivery_key,
        max(element_count) as row_count
    from expectation_results
    group by source_system, table_name, delivery_date, delivery_key

),

daily_rows as (

    select
        source_system,
        table_name,
        delivery_date,
        count(*) as delivery_count,
        coalesce(sum(row_count), 0) as validated_row_count
    from delivery_rows
    group by source_system, table_name, delivery_date

),

daily_results as (

    select
        source_system,
        table_name,
        delivery_date,
        count(*) as evaluated_expectation_count,
        sum(case when severity = 'critical' then 1 else 0 end) as evaluated_critical_count,
        sum(case when severity = 'warning' then 1 else 0 end) as evaluated_warning_count,
        sum(case when not is_success then 1 else 0 end) as failed_expectation_count,
        sum(case when not is_success and severity = 'critical' then 1 else 0 end) as failed_critical_count,
        sum(case when not is_success and severity = 'warning' then 1 else 0 end) as failed_warning_count,
        coalesce(sum(unexpected_count), 0) as unexpected_row_count,
        max(checked_at) as last_checked_at
    from expectation_results
    group by source_system, table_name, delivery_date

),

latest_validations_ranked as (

    select
        source_system,
        table_name,
        delivery_date,
        run_id,
        adapter_names,
        row_number() over (
            partition by source_system, table_name, delivery_date
            order by checked_at desc, run_id desc, delivery_key desc
        ) as validation_rank
    from expectation_results

),

latest_validations as (

    select source_system, table_name, delivery_date, run_id, adapter_names
    from latest_validations_ranked
    where validation_rank = 1

),

failures_ranked as (

    -- worst first: critical before warning, then the largest share of unexpected values (a
    -- failure without a row count — missing column, volume outside its band, check error —
    -- concerns the whole delivery: 100%), then the most unexpected rows, then the name
    select
        source_system,
        table_name,
        delivery_date,
        expectation_name,
        severity,
        unexpected_count,
        unexpected_percent,
        row_number() over (
            partition by source_system, table_name, delivery_date
            order by
                case when severity = 'critical' then 0 else 1 end,
                coalesce(unexpected_percent, 100.0) desc,
                coalesce(unexpected_count, 0) desc,
                expectation_name
        ) as failure_rank
    from expectation_results
    where not is_success

),

worst_failures as (

    select *
    from failures_ranked
    where failure_rank = 1

),

daily as (

    select
        daily_results.source_system,
        daily_results.table_name,
        daily_results.delivery_date,
        latest_validations.adapter_names,
        latest_validations.run_id as last_run_id,
        daily_rows.delivery_count,
        daily_rows.validated_row_count,
        daily_results.evaluated_expectation_count,
        daily_results.evaluated_critical_count,
        daily_results.evaluated_warning_count,
        daily_results.failed_expectation_count,
        daily_results.failed_critical_count,
        daily_results.failed_warning_count,
        daily_results.unexpected_row_count,
        {{ safe_ratio(
            'daily_results.evaluated_expectation_count - daily_results.failed_expectation_count',
            'daily_results.evaluated_expectation_count') }} as pass_rate,
        worst_failures.expectation_name as worst_expectation_name,
        worst_failures.severity as worst_expectation_severity,
        worst_failures.unexpected_count as worst_unexpected_count,
        worst_failures.unexpected_percent as worst_unexpected_percent,
        daily_results.last_checked_at
    from daily_results
    inner join daily_rows
        on daily_results.source_system = daily_rows.source_system
        and daily_results.table_name = daily_rows.table_name
        and daily_results.delivery_date = daily_rows.delivery_date
    inner join latest_validations
        on daily_results.source_system = latest_validations.source_system
        and daily_results.table_name = latest_validations.table_name
        and daily_results.delivery_date = latest_validations.delivery_date
    left join worst_failures
        on daily_results.source_system = worst_failures.source_system
        and daily_results.table_name = worst_failures.table_name
        and daily_results.delivery_date = worst_failures.delivery_date

),

with_previous as (

    select
        daily.*,
        lag(delivery_date) over (
            partition by source_system, table_name order by delivery_date) as previous_delivery_date,
        lag(pass_rate) over (
            partition by source_system, table_name order by delivery_date) as previous_pass_rate,
        lag(failed_expectation_count) over (
            partition by source_system, table_name order by delivery_date) as previous_failed_expectation_count,
        lag(unexpected_row_count) over (
            partition by source_system, table_name order by delivery_date) as previous_unexpected_row_count,
        lag(validated_row_count) over (
            partition by source_system, table_name order by delivery_date) as previous_validated_row_count
    from daily

),

final as (

    select
        -- grain
        cast({{ dbt.concat(["source_system", "':'", "table_name", "':'",
                            dbt.safe_cast("delivery_date", dbt.type_string())]) }}
            as {{ dbt.type_string() }}) as dq_trend_id,
        cast(source_system as {{ dbt.type_string() }}) as source_system,
        cast(table_name as {{ dbt.type_string() }}) as table_name,
        cast(delivery_date as date) as delivery_date,

        -- deliveries
        cast(adapter_names as {{ dbt.type_string() }}) as adapter_names,
        cast(delivery_count as {{ dbt.type_int() }}) as delivery_count,
        cast(validated_row_count as {{ dbt.type_bigint() }}) as validated_row_count,

        -- expectations
        cast(evaluated_expectation_count as {{ dbt.type_int() }}) as evaluated_expectation_count,
        cast(evaluated_critical_count as {{ dbt.type_int() }}) as evaluated_critical_count,
        cast(evaluated_warning_count as {{ dbt.type_int() }}) as evaluated_warning_count,
        cast(failed_expectation_count as {{ dbt.type_int() }}) as failed_expectation_count,
        cast(failed_critical_count as {{ dbt.type_int() }}) as failed_critical_count,
        cast(failed_warning_count as {{ dbt.type_int() }}) as failed_warning_count,
        cast(failed_critical_count > 0 as {{ dbt.type_boolean() }}) as has_critical_failure,
        cast(unexpected_row_count as {{ dbt.type_bigint() }}) as unexpected_row_count,
        cast(pass_rate as {{ type_double() }}) as pass_rate,

        -- worst failing expectation
        cast(worst_expectation_name as {{ dbt.type_string() }}) as worst_expectation_name,
        cast(worst_expectation_severity as {{ dbt.type_string() }}) as worst_expectation_severity,
        cast(worst_unexpected_count as {{ dbt.type_bigint() }}) as worst_unexpected_count,
        cast(worst_unexpected_percent as {{ type_double() }}) as worst_unexpected_percent,

        -- change against the previous delivery day of the same source system and table
        cast(previous_delivery_date as date) as previous_delivery_date,
        cast(previous_pass_rate as {{ type_double() }}) as previous_pass_rate,
        cast(pass_rate - previous_pass_rate as {{ type_double() }}) as pass_rate_change,
        cast(failed_expectation_count - previous_failed_expectation_count as {{ dbt.type_int() }})
            as failed_expectation_count_change,
        cast(unexpected_row_count - previous_unexpected_row_count as {{ dbt.type_bigint() }})
            as unexpected_row_count_change,
        cast(validated_row_count - previous_validated_row_count as {{ dbt.type_bigint() }})
            as validated_row_count_change,

        -- lineage
        cast(last_run_id as {{ dbt.type_string() }}) as last_run_id,
        cast(last_checked_at as {{ dbt.type_timestamp() }}) as last_checked_at

    from with_previous

)

select * from final
