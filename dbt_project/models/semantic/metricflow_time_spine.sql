-- MetricFlow time spine: one row per calendar day over the same range as dim_date
-- (vars dim_date_start / dim_date_end). Built with dbt.date_spine, so it is portable across
-- adapters. Configured as the project's time spine in metricflow_time_spine.yml.

{{ config(materialized='table', schema='semantic') }}

with

days as (

    {{ dbt.date_spine(
        'day',
        "cast('" ~ var('dim_date_start') ~ "' as date)",
        "cast('" ~ var('dim_date_end') ~ "' as date)"
    ) }}

)

select cast(date_day as date) as date_day
from days
