{#
    Time helpers. Raw timestamps are naive UTC; reporting periods are cut in
    var('reporting_timezone'). Engine-specific syntax sits in dispatched macros.
#}

{# A naive UTC timestamp expressed as naive local time in the reporting timezone. #}
{% macro to_reporting_tz(col) -%}
    {%- set tz = var('reporting_timezone', 'UTC') -%}
    {%- if tz | upper in ('UTC', 'ETC/UTC', 'GMT', 'Z') -%}
        {{ col }}
    {%- else -%}
        {{ return(adapter.dispatch('to_reporting_tz', 'funnel_warehouse')(col, tz)) }}
    {%- endif -%}
{%- endmacro %}

{% macro default__to_reporting_tz(col, tz) -%}
    cast((({{ col }}) at time zone 'UTC') at time zone '{{ tz }}' as {{ dbt.type_timestamp() }})
{%- endmacro %}

{% macro spark__to_reporting_tz(col, tz) -%}
    from_utc_timestamp({{ col }}, '{{ tz }}')
{%- endmacro %}


{# First day (date) of the reporting-timezone month that contains a naive UTC timestamp. #}
{% macro reporting_month(col) -%}
    cast({{ dbt.date_trunc('month', funnel_warehouse.to_reporting_tz(col)) }} as date)
{%- endmacro %}

{# Reporting-timezone calendar date of a naive UTC timestamp. #}
{% macro reporting_date(col) -%}
    cast({{ funnel_warehouse.to_reporting_tz(col) }} as date)
{%- endmacro %}


{# "Now" for ages and open stages: var('as_of') when set, else the environment's FUNNEL_AS_OF (how
   `funnel build` and the tests pin it), else the moment this dbt invocation started (UTC). The
   environment, not --vars, carries it every night: dbt re-parses the whole project (~6 s) when its
   --vars differ from the last parse's, but only the files that read an env var whose value changed.
   Either way the value reaches SQL, so anything but a date or date-time is refused.
   Unpinned, "now" is a literal (dbt's run_started_at), not the database's clock: every model of a
   build ages open stages to the same instant, and a view that reads it (fct_stage_events on
   DuckDB) gives the same rows however often and whenever it is read. #}
{% macro as_of() -%}
    {%- set v = var('as_of', none) or env_var('FUNNEL_AS_OF', '') -%}
    {%- if v is none or v == '' -%}
        cast('{{ run_started_at.strftime("%Y-%m-%d %H:%M:%S.%f") }}' as {{ dbt.type_timestamp() }})
    {%- else -%}
        {%- set text = v | string | trim -%}
        {%- if not modules.re.fullmatch('[0-9]{4}-[0-9]{2}-[0-9]{2}([ T][0-9]{2}:[0-9]{2}(:[0-9]{2}(\\.[0-9]{1,6})?)?)?', text) -%}
            {{ exceptions.raise_compiler_error("as_of must be YYYY-MM-DD or YYYY-MM-DD HH:MM[:SS], got " ~ text) }}
        {%- endif -%}
        cast('{{ text }}' as {{ dbt.type_timestamp() }})
    {%- endif -%}
{%- endmacro %}


{# Fractional days between two timestamps (end − start), as a double. #}
{% macro days_between(start_col, end_col) -%}
    cast({{ dbt.datediff(start_col, end_col, 'second') }} as {{ funnel_warehouse.type_double() }}) / 86400.0
{%- endmacro %}


{# 8-byte floating point type (dbt.type_float() is 4-byte on some engines). #}
{% macro type_double() -%}
    {{ return(adapter.dispatch('type_double', 'funnel_warehouse')()) }}
{%- endmacro %}

{% macro default__type_double() -%}
    double
{%- endmacro %}

{% macro postgres__type_double() -%}
    double precision
{%- endmacro %}


{# Numeric part of a date/timestamp: year, quarter, month, day, isodow (Monday = 1 … Sunday = 7). #}
{% macro date_part(part, expr) -%}
    {{ return(adapter.dispatch('date_part', 'funnel_warehouse')(part, expr)) }}
{%- endmacro %}

{% macro default__date_part(part, expr) -%}
    extract({{ part }} from {{ expr }})
{%- endmacro %}

{% macro spark__date_part(part, expr) -%}
    {%- if part == 'isodow' -%}
        extract(dayofweek_iso from {{ expr }})
    {%- else -%}
        extract({{ part }} from {{ expr }})
    {%- endif -%}
{%- endmacro %}


{#
    The time dbt stamps on snapshot versions (dbt_valid_from / dbt_updated_at). Overrides dbt's
    global macro so a snapshot taken by a build pinned to var('as_of') (tests, backfills, the
    FUNNEL_AS_OF of a deterministic rebuild) is dated at that as_of, like every other "now".
#}
{% macro snapshot_get_time() -%}
    {{ funnel_warehouse.as_of() }}
{%- endmacro %}
