{#
    Column types written in YAML (mart contracts `data_type`, seed `column_types`) are spelled the
    DuckDB way: varchar, double, bigint, integer, boolean, date, timestamp, hugeint (a partition
    digest, macros/partitions.sql). Postgres has no `double` (it is `double precision`) nor
    `hugeint` (digest_type(): numeric), Spark no unbounded `varchar` (it is `string`) nor `hugeint`
    (decimal(38, 0)), so on
    those engines every place dbt turns a YAML type into SQL translates it first:
      * cast(), which the contract check uses for the expected columns (get_empty_schema_sql);
      * the column list of a contract-enforced Postgres table (create table … then insert);
      * seed tables (create_csv_table).
    DuckDB uses dbt's own macros unchanged.
#}

{% macro engine_data_type(data_type) -%}
    {{ return(adapter.dispatch('engine_data_type', 'funnel_warehouse')(data_type)) }}
{%- endmacro %}

{% macro default__engine_data_type(data_type) -%}
    {{ return(data_type) }}
{%- endmacro %}

{% macro postgres__engine_data_type(data_type) -%}
    {%- set t = data_type | string | trim | lower -%}
    {{ return({'double': 'double precision', 'float8': 'double precision', 'hugeint': 'numeric'}.get(t, data_type)) }}
{%- endmacro %}

{% macro spark__engine_data_type(data_type) -%}
    {%- set t = data_type | string | trim | lower -%}
    {{ return({'varchar': 'string', 'text': 'string', 'float8': 'double', 'hugeint': 'decimal(38, 0)'}.get(t, data_type)) }}
{%- endmacro %}


{# The YAML columns of a node with their types translated (a copy; the node is not changed). #}
{% macro _columns_with_engine_types(columns) -%}
    {%- set translated = {} -%}
    {%- for name, column in columns.items() -%}
        {%- set copy = column.copy() -%}
        {%- if copy.get('data_type') -%}
            {%- do copy.update({'data_type': funnel_warehouse.engine_data_type(copy['data_type'])}) -%}
        {%- endif -%}
        {%- do translated.update({name: copy}) -%}
    {%- endfor -%}
    {{ return(translated) }}
{%- endmacro %}


{% macro postgres__cast(field, type) -%}
    cast({{ field }} as {{ funnel_warehouse.engine_data_type(type) }})
{%- endmacro %}

{% macro spark__cast(field, type) -%}
    cast({{ field }} as {{ funnel_warehouse.engine_data_type(type) }})
{%- endmacro %}


{# dbt's table_columns_and_constraints(), with the column types translated. #}
{% macro postgres__get_table_columns_and_constraints() -%}
    {%- set raw_column_constraints = adapter.render_raw_columns_constraints(
        raw_columns=funnel_warehouse._columns_with_engine_types(model['columns'])) -%}
    {%- set raw_model_constraints = adapter.render_raw_model_constraints(raw_constraints=model['constraints']) -%}
    (
    {% for c in raw_column_constraints -%}
      {{ c }}{{ "," if not loop.last or raw_model_constraints }}
    {% endfor %}
    {% for c in raw_model_constraints -%}
        {{ c }}{{ "," if not loop.last }}
    {% endfor -%}
    )
{%- endmacro %}


{# Seeds: translate config column_types, then dbt's own create_csv_table for the engine. #}
{% macro _translate_seed_column_types(model) -%}
    {%- set overrides = model['config'].get('column_types', {}) or {} -%}
    {%- set translated = {} -%}
    {%- for name, data_type in overrides.items() -%}
        {%- do translated.update({name: funnel_warehouse.engine_data_type(data_type)}) -%}
    {%- endfor -%}
    {%- do model['config'].update({'column_types': translated}) -%}
{%- endmacro %}

{% macro postgres__create_csv_table(model, agate_table) -%}
    {%- do funnel_warehouse._translate_seed_column_types(model) -%}
    {{ return(dbt.default__create_csv_table(model, agate_table)) }}
{%- endmacro %}

{% macro spark__create_csv_table(model, agate_table) -%}
    {%- do funnel_warehouse._translate_seed_column_types(model) -%}
    {{ return(dbt.spark__create_csv_table(model, agate_table)) }}
{%- endmacro %}


{# round(x, digits) of a double, as a double (Postgres rounds only numeric). #}
{% macro round_double(expr, digits) -%}
    {{ return(adapter.dispatch('round_double', 'funnel_warehouse')(expr, digits)) }}
{%- endmacro %}

{% macro default__round_double(expr, digits) -%}
    round({{ expr }}, {{ digits }})
{%- endmacro %}

{% macro postgres__round_double(expr, digits) -%}
    cast(round(cast({{ expr }} as numeric), {{ digits }}) as double precision)
{%- endmacro %}


{#
    double_to_text(expr): a double as text, spelled the way DuckDB (and Python's repr) spell it —
    shortest round-trip digits; fixed notation with at least one decimal ('1.0', '0.25',
    '1234567.0') for 1e-4 <= |x| < 1e16, else 'd.ddde-05' / 'd.ddde+16'. Text columns of the marts
    (alert messages, candidate JSON) are then the same on every engine. Postgres writes integral
    values without '.0' and switches to exponents at 1e15; Java (Spark) at 1e-3 and 1e7 with 'E'.
#}
{% macro double_to_text(expr) -%}
    {{ return(adapter.dispatch('double_to_text', 'funnel_warehouse')(expr)) }}
{%- endmacro %}

{% macro default__double_to_text(expr) -%}
    cast({{ expr }} as {{ dbt.type_string() }})
{%- endmacro %}

{% macro postgres__double_to_text(expr) -%}
    (case
        when ({{ expr }}) = trunc({{ expr }}) and abs({{ expr }}) < 1e15
            then cast(cast({{ expr }} as numeric) as text) || '.0'
        else cast({{ expr }} as text)
    end)
{%- endmacro %}

{% macro spark__double_to_text(expr) -%}
    {#- Java's Double.toString: plain for 1e-3 <= |x| < 1e7 (as DuckDB), else 'M.MMME<n>'. -#}
    {%- set java = "cast(abs(" ~ expr ~ ") as string)" -%}
    {%- set mantissa = "substring_index(" ~ java ~ ", 'E', 1)" -%}
    {%- set n = "cast(substring_index(" ~ java ~ ", 'E', -1) as int)" -%}
    {%- set digits = "regexp_replace(replace(" ~ mantissa ~ ", '.', ''), '0+$', '')" -%}
    (case
        when ({{ expr }}) is null then null
        else concat(
            case when ({{ expr }}) < 0 then '-' else '' end,
            case
                when {{ java }} not like '%E%' then {{ java }}
                when {{ n }} < -4 or {{ n }} >= 16 then concat(
                    regexp_replace({{ mantissa }}, '[.]0$', ''), 'e',
                    case when {{ n }} < 0 then '-' else '+' end, lpad(cast(abs({{ n }}) as string), 2, '0'))
                when {{ n }} < 0 then concat('0.', repeat('0', -{{ n }} - 1), {{ digits }})
                when length({{ digits }}) <= {{ n }} + 1 then concat({{ digits }}, repeat('0', {{ n }} + 1 - length({{ digits }})), '.0')
                else concat(substr({{ digits }}, 1, {{ n }} + 1), '.', substr({{ digits }}, {{ n }} + 2))
            end
        )
    end)
{%- endmacro %}


{#
    Spark seeds: dbt-spark binds every seed value as text, so an empty cell arrives as the string
    'None' (and a quote in a value breaks the insert). Write the values as SQL literals instead:
    null, numbers and booleans bare, text quoted with \ and ' escaped (Spark's string literals).
#}
{% macro _spark_literal(value) -%}
    {%- if value is none -%}null
    {%- elif value is sameas true -%}true
    {%- elif value is sameas false -%}false
    {%- elif value is number -%}{{ value }}
    {%- else -%}'{{ (value | string) | replace('\\', '\\\\') | replace("'", "\\'") }}'
    {%- endif -%}
{%- endmacro %}

{% macro spark__load_csv_rows(model, agate_table) %}
    {%- do funnel_warehouse._translate_seed_column_types(model) -%}
    {%- set column_override = model['config'].get('column_types', {}) -%}
    {%- set statements = [] -%}
    {%- for chunk in agate_table.rows | batch(get_batch_size()) -%}
        {%- set sql -%}
            insert into {{ this.render() }} values
            {% for row in chunk -%}
                ({%- for col_name in agate_table.column_names -%}
                    {%- set type = column_override.get(col_name, adapter.convert_type(agate_table, loop.index0)) -%}
                    cast({{ funnel_warehouse._spark_literal(row[loop.index0]) }} as {{ type }})
                    {%- if not loop.last %}, {% endif -%}
                {%- endfor -%})
                {%- if not loop.last %},{% endif %}
            {% endfor %}
        {%- endset -%}
        {%- do adapter.add_query(sql, abridge_sql_log=True) -%}
        {%- if loop.index0 == 0 -%}{%- do statements.append(sql) -%}{%- endif -%}
    {%- endfor -%}
    {{ return(statements[0]) }}
{% endmacro %}
