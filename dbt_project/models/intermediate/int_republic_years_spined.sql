{#-
    The spine of the marts: every republic x year x measure of the requested range. Trade measures
    (export, import, total) run from first_year, fdi_inward from max(first_year, fdi_first_year);
    all to last_year.
-#}
with

republics as (

    select republic_iso3, republic_name from {{ ref('republics') }}

),

measures as (

    select * from (values
        ('export', {{ var('first_year') }}),
        ('import', {{ var('first_year') }}),
        ('total', {{ var('first_year') }}),
        ('fdi_inward', {{ fdi_start_year() }})
    ) as m (measure, measure_first_year)

),

years as (

    select cast(year as integer) as year
    from range({{ var('first_year') }}, {{ var('last_year') }} + 1) as r (year)

),

spined as (

    select
        republics.republic_iso3,
        republics.republic_name,
        years.year,
        measures.measure,
        years.year >= {{ release_window_start() }} as is_release_lag
    from republics
    cross join measures
    inner join years on years.year >= measures.measure_first_year

)

select * from spined
