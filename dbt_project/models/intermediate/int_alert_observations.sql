-- One row per alert metric × time window (week, month) × period: the observed value the rules of
-- seed alert_rules are checked against, the volume behind it and whether the period is complete
-- (its end is at or before var as_of, in the reporting timezone).
--   <conversion metric_key> (month)  rate of every metric of seed conversion_metrics
--                                    (int_conversion_metrics__entities): volume = its denominator
--   lead_volume (week, month)        canonical leads created in the period: volume = that count
--   lead_volume_change (week, month) (leads − previous period's leads) / previous period's leads:
--                                    volume = the previous period's leads (null when it had none)
-- Weeks start on Monday; weeks and months without leads count as 0 between the first and the last
-- period with a lead.

with

entities as (

    select * from {{ ref('int_conversion_metrics__entities') }}

),

leads as (

    select lead_id, created_at from {{ ref('int_leads__resolved') }}

),

days as (

    {{ dbt.date_spine(
        'day',
        "cast('" ~ var('dim_date_start') ~ "' as date)",
        "cast('" ~ var('dim_date_end') ~ "' as date)"
    ) }}

),

calendar as (

    select distinct 'week' as time_window, cast({{ dbt.date_trunc('week', 'date_day') }} as date) as period_start
    from days

    union all

    select distinct 'month' as time_window, cast({{ dbt.date_trunc('month', 'date_day') }} as date) as period_start
    from days

),

lead_dates as (

    select {{ reporting_date('created_at') }} as created_date from leads

),

lead_periods as (

    select 'week' as time_window, cast({{ dbt.date_trunc('week', 'created_date') }} as date) as period_start
    from lead_dates

    union all

    select 'month' as time_window, cast({{ dbt.date_trunc('month', 'created_date') }} as date) as period_start
    from lead_dates

),

lead_counts as (

    select time_window, period_start, count(*) as lead_count
    from lead_periods
    group by time_window, period_start

),

lead_series as (

    select
        calendar.time_window,
        calendar.period_start,
        coalesce(lead_counts.lead_count, 0) as lead_count
    from calendar
    inner join (
        select time_window, min(period_start) as first_start, max(period_start) as last_start
        from lead_counts
        group by time_window
    ) as bounds
        on calendar.time_window = bounds.time_window
        and calendar.period_start between bounds.first_start and bounds.last_start
    left join lead_counts
        on calendar.time_window = lead_counts.time_window
        and calendar.period_start = lead_counts.period_start

),

lead_changes as (

    select
        lead_series.*,
        lag(lead_count) over (partition by time_window order by period_start) as previous_lead_count
    from lead_series

),

observations as (

    select
        metric_key as metric,
        'month' as time_window,
        period_month as period_start,
        {{ safe_ratio('sum(case when is_converted then 1 else 0 end)', 'count(*)') }} as observed_value,
        count(*) as volume
    from entities
    group by metric_key, period_month

    union all

    select
        'lead_volume' as metric,
        time_window,
        period_start,
        cast(lead_count as {{ type_double() }}) as observed_value,
        lead_count as volume
    from lead_changes

    union all

    select
        'lead_volume_change' as metric,
        time_window,
        period_start,
        {{ safe_ratio('lead_count - previous_lead_count', 'previous_lead_count') }} as observed_value,
        previous_lead_count as volume
    from lead_changes
    where previous_lead_count is not null

),

final as (

    select
        observations.metric,
        observations.time_window,
        cast(observations.period_start as date) as period_start,
        cast(
            case
                when observations.time_window = 'week' then {{ dbt.dateadd('day', 7, 'observations.period_start') }}
                else {{ dbt.dateadd('month', 1, 'observations.period_start') }}
            end as date
        ) as period_end,
        observations.observed_value,
        observations.volume,
        case
            when observations.time_window = 'week'
                then {{ dbt.dateadd('day', 7, 'observations.period_start') }}
            else {{ dbt.dateadd('month', 1, 'observations.period_start') }}
        end <= {{ to_reporting_tz(as_of()) }} as is_period_complete
    from observations

)

select * from final
