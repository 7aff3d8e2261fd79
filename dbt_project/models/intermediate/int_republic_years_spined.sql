{#-
    The spine of the marts: every republic x year x measure of the years the warehouse holds -
    not of the years a run asked for, so that a run for two years leaves the others in place.
    Trade measures (export, import, total) span the years of the landed UN Comtrade responses
    (the years each landed request asked for, and the years of the landed records); fdi_inward
    those of the landed IMF DIP responses from fdi_first_year.
-#}
with

republics as (

    select republic_iso3, republic_name from {{ ref('republics') }}

),

landings as (

    select source, unnest(coalesce(years, []::integer[])) as year
    from {{ ref('stg_raw_zone__landings') }}

),

trade_years as (

    select year from landings where source = 'comtrade'
    union
    select year from {{ ref('stg_comtrade__trade_flows') }} where freq_code = 'A'

),

fdi_years as (

    select year from landings where source = 'imf_dip'
    union
    select year from {{ ref('stg_imf__direct_investment_positions') }} where frequency = 'A'

),

measure_years as (

    select measure, cast(year as integer) as year
    from trade_years
    cross join (values ('export'), ('import'), ('total')) as m (measure)
    where year is not null
    union
    select 'fdi_inward' as measure, cast(year as integer) as year
    from fdi_years
    where year >= {{ var('fdi_first_year') }}

),

spined as (

    select
        republics.republic_iso3,
        republics.republic_name,
        measure_years.year,
        measure_years.measure,
        measure_years.year >= {{ release_window_start() }} as is_release_lag
    from republics
    cross join measure_years

)

select * from spined
