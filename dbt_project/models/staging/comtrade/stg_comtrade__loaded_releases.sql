{#-
    The UN Comtrade releases the warehouse loaded: one row per pull (dataset 'reporter' or
    'mirror') x reporter-year x pipeline run that fetched it, with the release's lastReleased and
    datasetChecksum as the data availability listed them (written by eurasia/loader.py from the
    run's _RELEASES.json). What moved a share in a run (marts.share_changes) is read here.
-#}
with

source as (

    select * from {{ source('comtrade', 'comtrade_releases_loaded') }}

),

renamed as (

    select
        cast(dataset as varchar) as dataset,
        cast(reporterCode as integer) as reporter_code,
        try_cast(left(cast(period as varchar), 4) as integer) as year,
        cast(datasetChecksum as varchar) as dataset_checksum,
        cast(lastReleased as timestamp) as last_released,
        cast(availability_landing_id as varchar) as availability_landing_id,
        cast(run_id as varchar) as run_id,
        cast(loaded_at as timestamptz) as loaded_at,
        cast(pipeline_run as varchar) as pipeline_run

    from source

)

select * from renamed
