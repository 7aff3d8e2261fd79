with

source as (

    select * from {{ source('raw_zone', 'landings') }}

),

renamed as (

    select
        cast(landing_id as varchar) as landing_id,
        cast(source as varchar) as source,
        cast(dataset as varchar) as dataset,
        cast(run_id as varchar) as run_id,
        cast(vintage as varchar) as vintage,
        coalesce(cast(vintage as varchar) like 'demo-%', false) as is_demo,
        cast(url as varchar) as url,
        params,
        cast(requested_at as timestamptz) as requested_at,
        cast(http_status as integer) as http_status,
        cast(content_type as varchar) as content_type,
        cast(body_file as varchar) as body_file,
        cast(body_sha256 as varchar) as body_sha256,
        cast(body_bytes as bigint) as body_bytes,
        cast(record_count as integer) as record_count,
        cast(years as integer[]) as years,
        cast(loaded_at as timestamptz) as loaded_at

    from source

)

select * from renamed
