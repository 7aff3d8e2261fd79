{#- "Now" for the release window: var as_of_year, else the year in which this dbt run started. -#}
{% macro as_of_year() -%}
    {{ return(var('as_of_year', none) if var('as_of_year', none) is not none else run_started_at.year) }}
{%- endmacro %}

{#- First year inside the release window: as_of_year - release_lag_years. -#}
{% macro release_window_start() -%}
    {{ return((as_of_year() | int) - (var('release_lag_years') | int)) }}
{%- endmacro %}

{#- First year of the FDI measures: the later of first_year and fdi_first_year. -#}
{% macro fdi_start_year() -%}
    {{ return([var('first_year') | int, var('fdi_first_year') | int] | max) }}
{%- endmacro %}
