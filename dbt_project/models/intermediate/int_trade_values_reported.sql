{#-
    The republics' own declarations of their annual goods trade (all commodities, all customs
    procedures, all modes of transport) with the world, China and Russia.
    value_usd = primaryValue: imports CIF, exports FOB.
-#}
with

flows as (

    select * from {{ ref('int_trade_totals_filtered') }}

),

republics as (

    select republic_iso3, m49_code from {{ ref('republics') }}

),

partners as (

    select partner_iso3, m49_code from {{ ref('partners') }}

),

landings as (

    select landing_id, vintage from {{ ref('stg_raw_zone__landings') }}

),

reported as (

    select
        republics.republic_iso3,
        flows.year,
        flows.flow,
        partners.partner_iso3,
        flows.value_usd,
        flows.landing_id,
        landings.vintage
    from flows
    inner join republics on flows.reporter_code = republics.m49_code
    inner join partners on flows.partner_code = partners.m49_code
    left join landings on flows.landing_id = landings.landing_id
    where partners.partner_iso3 <> republics.republic_iso3

)

select * from reported
