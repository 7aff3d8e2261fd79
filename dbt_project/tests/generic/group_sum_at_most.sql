{#- Per group, the sum of column_name does not exceed max_value (plus a rounding tolerance). -#}
{% test group_sum_at_most(model, column_name, group_by_columns, max_value=1, tolerance=0.000001) %}
select {{ group_by_columns | join(', ') }}, sum({{ column_name }}) as total
from {{ model }}
group by {{ group_by_columns | join(', ') }}
having sum({{ column_name }}) > {{ max_value }} + {{ tolerance }}
{% endtest %}
