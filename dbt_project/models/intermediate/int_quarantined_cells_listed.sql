{#-
    The mart cells that quarantined records touch (stg_raw_zone__quarantined_records): one row per
    republic x year x measure x basis x partner (WLD, CHN, RUS), with the reasons. Such a cell is
    unknown: its value is not in the warehouse, so it is never 0 (no imputed zero), never "the
    republic did not report", and a world total missing a quarantined record is not a total.
      - UN Comtrade, reporter side: a republic's own declaration -> its 'reported' cell for the
        flow and partner (partners other than the world, China and Russia make no cell);
      - UN Comtrade, partner side: a partner's declaration about a republic -> the republic's
        'mirror' world cell for the opposite flow (the partner's imports are the republic's
        exports) when the reporter counts in world totals, and its China or Russia cell when the
        partner is China or Russia;
      - IMF DIP: an observation of a republic -> its 'fdi_inward' cell of that derivation
        ('reported' for DV_TYPE O, 'derived' for SCC) and counterpart.
    A touched export or import cell touches the 'total' of the same basis and partner too.
-#}
with

quarantined as (

    select * from {{ ref('stg_raw_zone__quarantined_records') }}

),

republics as (

    select republic_iso3, m49_code from {{ ref('republics') }}

),

partners as (

    select partner_iso3, m49_code from {{ ref('partners') }}

),

reporters as (

    select reporter_code, counts_in_world_total from {{ ref('comtrade_reporters') }}

),

trade_cells as (

    -- the republic's own declarations
    select
        republics.republic_iso3, q.year, q.flow as measure, 'reported' as basis,
        partners.partner_iso3, q.reason, q.landing_id
    from quarantined as q
    inner join republics on republics.m49_code = q.reporter_code
    inner join partners on partners.m49_code = q.partner_code
    where q.source = 'comtrade' and q.is_annual_total

    union all

    -- partners' declarations about the republic: its world total on the mirror basis
    select
        republics.republic_iso3, q.year,
        case q.flow when 'import' then 'export' when 'export' then 'import' end as measure,
        'mirror' as basis, 'WLD' as partner_iso3, q.reason, q.landing_id
    from quarantined as q
    inner join republics on republics.m49_code = q.partner_code
    left join reporters on reporters.reporter_code = q.reporter_code
    where q.source = 'comtrade' and q.is_annual_total
      and q.reporter_code <> q.partner_code
      and coalesce(reporters.counts_in_world_total, true)

    union all

    -- China's or Russia's declarations about the republic
    select
        republics.republic_iso3, q.year,
        case q.flow when 'import' then 'export' when 'export' then 'import' end as measure,
        'mirror' as basis, partners.partner_iso3, q.reason, q.landing_id
    from quarantined as q
    inner join republics on republics.m49_code = q.partner_code
    inner join partners on partners.m49_code = q.reporter_code and partners.partner_iso3 <> 'WLD'
    where q.source = 'comtrade' and q.is_annual_total

),

with_totals as (

    select * from trade_cells where measure is not null
    union all
    select republic_iso3, year, 'total' as measure, basis, partner_iso3, reason, landing_id
    from trade_cells where measure is not null

),

fdi_cells as (

    select
        republics.republic_iso3, q.year, 'fdi_inward' as measure,
        case q.dv_type when 'O' then 'reported' when 'SCC' then 'derived' end as basis,
        q.counterpart_iso3 as partner_iso3, q.reason, q.landing_id
    from quarantined as q
    inner join republics on republics.republic_iso3 = q.country_iso3
    where q.source = 'imf_dip'

),

cells as (

    select * from with_totals
    union all
    select * from fdi_cells

)

select
    republic_iso3,
    year,
    measure,
    basis,
    partner_iso3,
    'quarantined: ' || string_agg(distinct reason, '; ' order by reason) as reason,
    list(distinct landing_id order by landing_id) as landing_ids
from cells
where year is not null
group by republic_iso3, year, measure, basis, partner_iso3
