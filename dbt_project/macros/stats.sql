{#
    Statistics used by the analysis marts, in plain portable SQL (exp, sqrt, abs, case): no engine
    has a normal CDF built in everywhere, and none may be assumed.

    normal_cdf(z)    Φ(z), standard normal CDF, from erf by Abramowitz & Stegun 7.1.26
                     (|error of erf| ≤ 1.5e-7): Φ(z) = ½·(1 + erf(z/√2)).
    normal_tail(z)   1 − Φ(|z|), computed directly (no cancellation for large |z|).
    two_sided_p_value(z)  2·(1 − Φ(|z|)).
    wilson_lower / wilson_upper(k, n, z)  Wilson score interval of the proportion k/n:
                     (p + z²/2n ∓ z·√(p(1−p)/n + z²/4n²)) / (1 + z²/n); null when n = 0;
                     exactly 0 (k = 0) and 1 (k = n) at the ends, where the formula is only
                     0 and 1 up to rounding.
    two_proportion_z(k0, n0, k1, n1)  pooled two-proportion z statistic of p1 − p0:
                     (p1 − p0) / √(p̂(1−p̂)(1/n0 + 1/n1)), p̂ = (k0+k1)/(n0+n1); null when
                     undefined (a zero n, or p̂ ∈ {0, 1}).
    two_proportion_p_value(k0, n0, k1, n1)  its two-sided p-value (1 when p̂ ∈ {0, 1}: no change).

    Arguments are SQL expressions; every one is wrapped in parentheses and cast to a double.
#}

{% macro _as_double(expr) -%}
    cast(({{ expr }}) as {{ funnel_warehouse.type_double() }})
{%- endmacro %}


{# 1 − Φ(|z|) = ½·erfc(|z|/√2), A&S 7.1.26 with x = |z|/√2, t = 1/(1 + 0.3275911·x). #}
{% macro normal_tail(z) -%}
    {%- set x = "(abs(" ~ funnel_warehouse._as_double(z) ~ ") / 1.4142135623730951)" -%}
    {%- set t = "(1.0 / (1.0 + 0.3275911 * " ~ x ~ "))" -%}
    (0.5 * ({{ t }} * (0.254829592 + {{ t }} * (-0.284496736 + {{ t }} * (1.421413741
        + {{ t }} * (-1.453152027 + {{ t }} * 1.061405429))))) * exp(-{{ x }} * {{ x }}))
{%- endmacro %}


{% macro normal_cdf(z) -%}
    (case
        when {{ funnel_warehouse._as_double(z) }} is null then null
        when {{ funnel_warehouse._as_double(z) }} >= 0 then 1.0 - {{ funnel_warehouse.normal_tail(z) }}
        else {{ funnel_warehouse.normal_tail(z) }}
    end)
{%- endmacro %}


{% macro two_sided_p_value(z) -%}
    (2.0 * {{ funnel_warehouse.normal_tail(z) }})
{%- endmacro %}


{% macro _wilson_bound(k, n, z, sign) -%}
    {%- set kd = funnel_warehouse._as_double(k) -%}
    {%- set nd = funnel_warehouse._as_double(n) -%}
    {%- set zd = funnel_warehouse._as_double(z) -%}
    (case
        when {{ nd }} is null or {{ nd }} <= 0 or {{ kd }} is null then null
        {%- if sign == '-' %}
        when {{ kd }} <= 0 then 0.0
        {%- else %}
        when {{ kd }} >= {{ nd }} then 1.0
        {%- endif %}
        else (
            {{ kd }} / {{ nd }} + {{ zd }} * {{ zd }} / (2.0 * {{ nd }})
            {{ sign }} {{ zd }} * sqrt(
                case
                    when ({{ kd }} / {{ nd }}) * (1.0 - {{ kd }} / {{ nd }}) / {{ nd }} + {{ zd }} * {{ zd }} / (4.0 * {{ nd }} * {{ nd }}) > 0
                    then ({{ kd }} / {{ nd }}) * (1.0 - {{ kd }} / {{ nd }}) / {{ nd }} + {{ zd }} * {{ zd }} / (4.0 * {{ nd }} * {{ nd }})
                    else 0.0
                end
            )
        ) / (1.0 + {{ zd }} * {{ zd }} / {{ nd }})
    end)
{%- endmacro %}

{% macro wilson_lower(k, n, z=none) -%}
    {{ funnel_warehouse._wilson_bound(k, n, z if z is not none else var('confidence_z', 1.959963984540054), '-') }}
{%- endmacro %}

{% macro wilson_upper(k, n, z=none) -%}
    {{ funnel_warehouse._wilson_bound(k, n, z if z is not none else var('confidence_z', 1.959963984540054), '+') }}
{%- endmacro %}


{% macro two_proportion_z(k0, n0, k1, n1) -%}
    {%- set k0d = funnel_warehouse._as_double(k0) -%}
    {%- set n0d = funnel_warehouse._as_double(n0) -%}
    {%- set k1d = funnel_warehouse._as_double(k1) -%}
    {%- set n1d = funnel_warehouse._as_double(n1) -%}
    {%- set pooled = "((" ~ k0d ~ " + " ~ k1d ~ ") / (" ~ n0d ~ " + " ~ n1d ~ "))" -%}
    (case
        when {{ n0d }} is null or {{ n1d }} is null or {{ n0d }} <= 0 or {{ n1d }} <= 0 then null
        when {{ pooled }} <= 0 or {{ pooled }} >= 1 then null
        else ({{ k1d }} / {{ n1d }} - {{ k0d }} / {{ n0d }})
            / sqrt({{ pooled }} * (1.0 - {{ pooled }}) * (1.0 / {{ n0d }} + 1.0 / {{ n1d }}))
    end)
{%- endmacro %}


{% macro two_proportion_p_value(k0, n0, k1, n1) -%}
    {%- set n0d = funnel_warehouse._as_double(n0) -%}
    {%- set n1d = funnel_warehouse._as_double(n1) -%}
    (case
        when {{ n0d }} is null or {{ n1d }} is null or {{ n0d }} <= 0 or {{ n1d }} <= 0 then null
        when {{ funnel_warehouse.two_proportion_z(k0, n0, k1, n1) }} is null then 1.0
        else {{ funnel_warehouse.two_sided_p_value(funnel_warehouse.two_proportion_z(k0, n0, k1, n1)) }}
    end)
{%- endmacro %}


{# a / b as a double; null when b is null or 0. #}
{% macro safe_ratio(numerator, denominator) -%}
    (case
        when ({{ denominator }}) is null or ({{ denominator }}) = 0 then null
        else {{ funnel_warehouse._as_double(numerator) }} / {{ funnel_warehouse._as_double(denominator) }}
    end)
{%- endmacro %}


{#
    json_string(expr): expr as a JSON string literal ("…" with \ and " escaped; null -> null),
    for the few JSON columns the marts build by concatenation (engines' JSON functions differ).
    The backslash is written chr(92): some engines (Spark) treat it as an escape in SQL literals.
#}
{% macro json_string(expr) -%}
    {%- set escaped = "replace(replace(cast(" ~ expr ~ " as " ~ dbt.type_string() ~ "), chr(92), chr(92) || chr(92)), '\"', chr(92) || '\"')" -%}
    (case
        when ({{ expr }}) is null then 'null'
        else {{ dbt.concat(["'\"'", escaped, "'\"'"]) }}
    end)
{%- endmacro %}


{#
    exact_sum(expr): the sum of a floating-point expression computed in decimal(38, 6) and
    returned as a double. A double sum depends on the order threads add the rows in, so a rebuild
    on the same data could change the last bits (and the warehouse would not be reproducible);
    the decimal sum is exact (to 6 decimals, well below a cent).
#}
{% macro exact_sum(expr) -%}
    cast(sum(cast({{ expr }} as decimal(38, 6))) as {{ funnel_warehouse.type_double() }})
{%- endmacro %}
