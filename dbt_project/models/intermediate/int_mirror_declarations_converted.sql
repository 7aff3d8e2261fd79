{#-
    Every partner declaration of trade with a republic (mirror statistics), one row per
    republic x year x flow (the republic's point of view) x reporter, converted to the republic's
    own valuation with cif_fob_factor (IMF DOTS convention CIF = FOB x factor):
      republic's imports from P = P's declared exports to it (FOB) x factor   (-> CIF)
      republic's exports to P   = P's declared imports from it (CIF) / factor (-> FOB)
    Each converted declaration is rounded to cents. Left out: group reporters
    (comtrade_reporters.counts_in_world_total = false, e.g. the EU), the republic itself, and
    reporter codes not in use in that year (in effect on 1 January of it, so that a code replaced
    mid-year is not counted twice: Sudan is 736 up to 2011 and 729 from 2012).
-#}
with

flows as (

    select * from {{ ref('int_trade_totals_filtered') }}

),

republics as (

    select republic_iso3, m49_code from {{ ref('republics') }}

),

reporters as (

    select reporter_code, reporter_name, counts_in_world_total, entry_effective_date, entry_expired_date
    from {{ ref('comtrade_reporters') }}

),

landings as (

    select landing_id, vintage from {{ ref('stg_raw_zone__landings') }}

),

declared as (

    select
        republics.republic_iso3,
        flows.year,
        -- the partner's export is the republic's import, and vice versa
        case flows.flow when 'export' then 'import' else 'export' end as flow,
        flows.reporter_code,
        coalesce(reporters.reporter_name, flows.reporter_name) as reporter_name,
        flows.value_usd as declared_value_usd,
        -- converted to the republic's valuation and rounded to cents
        round(case flows.flow
            when 'export' then flows.value_usd * {{ var('cif_fob_factor') }}
            else flows.value_usd / {{ var('cif_fob_factor') }}
        end, 2) as value_usd,
        flows.landing_id,
        landings.vintage
    from flows
    inner join republics on flows.partner_code = republics.m49_code
    left join reporters on flows.reporter_code = reporters.reporter_code
    left join landings on flows.landing_id = landings.landing_id
    where flows.reporter_code <> republics.m49_code
      -- reporters missing from the seed count (a warn test lists them); groups never do
      and coalesce(reporters.counts_in_world_total, true)
      -- only codes in effect on 1 January of the year (no double count when a code changes)
      and coalesce(reporters.entry_effective_date <= make_date(flows.year, 1, 1), true)
      and coalesce(reporters.entry_expired_date >= make_date(flows.year, 1, 1), true)

)

select * from declared
