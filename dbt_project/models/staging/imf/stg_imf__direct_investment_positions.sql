{#-
    IMF DIP observations, renamed and cast; one row per natural key (country, DV_TYPE, indicator,
    counterpart, frequency, period), the observation from the latest request winning.
-#}
with

source as (

    select * from {{ source('imf', 'imf_dip_observations') }}

),

renamed as (

    select
        -- provenance
        cast(landing_id as varchar) as landing_id,
        cast(dataset as varchar) as dataset,
        cast(requested_at as timestamptz) as requested_at,
        cast(DATAFLOW as varchar) as dataflow,

        -- what
        cast(COUNTRY as varchar) as country_iso3,
        cast(DV_TYPE as varchar) as dv_type,
        case cast(DV_TYPE as varchar)
            when 'O' then 'reported'
            when 'SCC' then 'derived'
        end as derivation,
        cast(INDICATOR as varchar) as indicator,
        cast(COUNTERPART_COUNTRY as varchar) as counterpart_code,
        -- G001 is the IMF code of the world total; WLD is the warehouse's code for it
        case
            when cast(COUNTERPART_COUNTRY as varchar) = 'G001' then 'WLD'
            else cast(COUNTERPART_COUNTRY as varchar)
        end as counterpart_iso3,
        cast(FREQUENCY as varchar) as frequency,
        cast(TIME_PERIOD as varchar) as time_period,
        try_cast(TIME_PERIOD as integer) as year,

        -- value (US dollars; an empty OBS_VALUE is a missing or confidential cell)
        cast(OBS_VALUE as varchar) as obs_value,
        try_cast(nullif(trim(cast(OBS_VALUE as varchar)), '') as double) as position_usd,
        cast(SCALE as varchar) as scale,
        cast(STATUS as varchar) as status,
        coalesce(cast(STATUS as varchar) = 'C', false) as is_confidential

    from source

),

deduplicated as (

    select *
    from renamed
    qualify row_number() over (
        partition by
            country_iso3, dv_type, indicator, counterpart_code, frequency, time_period
        order by requested_at desc nulls last, landing_id desc
    ) = 1

)

select * from deduplicated
