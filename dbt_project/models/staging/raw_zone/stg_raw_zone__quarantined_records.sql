{#-
    Records the loader set aside instead of reading them as data (eurasia/quarantine.py), from
    both sources, one row per record as received, with the request it came from and the reason.
    The cells such a record touches are unknown: int_quarantined_cells_listed maps them to
    republic x year x measure cells, and the marts say 'quarantined: <reason>' there instead of a
    value, a 0 or "did not report".
-#}
with

comtrade as (

    select * from {{ source('raw_zone', 'comtrade_quarantine') }}

),

imf as (

    select * from {{ source('raw_zone', 'imf_dip_quarantine') }}

),

landings as (

    select landing_id, url, params from {{ source('raw_zone', 'landings') }}

),

unioned as (

    select
        'comtrade' as source,
        cast(landing_id as varchar) as landing_id,
        cast(dataset as varchar) as dataset,
        cast(requested_at as timestamptz) as requested_at,
        cast(refYear as integer) as year,
        cast(reporterCode as integer) as reporter_code,
        cast(partnerCode as integer) as partner_code,
        case cast(flowCode as varchar) when 'X' then 'export' when 'M' then 'import' end as flow,
        -- only annual totals (TOTAL, C00, mode 0, no second partner) make the marts' cells
        coalesce(
            cast(freqCode as varchar) = 'A' and cast(cmdCode as varchar) = 'TOTAL'
            and cast(customsCode as varchar) = 'C00' and cast(motCode as integer) = 0
            and cast(partner2Code as integer) = 0,
            false
        ) as is_annual_total,
        cast(null as varchar) as country_iso3,
        cast(null as varchar) as dv_type,
        cast(null as varchar) as counterpart_iso3,
        cast(record as varchar) as record,
        cast(reason as varchar) as reason
    from comtrade

    union all

    select
        'imf_dip' as source,
        cast(landing_id as varchar) as landing_id,
        cast(dataset as varchar) as dataset,
        cast(requested_at as timestamptz) as requested_at,
        try_cast(TIME_PERIOD as integer) as year,
        cast(null as integer) as reporter_code,
        cast(null as integer) as partner_code,
        cast(null as varchar) as flow,
        false as is_annual_total,
        cast(COUNTRY as varchar) as country_iso3,
        cast(DV_TYPE as varchar) as dv_type,
        -- G001 is the IMF code of the world total; WLD is the warehouse's code for it
        case
            when cast(COUNTERPART_COUNTRY as varchar) = 'G001' then 'WLD'
            else cast(COUNTERPART_COUNTRY as varchar)
        end as counterpart_iso3,
        cast(record as varchar) as record,
        cast(reason as varchar) as reason
    from imf

),

final as (

    select
        unioned.*,
        cast(landings.url as varchar) as url,
        landings.params
    from unioned
    left join landings on landings.landing_id = unioned.landing_id

)

select * from final
