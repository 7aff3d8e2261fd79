{#-
    Did a reporter release a year to UN Comtrade, and did its rows land? One row per reporter x
    trade year held, for every reporter that appears in the availability records or the landed
    records (in any year), and for the republics and partners (China, Russia).
      release_status: 'released' (listed in UN Comtrade's data availability with totalRecords > 0),
        'not released' (not listed, or listed with no records, although the availability of that
        year was landed), 'unknown' (no availability record of that year landed at all);
      rows_landed: landed annual records declared by this reporter in this year (any dataset);
      is_extraction_gap: released, yet not one record landed - the extraction lost it.
-#}
with

availability as (

    select * from {{ ref('stg_comtrade__availabilities') }}

),

trade_years as (

    select distinct year from {{ ref('int_republic_years_spined') }}
    where measure in ('export', 'import', 'total')

),

availability_years as (

    -- years whose availability was landed: the years each availability request asked for
    select distinct unnest(coalesce(years, []::integer[])) as year
    from {{ ref('stg_raw_zone__landings') }}
    where source = 'comtrade' and dataset = 'availability'
    union
    select distinct year from availability

),

landed as (

    select reporter_code, year, count(*) as rows_landed
    from {{ ref('stg_comtrade__trade_flows') }}
    where freq_code = 'A'
    group by reporter_code, year

),

tracked as (

    -- the republics and the partners, in every trade year
    select republics.m49_code as reporter_code, trade_years.year
    from {{ ref('republics') }} as republics
    cross join trade_years
    union
    select partners.m49_code as reporter_code, trade_years.year
    from {{ ref('partners') }} as partners
    cross join trade_years
    where not partners.is_world

),

reporters_seen as (

    -- every reporter the source lists or whose records landed, in any year
    select reporter_code from availability
    union
    select reporter_code from landed

),

keys as (

    -- each of them in every trade year: a year it is absent from is a fact too
    select reporter_code, year from tracked
    union
    select reporters_seen.reporter_code, trade_years.year
    from reporters_seen
    cross join trade_years
    union
    select reporter_code, year from availability
    union
    select reporter_code, year from landed

),

names as (

    select reporter_code, reporter_iso3, reporter_name from {{ ref('comtrade_reporters') }}

),

assessed as (

    select
        keys.reporter_code,
        coalesce(names.reporter_iso3, availability.reporter_iso3) as reporter_iso3,
        coalesce(names.reporter_name, availability.reporter_name, 'reporter ' || keys.reporter_code)
            as reporter_name,
        keys.year,
        case
            when availability.total_records > 0 then 'released'
            when availability_years.year is not null then 'not released'
            else 'unknown'
        end as release_status,
        availability.total_records,
        availability.first_released,
        availability.last_released,
        availability.dataset_checksum,
        coalesce(landed.rows_landed, 0) as rows_landed,
        coalesce(availability.total_records > 0 and landed.rows_landed is null, false)
            as is_extraction_gap,
        availability.landing_id as availability_landing_id
    from keys
    left join availability
        on availability.reporter_code = keys.reporter_code
        and availability.year = keys.year
    left join availability_years on availability_years.year = keys.year
    left join landed
        on landed.reporter_code = keys.reporter_code
        and landed.year = keys.year
    left join names on names.reporter_code = keys.reporter_code

)

select * from assessed
