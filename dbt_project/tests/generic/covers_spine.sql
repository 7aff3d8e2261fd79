{#-
    Completeness: every row (key combination) of the spine model has a row in the tested model.
    key_columns name the spine's columns; model_key_columns, if given, the tested model's columns
    in the same order (e.g. spine 'measure' = model 'flow'). model_where restricts the tested
    model's rows that count: a mart holding rows of several sources covers the spine per source
    (e.g. "source = 'comtrade'"), else one source's rows would mask another's lost ones.
-#}
{% test covers_spine(model, spine, key_columns, spine_where='true', model_key_columns=none, model_where='true') %}
{%- set model_columns = model_key_columns if model_key_columns is not none else key_columns -%}
select {% for c in key_columns %}spine.{{ c }}{{ ', ' if not loop.last }}{% endfor %}
from {{ spine }} as spine
where {{ spine_where }}
  and not exists (
      select 1
      from {{ model }} as tested
      where ({{ model_where }})
        and {% for c in key_columns %}tested.{{ model_columns[loop.index0] }} = spine.{{ c }}{{ ' and ' if not loop.last }}{% endfor %}
  )
{% endtest %}
