{#-
    UN Comtrade's data availability: which reporter-years the source lists as released (annual,
    HS), renamed and cast. One row per reporter x year: availability is fetched again with every
    run, so the record from the latest request wins. A reporter-year absent here was not released
    to UN Comtrade (as of the latest request for that year).
-#}
with

source as (

    select * from {{ source('comtrade', 'comtrade_availability') }}

),

renamed as (

    select
        cast(landing_id as varchar) as landing_id,
        cast(dataset as varchar) as dataset,
        cast(requested_at as timestamptz) as requested_at,
        cast(typeCode as varchar) as type_code,
        cast(freqCode as varchar) as freq_code,
        cast(classificationCode as varchar) as classification_code,
        try_cast(left(cast(period as varchar), 4) as integer) as year,
        cast(reporterCode as integer) as reporter_code,
        trim(cast(reporterISO as varchar)) as reporter_iso3,
        cast(reporterDesc as varchar) as reporter_name,
        cast(totalRecords as bigint) as total_records,
        cast(datasetChecksum as varchar) as dataset_checksum,
        cast(firstReleased as timestamp) as first_released,
        cast(lastReleased as timestamp) as last_released

    from source
    where coalesce(cast(freqCode as varchar), 'A') = 'A'

),

deduplicated as (

    select *
    from renamed
    qualify row_number() over (
        partition by reporter_code, year
        order by requested_at desc nulls last, total_records desc nulls last, landing_id desc
    ) = 1

)

select * from deduplicated
