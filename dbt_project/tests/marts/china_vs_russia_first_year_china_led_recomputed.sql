{#-
    first_year_china_led, recomputed from the upstream shares: the first year in which China's
    share exceeds Russia's by more than 1e-9 (trade_shares_preferred for trade, fdi_shares for
    FDI). It must be one value per source x republic x measure and equal the recomputation.
-#}
with

shares as (

    select source, republic_iso3, year, flow as measure, partner_iso3, share
    from {{ ref('trade_shares_preferred') }}
    union all
    select 'imf_dip' as source, republic_iso3, year, 'fdi_inward' as measure, partner_iso3, share
    from {{ ref('fdi_shares') }}

),

recomputed as (

    select china.source, china.republic_iso3, china.measure, min(china.year) as first_year_china_led
    from shares as china
    inner join shares as russia
        on russia.source = china.source
        and russia.republic_iso3 = china.republic_iso3
        and russia.year = china.year
        and russia.measure = china.measure
        and russia.partner_iso3 = 'RUS'
    where china.partner_iso3 = 'CHN'
      and china.share > russia.share + 1e-9
    group by china.source, china.republic_iso3, china.measure

),

in_mart as (

    select
        source,
        republic_iso3,
        measure,
        count(distinct coalesce(first_year_china_led, -1)) as n_distinct_values,
        max(first_year_china_led) as first_year_china_led
    from {{ ref('china_vs_russia') }}
    group by source, republic_iso3, measure

)

select
    coalesce(in_mart.source, recomputed.source) as source,
    coalesce(in_mart.republic_iso3, recomputed.republic_iso3) as republic_iso3,
    coalesce(in_mart.measure, recomputed.measure) as measure,
    in_mart.n_distinct_values,
    in_mart.first_year_china_led as in_mart,
    recomputed.first_year_china_led as recomputed
from in_mart
full outer join recomputed
    on recomputed.source = in_mart.source
    and recomputed.republic_iso3 = in_mart.republic_iso3
    and recomputed.measure = in_mart.measure
where in_mart.republic_iso3 is null
   or in_mart.n_distinct_values <> 1
   or in_mart.first_year_china_led is distinct from recomputed.first_year_china_led
