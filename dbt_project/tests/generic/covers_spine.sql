{#- Completeness: every row (key combination) of the spine model has a row in the tested model. -#}
{% test covers_spine(model, spine, key_columns, spine_where='true') %}
select {% for c in key_columns %}spine.{{ c }}{{ ', ' if not loop.last }}{% endfor %}
from {{ spine }} as spine
where {{ spine_where }}
  and not exists (
      select 1
      from {{ model }} as tested
      where {% for c in key_columns %}tested.{{ c }} = spine.{{ c }}{{ ' and ' if not loop.last }}{% endfor %}
  )
{% endtest %}
