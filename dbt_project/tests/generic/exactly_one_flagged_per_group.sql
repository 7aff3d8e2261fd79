{#-
    Per group: exactly one row has flag_column = true wherever any row of the group satisfies
    required_when, and never more than one row anywhere.
-#}
{% test exactly_one_flagged_per_group(model, flag_column, group_by_columns, required_when) %}
select {{ group_by_columns | join(', ') }},
       count(*) filter (where {{ flag_column }}) as n_flagged,
       bool_or(coalesce(({{ required_when }}), false)) as is_required
from {{ model }}
group by {{ group_by_columns | join(', ') }}
having count(*) filter (where {{ flag_column }}) > 1
    or (bool_or(coalesce(({{ required_when }}), false))
        and count(*) filter (where {{ flag_column }}) <> 1)
{% endtest %}
