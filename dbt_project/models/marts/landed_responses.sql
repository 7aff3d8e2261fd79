{#- The landed API responses that marts' landing_ids point to: source, request URL, time, vintage. -#}
select
    landing_id,
    source,
    dataset,
    run_id,
    vintage,
    is_demo,
    -- the same flag under the name every mart carries
    is_demo as is_synthetic,
    url,
    requested_at,
    http_status,
    record_count,
    years,
    body_file,
    body_sha256,
    loaded_at
from {{ ref('stg_raw_zone__landings') }}
