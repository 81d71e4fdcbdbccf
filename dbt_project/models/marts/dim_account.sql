-- One row per account (customer company): attributes, size band, won deals and repeat purchase.

with

accounts as (

    select * from {{ ref('int_accounts__resolved') }}

),

final as (

    select
        cast(account_id as {{ dbt.type_string() }}) as account_id,
        cast(account_name as {{ dbt.type_string() }}) as account_name,
        cast(industry as {{ dbt.type_string() }}) as industry,
        cast(employees as {{ dbt.type_bigint() }}) as employees,
        cast({{ company_size_band('employees') }} as {{ dbt.type_string() }}) as company_size_band,
        cast(annual_revenue as {{ type_double() }}) as annual_revenue,
        cast(country as {{ dbt.type_string() }}) as country,
        cast(region as {{ dbt.type_string() }}) as region,
        cast(segment as {{ dbt.type_string() }}) as segment,
        cast(opportunity_count as {{ dbt.type_int() }}) as opportunity_count,
        cast(won_opportunity_count as {{ dbt.type_int() }}) as won_opportunity_count,
        won_opportunity_count > 0 as is_customer,
        repeat_purchase_at is not null as has_repeat_purchase,
        repeat_purchase_at,
        created_at,
        is_in_account_export
    from accounts

)

select * from final
