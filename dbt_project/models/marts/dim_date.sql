-- One row per calendar day from var('dim_date_start') to var('dim_date_end'), with the periods
-- marts group by (week, month, quarter, year) and bilingual month labels.

with

days as (

    {{ dbt.date_spine(
        'day',
        "cast('" ~ var('dim_date_start') ~ "' as date)",
        "cast('" ~ var('dim_date_end') ~ "' as date)"
    ) }}

),

final as (

    select
        cast(date_day as date) as date_day,
        cast({{ dbt.date_trunc('week', 'date_day') }} as date) as week_start,
        cast({{ dbt.date_trunc('month', 'date_day') }} as date) as month_start,
        cast({{ dbt.date_trunc('quarter', 'date_day') }} as date) as quarter_start,
        cast({{ funnel_warehouse.date_part('year', 'date_day') }} as {{ dbt.type_int() }}) as year_number,
        cast({{ funnel_warehouse.date_part('quarter', 'date_day') }} as {{ dbt.type_int() }}) as quarter_number,
        cast({{ funnel_warehouse.date_part('month', 'date_day') }} as {{ dbt.type_int() }}) as month_number,
        cast({{ funnel_warehouse.date_part('day', 'date_day') }} as {{ dbt.type_int() }}) as day_of_month,
        -- ISO: Monday = 1 … Sunday = 7
        cast({{ funnel_warehouse.date_part('isodow', 'date_day') }} as {{ dbt.type_int() }}) as iso_day_of_week,
        {{ funnel_warehouse.date_part('isodow', 'date_day') }} in (6, 7) as is_weekend,
        cast(
            {{ dbt.concat([
                dbt.safe_cast(funnel_warehouse.date_part('year', 'date_day'), dbt.type_string()), "'-'",
                "lpad(" ~ dbt.safe_cast(funnel_warehouse.date_part('month', 'date_day'), dbt.type_string()) ~ ", 2, '0')"
            ]) }} as {{ dbt.type_string() }}
        ) as month_label_en,
        cast(
            {{ dbt.concat([
                dbt.safe_cast(funnel_warehouse.date_part('year', 'date_day'), dbt.type_string()), "'年'",
                dbt.safe_cast(funnel_warehouse.date_part('month', 'date_day'), dbt.type_string()), "'月'"
            ]) }} as {{ dbt.type_string() }}
        ) as month_label_zh
    from days

)

select * from final
