{#-
    Completeness: every row (key combination) of the spine model has a row in the tested model.
    key_columns name the spine's columns; model_key_columns, if given, the tested model's columns
    in the same order (e.g. spine 'measure' = model 'flow').
-#}
{% test covers_spine(model, spine, key_columns, spine_where='true', model_key_columns=none) %}
{%- set model_columns = model_key_columns if model_key_columns is not none else key_columns -%}
select {% for c in key_columns %}spine.{{ c }}{{ ', ' if not loop.last }}{% endfor %}
from {{ spine }} as spine
where {{ spine_where }}
  and not exists (
      select 1
      from {{ model }} as tested
      where {% for c in key_columns %}tested.{{ model_columns[loop.index0] }} = spine.{{ c }}{{ ' and ' if not loop.last }}{% endfor %}
  )
{% endtest %}
