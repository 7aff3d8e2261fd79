{#-
    Inward direct investment positions of the republics (IMF DIP, indicator
    INWD_D_NETLA_FALL_ALL, annual), one row per republic x year x derivation x partner (CHN, RUS),
    with the world position of the same derivation alongside. A row exists for every
    republic x year x derivation with at least one observation (partner or world).
-#}
with

observations as (

    select * from {{ ref('stg_imf__direct_investment_positions') }}
    where indicator = 'INWD_D_NETLA_FALL_ALL'
      and frequency = 'A'
      and derivation is not null
      and year >= {{ var('fdi_first_year') }}

),

republics as (

    select republic_iso3 from {{ ref('republics') }}

),

partners as (

    select partner_iso3 from {{ ref('partners') }}
    where not is_world

),

landings as (

    select landing_id, vintage from {{ ref('stg_raw_zone__landings') }}

),

republic_observations as (

    select observations.*, landings.vintage
    from observations
    inner join republics on observations.country_iso3 = republics.republic_iso3
    left join landings on observations.landing_id = landings.landing_id
    where observations.counterpart_iso3 in ('WLD', 'CHN', 'RUS')

),

cells as (

    select distinct country_iso3 as republic_iso3, year, derivation
    from republic_observations

),

world as (

    select * from republic_observations where counterpart_iso3 = 'WLD'

),

pivoted as (

    select
        cells.republic_iso3,
        cells.year,
        cells.derivation,
        partners.partner_iso3,
        partner.position_usd as partner_position_usd,
        coalesce(partner.is_confidential, false) as partner_is_confidential,
        partner.landing_id is not null as partner_row_present,
        world.position_usd as world_position_usd,
        coalesce(world.is_confidential, false) as world_is_confidential,
        world.landing_id is not null as world_row_present,
        list_sort(list_distinct(list_filter(
            [partner.landing_id, world.landing_id], x -> x is not null
        ))) as landing_ids,
        nullif(array_to_string(list_sort(list_distinct(list_filter(
            [partner.vintage, world.vintage], x -> x is not null
        ))), ', '), '') as vintage
    from cells
    cross join partners
    left join republic_observations as partner
        on partner.country_iso3 = cells.republic_iso3
        and partner.year = cells.year
        and partner.derivation = cells.derivation
        and partner.counterpart_iso3 = partners.partner_iso3
    left join world
        on world.country_iso3 = cells.republic_iso3
        and world.year = cells.year
        and world.derivation = cells.derivation
    where partners.partner_iso3 <> cells.republic_iso3

)

select * from pivoted
