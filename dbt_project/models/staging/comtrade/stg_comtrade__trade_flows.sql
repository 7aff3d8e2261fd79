{#-
    UN Comtrade records, renamed to snake_case and cast; one row per natural key
    (reporter, partner, partner2, flow, year, frequency, commodity, customs procedure, mode of
    transport): the reporter and mirror datasets overlap and a year fetched again lands again, so
    the record from the latest request wins.
-#}
with

source as (

    select * from {{ source('comtrade', 'comtrade_records') }}

),

renamed as (

    select
        -- provenance
        cast(landing_id as varchar) as landing_id,
        cast(dataset as varchar) as dataset,
        cast(requested_at as timestamptz) as requested_at,

        -- what and when
        cast(typeCode as varchar) as type_code,
        cast(freqCode as varchar) as freq_code,
        cast(refPeriodId as bigint) as ref_period_id,
        cast(refYear as integer) as year,
        cast(refMonth as integer) as ref_month,
        cast(period as varchar) as period,

        -- who
        cast(reporterCode as integer) as reporter_code,
        trim(cast(reporterISO as varchar)) as reporter_iso3,
        cast(reporterDesc as varchar) as reporter_name,
        cast(flowCode as varchar) as flow_code,
        case cast(flowCode as varchar)
            when 'X' then 'export'
            when 'M' then 'import'
        end as flow,
        cast(flowDesc as varchar) as flow_desc,
        cast(partnerCode as integer) as partner_code,
        -- the API spells the world 'W00'; WLD is the code used throughout the warehouse
        case
            when cast(partnerCode as integer) = 0 then 'WLD'
            else trim(cast(partnerISO as varchar))
        end as partner_iso3,
        cast(partnerDesc as varchar) as partner_name,
        cast(partner2Code as integer) as partner2_code,
        trim(cast(partner2ISO as varchar)) as partner2_iso3,
        cast(partner2Desc as varchar) as partner2_name,

        -- classification
        cast(classificationCode as varchar) as classification_code,
        cast(classificationSearchCode as varchar) as classification_search_code,
        cast(isOriginalClassification as boolean) as is_original_classification,
        cast(cmdCode as varchar) as cmd_code,
        cast(cmdDesc as varchar) as cmd_desc,
        cast(aggrLevel as integer) as aggr_level,
        cast(isLeaf as boolean) as is_leaf,
        cast(customsCode as varchar) as customs_code,
        cast(customsDesc as varchar) as customs_desc,
        cast(mosCode as varchar) as mos_code,
        cast(motCode as integer) as mot_code,
        cast(motDesc as varchar) as mot_desc,

        -- quantities
        cast(qtyUnitCode as integer) as qty_unit_code,
        cast(qtyUnitAbbr as varchar) as qty_unit_abbr,
        cast(qty as double) as qty,
        cast(isQtyEstimated as boolean) as is_qty_estimated,
        cast(altQtyUnitCode as integer) as alt_qty_unit_code,
        cast(altQtyUnitAbbr as varchar) as alt_qty_unit_abbr,
        cast(altQty as double) as alt_qty,
        cast(isAltQtyEstimated as boolean) as is_alt_qty_estimated,
        cast(netWgt as double) as net_weight_kg,
        cast(isNetWgtEstimated as boolean) as is_net_weight_estimated,
        cast(grossWgt as double) as gross_weight_kg,
        cast(isGrossWgtEstimated as boolean) as is_gross_weight_estimated,

        -- values (US dollars)
        cast(cifvalue as double) as cif_value_usd,
        cast(fobvalue as double) as fob_value_usd,
        -- primaryValue: CIF for imports, FOB for exports
        cast(primaryValue as double) as value_usd,

        -- flags
        cast(legacyEstimationFlag as integer) as legacy_estimation_flag,
        cast(isReported as boolean) as is_reported,
        cast(isAggregate as boolean) as is_aggregate

    from source

),

deduplicated as (

    select *
    from renamed
    qualify row_number() over (
        partition by
            reporter_code, partner_code, partner2_code, flow_code, year,
            freq_code, cmd_code, customs_code, mot_code
        order by requested_at desc nulls last, landing_id desc
    ) = 1

)

select * from deduplicated
