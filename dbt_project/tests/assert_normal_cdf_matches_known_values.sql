-- normal_cdf (Abramowitz–Stegun 7.1.26, |erf error| ≤ 1.5e-7, so |Φ error| ≤ 0.75e-7) against
-- Φ(z) from Python's statistics.NormalDist (exact to double precision), and the two-sided p-value
-- and the Wilson bounds against their closed forms evaluated in Python (math). Fails on every row
-- off by more than 2e-7. (The meta only tells Dagster which asset to show the check on: the test
-- reads no model.)
{{ config(meta={'dagster': {'ref': {'name': 'mart_conversion_by_dimension'}}}) }}

with

known as (

    select cast(0.0 as {{ type_double() }}) as z, cast(0.5 as {{ type_double() }}) as expected
    union all select 0.5, 0.6914624612740131
    union all select 1.0, 0.8413447460685429
    union all select -1.0, 0.15865525393145707
    union all select 1.959963984540054, 0.975
    union all select -1.959963984540054, 0.025
    union all select 2.5758293035489004, 0.995
    union all select 3.0, 0.9986501019683699
    union all select -3.0, 0.0013498980316301035
    union all select -5.0, 2.8665157186802404e-07

),

checks as (

    select 'normal_cdf(' || cast(z as {{ dbt.type_string() }}) || ')' as check_name,
           {{ normal_cdf('z') }} as got, expected
    from known

    union all

    -- |z| = 1.959963984540054 is the 5% two-sided critical value
    select 'two_sided_p_value(1.96)', {{ two_sided_p_value('1.959963984540054') }}, 0.05

    union all

    -- 3 of 5 at z = 1.959963984540054: (p + z²/2n ∓ z·√(p(1−p)/n + z²/4n²)) / (1 + z²/n)
    select 'wilson_lower(3, 5)', {{ wilson_lower('3', '5') }}, 0.23072428127601285
    union all
    select 'wilson_upper(3, 5)', {{ wilson_upper('3', '5') }}, 0.8823792257673521
    union all
    select 'wilson_lower(0, 10)', {{ wilson_lower('0', '10') }}, 0.0
    union all
    select 'wilson_upper(10, 10)', {{ wilson_upper('10', '10') }}, 1.0

)

select *
from checks
where got is null or abs(got - expected) > 2e-7
