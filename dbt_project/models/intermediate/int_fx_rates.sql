-- One row per currency (and month, for monthly rates) with its rate to var('base_currency'):
-- the rows of seed fx_rates whose base_currency is the base currency, plus the base currency
-- itself at 1 when the seed has no row for it. rate_month null = a constant rate, used for every
-- month without a monthly row. Amounts are converted as amount × rate_to_base.

{%- set base = var('base_currency', 'USD') | upper %}

with

rates as (

    select
        upper(trim(currency)) as currency,
        cast(rate_month as date) as rate_month,
        cast(rate_to_base as {{ type_double() }}) as rate_to_base
    from {{ ref('fx_rates') }}
    where upper(trim(base_currency)) = '{{ base }}'

),

final as (

    select * from rates

    union all

    select
        '{{ base }}' as currency,
        cast(null as date) as rate_month,
        cast(1.0 as {{ type_double() }}) as rate_to_base
    where not exists (select 1 from rates where currency = '{{ base }}' and rate_month is null)

)

select * from final
