{#- The counts of china_growth_summary per source, recomputed from the values in the china_growth rows. -#}
with

recomputed as (

    select
        source,
        partner_iso3,
        measure,
        count(*) filter (where last_year > first_year) as republics_with_data,
        count(*) filter (where last_year > first_year and last_value_usd > first_value_usd) as republics_rose,
        count(*) filter (where last_year > first_year and last_value_usd < first_value_usd) as republics_fell,
        count(*) filter (where last_year > first_year and last_value_usd = first_value_usd) as republics_unchanged
    from {{ ref('china_growth') }}
    group by source, partner_iso3, measure

)

select
    coalesce(summary.source, recomputed.source) as source,
    coalesce(summary.partner_iso3, recomputed.partner_iso3) as partner_iso3,
    coalesce(summary.measure, recomputed.measure) as measure,
    summary.republics_with_data, recomputed.republics_with_data as recomputed_with_data,
    summary.republics_rose, recomputed.republics_rose as recomputed_rose,
    summary.republics_fell, recomputed.republics_fell as recomputed_fell,
    summary.republics_unchanged, recomputed.republics_unchanged as recomputed_unchanged
from {{ ref('china_growth_summary') }} as summary
full outer join recomputed
    on recomputed.source = summary.source
    and recomputed.partner_iso3 = summary.partner_iso3
    and recomputed.measure = summary.measure
where summary.partner_iso3 is null
   or recomputed.partner_iso3 is null
   or summary.republics_with_data <> recomputed.republics_with_data
   or summary.republics_rose <> recomputed.republics_rose
   or summary.republics_fell <> recomputed.republics_fell
   or summary.republics_unchanged <> recomputed.republics_unchanged
   -- the sentence states the counts
   or summary.summary not like ('% rose in ' || recomputed.republics_rose || ' of '
       || recomputed.republics_with_data || ' republics %')
