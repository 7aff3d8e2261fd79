{#-
    The republics' trade as declared by their partners (mirror statistics), converted to the
    republic's own valuation with cif_fob_factor (IMF DOTS convention CIF = FOB x factor):
      republic's imports from P = P's declared exports to it (FOB) x factor   (-> CIF)
      republic's exports to P   = P's declared imports from it (CIF) / factor (-> FOB)
    Each converted declaration is rounded to cents.
    World = the sum over every reporter that declares trade with the republic, except group
    reporters (comtrade_reporters.counts_in_world_total = false, e.g. the EU), the republic
    itself, and reporter codes not in use in that year. A code is in use in a year when it was in
    effect on 1 January of it (entry_effective_date <= 1 Jan <= entry_expired_date), so that a
    code replaced mid-year is not counted twice: Sudan is 736 up to 2011 and 729 from 2012.
    China and Russia = the declarations of China (156) and Russia (643).
-#}
with

declared as (

    select * from {{ ref('int_mirror_declarations_converted') }}

),

partners as (

    select partner_iso3, m49_code from {{ ref('partners') }}
    where not is_world

),

world as (

    select
        republic_iso3,
        year,
        flow,
        'WLD' as partner_iso3,
        round(sum(value_usd), 2) as value_usd,
        sum(declared_value_usd) as declared_value_usd,
        count(distinct reporter_code) as reporter_count,
        list(distinct landing_id order by landing_id) as landing_ids,
        string_agg(distinct vintage, ', ' order by vintage) as vintage
    from declared
    group by republic_iso3, year, flow

),

by_partner as (

    select
        declared.republic_iso3,
        declared.year,
        declared.flow,
        partners.partner_iso3,
        declared.value_usd,
        declared.declared_value_usd,
        1 as reporter_count,
        [declared.landing_id] as landing_ids,
        declared.vintage
    from declared
    inner join partners on declared.reporter_code = partners.m49_code
    where partners.partner_iso3 <> declared.republic_iso3

)

select * from world
union all
select * from by_partner
