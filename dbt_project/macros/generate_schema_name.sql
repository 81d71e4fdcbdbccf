{#
    Schemas are exactly the layer names (staging, intermediate, marts, seeds): the orchestration
    code and BI tools address `marts.fct_stage_events`, never `main_marts.…`.
    Nodes without a custom schema fall back to the target schema.
#}
{% macro generate_schema_name(custom_schema_name, node) -%}
    {%- if custom_schema_name is none -%}
        {{ target.schema }}
    {%- else -%}
        {{ custom_schema_name | trim }}
    {%- endif -%}
{%- endmacro %}
