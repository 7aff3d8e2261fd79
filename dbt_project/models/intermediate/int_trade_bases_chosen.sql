{#-
    Which basis is preferred for each republic x year x flow x partner (CHN, RUS), and why.
    Rule: 'reported' where the republic reported that flow's world total for that year (for
    'total': both exports and imports); otherwise 'mirror' where the partner side has a value
    (partner or world); otherwise 'reported' where the republic declared at least the partner
    value; otherwise no basis (no value at all).
-#}
with

values_long as (

    select * from {{ ref('int_trade_values_unioned') }}

),

partners as (

    select partner_iso3 from {{ ref('partners') }}
    where not is_world

),

keys as (

    select distinct republic_iso3, year, flow from values_long

),

per_flow as (

    select
        republic_iso3,
        year,
        flow,
        bool_or(basis = 'reported' and partner_iso3 = 'WLD') as has_reported_world,
        bool_or(basis = 'mirror' and partner_iso3 = 'WLD') as has_mirror_world
    from values_long
    group by republic_iso3, year, flow

),

per_partner as (

    select
        keys.republic_iso3,
        keys.year,
        keys.flow,
        partners.partner_iso3,
        per_flow.has_reported_world,
        per_flow.has_mirror_world,
        exists (
            select 1 from values_long as v
            where v.republic_iso3 = keys.republic_iso3 and v.year = keys.year
              and v.flow = keys.flow and v.basis = 'reported'
              and v.partner_iso3 in ('WLD', partners.partner_iso3)
        ) as has_reported_value,
        exists (
            select 1 from values_long as v
            where v.republic_iso3 = keys.republic_iso3 and v.year = keys.year
              and v.flow = keys.flow and v.basis = 'mirror'
              and v.partner_iso3 in ('WLD', partners.partner_iso3)
        ) as has_mirror_value
    from keys
    inner join per_flow
        on keys.republic_iso3 = per_flow.republic_iso3
        and keys.year = per_flow.year
        and keys.flow = per_flow.flow
    cross join partners
    where partners.partner_iso3 <> keys.republic_iso3

),

chosen as (

    select
        *,
        case
            when has_reported_world then 'reported'
            when has_mirror_value then 'mirror'
            when has_reported_value then 'reported'
        end as preferred_basis
    from per_partner

)

select * from chosen
