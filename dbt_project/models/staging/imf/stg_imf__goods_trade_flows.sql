{#-
    The IMF's goods trade by partner, both copies in one shape: one row per source x reporter x
    partner x flow x year, in US dollars. REAL data in both cases:
    - imf_dots: the bundled DOTS workbooks (vintage imf-dots-2022-02), US$ millions as stored in
      the cells, x 10^6 here; a value written '1,023.12 e' is an IMF estimate (the flag is kept,
      the thousands separator dropped);
    - imf_imts: live IMTS SDMX-CSV answers (vintage 'live'), OBS_VALUE already in US dollars.
    Partner names (DOTS) and codes (IMTS) meet through the seed imf_partner_names. An empty cell
    is no data: it has no row here, and is never taken for zero.
-#}
with

landings as (

    select landing_id, vintage from {{ ref('stg_raw_zone__landings') }}

),

names as (

    select
        imf_name,
        -- the warehouse's code for the world total is WLD
        case when kind = 'world' then 'WLD' else iso3 end as partner_iso3,
        kind
    from {{ ref('imf_partner_names') }}

),

-- Each workbook repeats one partner row, identical, above World (Australia): one row each.
dots_cells as (

    select distinct
        landing_id, requested_at, sheet, reporter_name, unit, partner_name, year, value_text
    from {{ source('imf_trade', 'imf_dots_values') }}

),

dots as (

    select
        'imf_dots' as source,
        cells.landing_id,
        cast(cells.requested_at as timestamptz) as requested_at,
        reporter.partner_iso3 as reporter_iso3,
        cells.reporter_name as reporter_imf_name,
        partner.partner_iso3,
        cells.partner_name as partner_imf_name,
        partner.kind as partner_kind,
        case cells.sheet when 'Exports, FOB' then 'export' when 'Imports, CIF' then 'import' end
            as flow,
        case cells.sheet when 'Exports, FOB' then 'FOB' when 'Imports, CIF' then 'CIF' end
            as valuation,
        try_cast(cells.year as integer) as year,
        cells.value_text as value_as_received,
        cells.unit as unit_as_received,
        trim(cells.value_text) like '% e' as is_estimate,
        try_cast(
            replace(regexp_replace(trim(cells.value_text), '\s*e$', ''), ',', '') as double
        ) * case cells.unit when 'US Dollars, Millions' then 1e6 end as value_usd

    from dots_cells as cells
    left join names as reporter on reporter.imf_name = cells.reporter_name
    left join names as partner on partner.imf_name = cells.partner_name

),

imts_observations as (

    select *
    from {{ source('imf_trade', 'imf_imts_observations') }}
    -- the two series the client asks for; anything else is not a flow of this model
    where INDICATOR in ('XG_FOB_USD', 'MG_CIF_USD')
    -- an observation landed twice (a year fetched again): the latest request wins
    qualify row_number() over (
        partition by COUNTRY, INDICATOR, COUNTERPART_COUNTRY, FREQUENCY, TIME_PERIOD
        order by requested_at desc nulls last, landing_id desc
    ) = 1

),

imts as (

    select
        'imf_imts' as source,
        obs.landing_id,
        cast(obs.requested_at as timestamptz) as requested_at,
        cast(obs.COUNTRY as varchar) as reporter_iso3,
        reporter.imf_name as reporter_imf_name,
        case when obs.COUNTERPART_COUNTRY = 'G001' then 'WLD' else obs.COUNTERPART_COUNTRY end
            as partner_iso3,
        partner.imf_name as partner_imf_name,
        partner.kind as partner_kind,
        case obs.INDICATOR when 'XG_FOB_USD' then 'export' when 'MG_CIF_USD' then 'import' end
            as flow,
        case obs.INDICATOR when 'XG_FOB_USD' then 'FOB' when 'MG_CIF_USD' then 'CIF' end
            as valuation,
        try_cast(obs.TIME_PERIOD as integer) as year,
        cast(obs.OBS_VALUE as varchar) as value_as_received,
        'US Dollars' as unit_as_received,
        -- SDMX observation status E = estimated (IMTS answers carry it in STATUS or OBS_STATUS)
        coalesce(obs.STATUS = 'E' or obs.OBS_STATUS = 'E', false) as is_estimate,
        try_cast(nullif(trim(obs.OBS_VALUE), '') as double) as value_usd

    from imts_observations as obs
    left join names as reporter on reporter.partner_iso3 = obs.COUNTRY
    left join names as partner
        on partner.partner_iso3
        = case when obs.COUNTERPART_COUNTRY = 'G001' then 'WLD' else obs.COUNTERPART_COUNTRY end

),

unioned as (

    select * from dots
    union all
    select * from imts

)

select
    unioned.source,
    landings.vintage,
    -- published statistics, never the synthetic demo snapshot
    coalesce(landings.vintage like 'demo-%', false) as is_synthetic,
    unioned.landing_id,
    unioned.requested_at,
    unioned.reporter_iso3,
    unioned.reporter_imf_name,
    unioned.partner_iso3,
    unioned.partner_imf_name,
    unioned.partner_kind,
    coalesce(unioned.partner_kind in ('world', 'aggregate', 'unallocated', 'heading'), false)
        as partner_is_aggregate,
    unioned.flow,
    unioned.valuation,
    unioned.year,
    unioned.value_as_received,
    unioned.unit_as_received,
    unioned.value_usd,
    unioned.is_estimate
from unioned
left join landings on landings.landing_id = unioned.landing_id
