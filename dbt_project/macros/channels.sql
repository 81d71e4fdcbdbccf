{#
    channel_rule_matches(rows, id_columns, fields): one row (ids, channel_key, priority) per seed
    channel_mapping rule that matches a row of the CTE `rows` on one of `fields` (its lowercased,
    trimmed value equals the rule's match_value). `id_columns`: the column, or list of columns,
    that identify a row. The caller defines a CTE `channel_mapping` with match_field, match_value
    (lowercased, trimmed), channel_key and priority.

    One equality join per field, combined with union all: a rule has one match field, so this is
    exactly the set of matching rules. A single join on "field 1 = … or field 2 = …" cannot be
    hashed and ran as a nested loop over every row.
#}
{% macro channel_rule_matches(rows, id_columns, fields) -%}
    {%- set ids = [id_columns] if id_columns is string else id_columns -%}
    {%- for field in fields %}
    select {% for id in ids %}{{ rows }}.{{ id }}, {% endfor %}channel_mapping.channel_key, channel_mapping.priority
    from {{ rows }}
    inner join channel_mapping
        on channel_mapping.match_field = '{{ field }}'
        and channel_mapping.match_value = lower(trim({{ rows }}.{{ field }}))
    {%- if not loop.last %}

    union all
    {% endif -%}
    {%- endfor %}
{%- endmacro %}


{#- A UTM value as channel rules compare it: lowercased and trimmed, '' when missing (a key that
    joins on every engine; no rule matches '', see channel_mapping's tests). -#}
{% macro normalized_utm(expr) -%}
    coalesce(lower(trim({{ expr }})), '')
{%- endmacro %}
