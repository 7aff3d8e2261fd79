{#-
    "As of" comes from the data, never from the clock, so that the same landed data give the same
    marts on any day:
      1. var as_of_date (ISO date): eurasia/transform.py passes the demo snapshot's own date, or
         for live data the latest requested_at of the landed live responses;
      2. var as_of_year (a year; tests pin it): as of 31 December of that year;
      3. otherwise the latest requested_at in raw.landings (live landings first).
-#}
{% macro as_of_date() -%}
    {%- if var('as_of_date', none) is not none -%}
        {{ return((var('as_of_date') | string)[:10]) }}
    {%- elif var('as_of_year', none) is not none -%}
        {{ return((var('as_of_year') | string) ~ '-12-31') }}
    {%- elif execute -%}
        {#- raw.landings by name, not source(): a unit test calling this has no sources -#}
        {%- set found = run_query(
            "select coalesce("
            ~ " strftime(max(requested_at) filter (where vintage = 'live') at time zone 'UTC', '%Y-%m-%d'),"
            ~ " strftime(max(requested_at) at time zone 'UTC', '%Y-%m-%d'))"
            ~ " from raw.landings"
        ) -%}
        {%- set value = found.columns[0].values()[0] -%}
        {%- if value is none -%}
            {{ exceptions.raise_compiler_error(
                "no as_of_date var and raw.landings is empty: nothing to date the marts by") }}
        {%- endif -%}
        {{ return(value) }}
    {%- else -%}
        {#- parsing: a placeholder, never used to build anything -#}
        {{ return('1900-01-01') }}
    {%- endif -%}
{%- endmacro %}

{#- The year of as_of_date: "now" for the release window. -#}
{% macro as_of_year() -%}
    {{ return(as_of_date()[:4] | int) }}
{%- endmacro %}

{#- First year inside the release window: as_of_year - release_lag_years. -#}
{% macro release_window_start() -%}
    {{ return((as_of_year() | int) - (var('release_lag_years') | int)) }}
{%- endmacro %}
