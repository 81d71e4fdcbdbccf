{#
    Fails once per combination of the given columns/expressions that occurs more than once.
#}
{% test unique_combination_of_columns(model, combination_of_columns) %}
select
    {% for c in combination_of_columns %}{{ c }} as key_{{ loop.index }}, {% endfor %}
    count(*) as occurrences
from {{ model }}
group by {% for c in combination_of_columns %}{{ c }}{{ ', ' if not loop.last }}{% endfor %}
having count(*) > 1
{% endtest %}
