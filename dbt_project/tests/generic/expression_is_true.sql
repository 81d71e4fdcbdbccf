{#
    Fails for every row where `expression` is not true (null counts as a failure).
    Optional `where` (a SQL predicate) limits the rows checked.
#}
{% test expression_is_true(model, expression, column_name=none) %}
select *
from {{ model }}
where not coalesce(({{ expression }}), false)
{% endtest %}
