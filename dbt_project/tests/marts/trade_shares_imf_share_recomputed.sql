{#-
    Every IMF share of trade_shares, recomputed from the staged IMF figures apart from the
    intermediate model: partner / World of the same republic, source copy, year and sheet; total
    = (partner exports + imports) / (World exports + imports), only where all four exist. Where
    a figure is missing the share must be null (unknown, never 0). Each row must keep the
    source copy's own kind (is_synthetic) and vintage.
-#}
with

staged as (

    select source, vintage, is_synthetic, reporter_iso3 as republic_iso3, year, flow, partner_iso3,
        value_usd
    from {{ ref('stg_imf__goods_trade_flows') }}
    where partner_iso3 in ('WLD', 'CHN', 'RUS')

),

flows as (

    select
        p.source, p.republic_iso3, p.year, p.flow, p.partner_iso3,
        p.value_usd as partner_value_usd, w.value_usd as world_value_usd
    from staged as p
    inner join staged as w
        on w.source = p.source and w.republic_iso3 = p.republic_iso3 and w.year = p.year
        and w.flow = p.flow and w.partner_iso3 = 'WLD'
    where p.partner_iso3 in ('CHN', 'RUS')

),

expected as (

    select source, republic_iso3, year, flow, partner_iso3,
        case when world_value_usd > 0 then partner_value_usd / world_value_usd end as share
    from flows
    union all
    select source, republic_iso3, year, 'total', partner_iso3,
        case when count(*) = 2 and count(partner_value_usd) = 2 and count(world_value_usd) = 2
            and sum(world_value_usd) > 0
            then sum(partner_value_usd) / sum(world_value_usd) end
    from flows
    group by source, republic_iso3, year, partner_iso3

),

kinds as (

    select source, bool_or(is_synthetic) as is_synthetic, min(vintage) as vintage
    from staged
    group by source

),

got as (

    select * from {{ ref('trade_shares') }} where source = 'imf'

)

select got.source_dataset, got.republic_iso3, got.year, got.flow, got.partner_iso3,
    got.share, expected.share as expected_share, got.is_synthetic, got.vintage
from got
left join expected
    on expected.source = got.source_dataset and expected.republic_iso3 = got.republic_iso3
    and expected.year = got.year and expected.flow = got.flow
    and expected.partner_iso3 = got.partner_iso3
left join kinds on kinds.source = got.source_dataset
where (got.share is null) <> (expected.share is null)
   or abs(got.share - expected.share) > 1e-12
   or got.is_synthetic is distinct from kinds.is_synthetic
   or (got.vintage is not null and got.vintage <> kinds.vintage)
   or got.basis <> 'imf'
