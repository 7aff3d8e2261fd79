{#-
    China's and Russia's shares of each republic's goods trade by the IMF's figures, per source
    (imf_dots, imf_imts): one row per source x republic x year x flow (export, import, total) x
    partner (CHN, RUS; a republic is not its own partner), for every year in which the source
    has any figure for the republic (the marts span every year loaded).
    share = partner / World of the republic's own sheet (its own declarations); total = exports
    + imports, only where both flows have a value. A value the IMF does not give stays null with
    its reason in value_status: it is never taken for zero.
-#}
with

flows as (

    select
        source, vintage, is_synthetic, reporter_iso3 as republic_iso3, year, flow,
        partner_iso3, value_usd, is_estimate, landing_id
    from {{ ref('stg_imf__goods_trade_flows') }}
    where reporter_iso3 in (select republic_iso3 from {{ ref('republics') }})
        and partner_iso3 in ('WLD', 'CHN', 'RUS')
        and year is not null

),

republic_years as (

    select distinct source, vintage, is_synthetic, republic_iso3, year from flows

),

directions as (select * from (values ('export'), ('import')) as t (flow)),

partners as (select * from (values ('CHN'), ('RUS')) as t (partner_iso3)),

single_flows as (

    select
        ry.source,
        ry.vintage,
        ry.is_synthetic,
        ry.republic_iso3,
        ry.year,
        d.flow,
        p.partner_iso3,
        partner.value_usd as partner_value_usd,
        world.value_usd as world_value_usd,
        coalesce(partner.is_estimate, false) or coalesce(world.is_estimate, false)
            as is_estimate,
        list_sort(list_distinct([partner.landing_id, world.landing_id])) as landing_ids
    from republic_years as ry
    cross join directions as d
    cross join partners as p
    left join flows as partner
        on partner.source = ry.source
        and partner.republic_iso3 = ry.republic_iso3
        and partner.year = ry.year
        and partner.flow = d.flow
        and partner.partner_iso3 = p.partner_iso3
    left join flows as world
        on world.source = ry.source
        and world.republic_iso3 = ry.republic_iso3
        and world.year = ry.year
        and world.flow = d.flow
        and world.partner_iso3 = 'WLD'
    where p.partner_iso3 <> ry.republic_iso3

),

totals as (

    select
        source,
        vintage,
        is_synthetic,
        republic_iso3,
        year,
        'total' as flow,
        partner_iso3,
        case when count(partner_value_usd) = 2 then sum(partner_value_usd) end
            as partner_value_usd,
        case when count(world_value_usd) = 2 then sum(world_value_usd) end as world_value_usd,
        bool_or(is_estimate) as is_estimate,
        list_sort(list_distinct(flatten(list(landing_ids)))) as landing_ids
    from single_flows
    group by all

),

all_flows as (

    select * from single_flows
    union all
    select * from totals

)

select
    source,
    vintage,
    is_synthetic,
    republic_iso3,
    year,
    flow,
    partner_iso3,
    partner_value_usd,
    world_value_usd,
    case when world_value_usd > 0 then partner_value_usd / world_value_usd end as share,
    case
        when world_value_usd is null then 'world_missing'
        when world_value_usd <= 0 then 'world_not_positive'
        when partner_value_usd is null then 'partner_missing'
        else 'ok'
    end as value_status,
    is_estimate,
    landing_ids
from all_flows
