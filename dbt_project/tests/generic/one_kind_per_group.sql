{#-
    Real and synthetic never mix: within each group (a series, a count, a claim) every row has
    the same flag_column (is_synthetic), none null; and where the row has a vintage_column, it
    names no demo vintage beside a real one and agrees with the flag ('demo-...' = synthetic).
    A group that breaks the rule is returned.
-#}
{% test one_kind_per_group(model, group_by_columns, flag_column='is_synthetic', vintage_column='vintage') %}
with checked as (
    select
        {{ group_by_columns | join(', ') }},
        {{ flag_column }} as flag,
        {%- if vintage_column %}
        -- the demo parts of a comma-separated vintage: none, or all of them
        case when {{ vintage_column }} is null then null else
            len(list_filter(string_split({{ vintage_column }}, ', '), x -> x like 'demo-%'))
        end as demo_parts,
        case when {{ vintage_column }} is null then null else
            len(string_split({{ vintage_column }}, ', '))
        end as parts
        {%- else %}
        cast(null as integer) as demo_parts,
        cast(null as integer) as parts
        {%- endif %}
    from {{ model }}
)
select
    {{ group_by_columns | join(', ') }},
    count(*) filter (where flag is null) as rows_without_flag,
    count(distinct flag) as kinds,
    count(*) filter (where demo_parts not in (0, parts)) as rows_mixing_vintages,
    count(*) filter (where (demo_parts > 0) <> flag) as rows_flag_disagrees_with_vintage
from checked
group by {{ group_by_columns | join(', ') }}
having count(*) filter (where flag is null) > 0
    or count(distinct flag) > 1
    or count(*) filter (where demo_parts not in (0, parts)) > 0
    or count(*) filter (where (demo_parts > 0) <> flag) > 0
{% endtest %}
