{#- Provenance: every id in the list column column_name is a landing_id of the `to` model. -#}
{% test landing_ids_exist(model, column_name, to, field='landing_id') %}
with ids as (
    select distinct unnest({{ column_name }}) as landing_id
    from {{ model }}
    where {{ column_name }} is not null
)
select ids.landing_id
from ids
where ids.landing_id is null
   or not exists (select 1 from {{ to }} as t where t.{{ field }} = ids.landing_id)
{% endtest %}
