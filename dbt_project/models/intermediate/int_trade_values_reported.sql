{#-
    The republics' own declarations of their annual goods trade (all commodities, all customs
    procedures, all modes of transport) with the world, China and Russia.
    value_usd = primaryValue: imports CIF, exports FOB.
-#}
with

flows as (

    select * from {{ ref('stg_comtrade__trade_flows') }}
    where freq_code = 'A'
      and flow in ('export', 'import')
      and coalesce(cmd_code, 'TOTAL') = 'TOTAL'
      and coalesce(customs_code, 'C00') = 'C00'
      and coalesce(mot_code, 0) = 0
      and coalesce(partner2_code, 0) = 0
      and value_usd is not null
      and year between {{ var('first_year') }} and {{ var('last_year') }}

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
