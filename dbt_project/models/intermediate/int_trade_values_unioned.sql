{#-
    Reported and mirror trade values in one long table: republic x year x flow x basis x partner
    (WLD, CHN, RUS), with
      - reported partner values imputed as 0 where the republic reported the flow's world total
        but no row for the partner (Comtrade omits empty partner flows), flagged is_imputed_zero;
      - flow 'total' = export + import on the same basis, only where both exist.
-#}
with

reported as (

    select
        republic_iso3,
        year,
        flow,
        'reported' as basis,
        partner_iso3,
        value_usd,
        false as is_imputed_zero,
        cast(null as bigint) as reporter_count,
        [landing_id] as landing_ids,
        vintage
    from {{ ref('int_trade_values_reported') }}

),

partners as (

    select partner_iso3 from {{ ref('partners') }}
    where not is_world

),

imputed_zeros as (

    select
        world.republic_iso3,
        world.year,
        world.flow,
        'reported' as basis,
        partners.partner_iso3,
        0.0 as value_usd,
        true as is_imputed_zero,
        cast(null as bigint) as reporter_count,
        -- the response that carried the world total and no row for this partner
        world.landing_ids,
        world.vintage
    from reported as world
    cross join partners
    where world.partner_iso3 = 'WLD'
      and partners.partner_iso3 <> world.republic_iso3
      and not exists (
          select 1
          from reported
          where reported.republic_iso3 = world.republic_iso3
            and reported.year = world.year
            and reported.flow = world.flow
            and reported.partner_iso3 = partners.partner_iso3
      )

),

mirrored as (

    select
        republic_iso3,
        year,
        flow,
        'mirror' as basis,
        partner_iso3,
        value_usd,
        false as is_imputed_zero,
        cast(reporter_count as bigint) as reporter_count,
        landing_ids,
        vintage
    from {{ ref('int_trade_values_mirrored') }}

),

by_flow as (

    select * from reported
    union all
    select * from imputed_zeros
    union all
    select * from mirrored

),

totals as (

    select
        republic_iso3,
        year,
        'total' as flow,
        basis,
        partner_iso3,
        round(sum(value_usd), 2) as value_usd,
        bool_or(is_imputed_zero) as is_imputed_zero,
        -- the smaller of the two flows' reporter counts
        min(reporter_count) as reporter_count,
        list_sort(list_distinct(flatten(list(landing_ids)))) as landing_ids,
        array_to_string(list_sort(list_distinct(
            flatten(list(string_split(vintage, ', ')))
        )), ', ') as vintage
    from by_flow
    group by republic_iso3, year, basis, partner_iso3
    having count(*) filter (where flow = 'export') = 1
       and count(*) filter (where flow = 'import') = 1

)

select * from by_flow
union all
select * from totals
