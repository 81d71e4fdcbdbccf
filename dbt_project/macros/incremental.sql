{#
    Incremental models over event-like data (form submissions, ad spend, activities, stage history).

    Raw tables are append-only and every ingest stamps its rows with a later _loaded_at, so the
    staging models only need the rows of loads they have not seen yet: "latest delivery wins" then
    means "a newer load's row replaces the stored one" (delete+insert on the business key), which
    gives exactly what a full rebuild gives.

    Models further down recompute a row when its staged row is new, when its event date falls in
    the lookback window (var incremental_lookback_days, counted back from the newest event date
    already stored), or when it falls in a backfill range (vars backfill_from / backfill_to, set by
    `funnel backfill --from --to`); a model adds its own exact conditions for rows whose inputs
    changed (int_activities__sequenced: activities that moved to another lead). Anything else
    changes only with a backfill of its dates or a full refresh (`funnel build --full-refresh`).
#}

{#- Rows of loads this model has not stored yet (no filter on a first or full-refresh build). -#}
{% macro new_loads_only(loaded_at_column='_loaded_at') -%}
    {%- if is_incremental() -%}
    where {{ loaded_at_column }} > (
        select coalesce(max(_loaded_at), cast('1900-01-01' as {{ dbt.type_timestamp() }})) from {{ this }}
    )
    {%- endif -%}
{%- endmacro %}

{#- True for rows an incremental model must recompute (see above); `true` on a full build.
    event_date_expr: the row's event date or time in the model's input; stored_event_date_column:
    the same value's column in the model itself (the lookback counts back from its maximum). -#}
{% macro incremental_recompute_condition(event_date_expr, stored_event_date_column, loaded_at_expr='_loaded_at') -%}
    {%- if is_incremental() -%}
    (
        {{ loaded_at_column_is_new(loaded_at_expr) }}
        or {{ event_date_expr }} >= (
            select {{ dbt.dateadd('day', -1 * (var('incremental_lookback_days') | int), 'max(' ~ stored_event_date_column ~ ')') }}
            from {{ this }}
        )
        {%- if var('backfill_from', none) and var('backfill_to', none) %}
        or cast({{ event_date_expr }} as date) between {{ backfill_date(var('backfill_from')) }} and {{ backfill_date(var('backfill_to')) }}
        {%- endif %}
    )
    {%- else -%}
    true
    {%- endif -%}
{%- endmacro %}

{% macro loaded_at_column_is_new(loaded_at_expr) -%}
    {{ loaded_at_expr }} > (
        select coalesce(max(_loaded_at), cast('1900-01-01' as {{ dbt.type_timestamp() }})) from {{ this }}
    )
{%- endmacro %}

{#- A backfill bound as a date literal; refuses anything that is not YYYY-MM-DD (it reaches SQL). -#}
{% macro backfill_date(value) -%}
    {%- set text = value | string -%}
    {%- if not modules.re.fullmatch('[0-9]{4}-[0-9]{2}-[0-9]{2}', text) -%}
        {{ exceptions.raise_compiler_error("backfill dates must be YYYY-MM-DD, got " ~ text) }}
    {%- endif -%}
    cast('{{ text }}' as date)
{%- endmacro %}

{#- True in an incremental run whose stored table has all of `columns`. A table stored by an older
    version of the model lacks the columns a night's change detection reads (DuckDB would even bind
    such a name to a column of the outer query): the model then recomputes every row, as on a full
    build, and on_schema_change='append_new_columns' adds the columns. -#}
{% macro incremental_with_columns(columns) -%}
    {%- if not is_incremental() -%}
        {{ return(false) }}
    {%- endif -%}
    {%- set stored = adapter.get_columns_in_relation(this) | map(attribute='name') | map('lower') | list -%}
    {{ return(columns | map('lower') | reject('in', stored) | list | length == 0) }}
{%- endmacro %}
