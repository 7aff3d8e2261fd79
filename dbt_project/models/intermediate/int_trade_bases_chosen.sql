{#-
    Which basis is preferred for each republic x year x flow x partner (CHN, RUS), and why.
    Rule: 'reported' where the republic reported that flow's world total for that year (for
    'total': both exports and imports); otherwise 'mirror' where the partner side has a value
    (partner or world) and its world total, if any, is complete (int_trade_mirror_worlds_assessed);
    otherwise 'reported' where the republic declared at least the partner value; otherwise no
    basis (null: no value at all, or only a partner side whose world total is incomplete).
-#}
with

values_long as (

    select * from {{ ref('int_trade_values_unioned') }}

),

partners as (

    select partner_iso3 from {{ ref('partners') }}
    where not is_world

),

mirror_worlds as (

    select republic_iso3, year, flow, is_complete
    from {{ ref('int_trade_mirror_worlds_assessed') }}

),

keys as (

    select distinct republic_iso3, year, flow from values_long

),

per_flow as (

    select
        values_long.republic_iso3,
        values_long.year,
        values_long.flow,
        bool_or(values_long.basis = 'reported' and values_long.partner_iso3 = 'WLD') as has_reported_world,
        bool_or(values_long.basis = 'mirror' and values_long.partner_iso3 = 'WLD') as has_mirror_world,
        coalesce(bool_or(mirror_worlds.is_complete), false) as has_complete_mirror_world
    from values_long
    left join mirror_worlds
        on mirror_worlds.republic_iso3 = values_long.republic_iso3
        and mirror_worlds.year = values_long.year
        and mirror_worlds.flow = values_long.flow
        and values_long.basis = 'mirror'
        and values_long.partner_iso3 = 'WLD'
    group by values_long.republic_iso3, values_long.year, values_long.flow

),

per_partner as (

    select
        keys.republic_iso3,
        keys.year,
        keys.flow,
        partners.partner_iso3,
        per_flow.has_reported_world,
        per_flow.has_mirror_world,
        per_flow.has_complete_mirror_world,
        exists (
            select 1 from values_long as v
            where v.republic_iso3 = keys.republic_iso3 and v.year = keys.year
              and v.flow = keys.flow and v.basis = 'reported'
              and v.partner_iso3 in ('WLD', partners.partner_iso3)
              and v.value_usd is not null
        ) as has_reported_value,
        exists (
            select 1 from values_long as v
            where v.republic_iso3 = keys.republic_iso3 and v.year = keys.year
              and v.flow = keys.flow and v.basis = 'mirror'
              and v.partner_iso3 in ('WLD', partners.partner_iso3)
              and v.value_usd is not null
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
            -- a world total the republic reported but the loader quarantined is unknown, never
            -- replaced by the partner side (int_quarantined_cells_listed)
            when has_reported_world or exists (
                select 1 from {{ ref('int_quarantined_cells_listed') }} as q
                where q.republic_iso3 = per_partner.republic_iso3 and q.year = per_partner.year
                  and q.measure = per_partner.flow and q.basis = 'reported'
                  and q.partner_iso3 = 'WLD'
            ) then 'reported'
            -- an incomplete partner-side world total is never preferred
            when has_mirror_value and (has_complete_mirror_world or not has_mirror_world) then 'mirror'
            when has_reported_value then 'reported'
        end as preferred_basis
    from per_partner

)

select * from chosen
