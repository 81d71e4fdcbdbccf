{#
    channel_rule_matches(rows, id_column, fields): one row (id, channel_key, priority) per seed
    channel_mapping rule that matches a row of the CTE `rows` on one of `fields` (its lowercased,
    trimmed value equals the rule's match_value). The caller defines a CTE `channel_mapping` with
    match_field, match_value (lowercased, trimmed), channel_key and priority.

    One equality join per field, combined with union all: a rule has one match field, so this is
    exactly the set of matching rules. A single join on "field 1 = … or field 2 = …" cannot be
    hashed and ran as a nested loop over every row.
#}
{% macro channel_rule_matches(rows, id_column, fields) -%}
    {%- for field in fields %}
    select {{ rows }}.{{ id_column }}, channel_mapping.channel_key, channel_mapping.priority
    from {{ rows }}
    inner join channel_mapping
        on channel_mapping.match_field = '{{ field }}'
        and channel_mapping.match_value = lower(trim({{ rows }}.{{ field }}))
    {%- if not loop.last %}

    union all
    {% endif -%}
    {%- endfor %}
{%- endmacro %}
