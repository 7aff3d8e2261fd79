{#-
    Use the custom schema name exactly as configured (staging, intermediate, marts, seeds) instead of
    dbt's default <target_schema>_<custom_schema>, so that models build as marts.trade_shares and not
    main_marts.trade_shares. Nodes without a custom schema go to the target schema (main).
-#}
{% macro generate_schema_name(custom_schema_name, node) -%}
    {%- if custom_schema_name is none -%}
        {{ target.schema }}
    {%- else -%}
        {{ custom_schema_name | trim }}
    {%- endif -%}
{%- endmacro %}
