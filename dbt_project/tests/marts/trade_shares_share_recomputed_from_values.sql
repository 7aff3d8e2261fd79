{#-
    Every share of trade_shares, recomputed from the upstream values: partner / world of the same
    republic, year, flow and basis in int_trade_values_unioned, where the world value is > 0, the
    partner value exists and does not exceed the world value (else an anomaly of the source, no
    share) and - on the mirror basis - the world total is complete
    (int_trade_mirror_worlds_assessed). Otherwise the share must be null. row_status is 'ok'
    exactly where a share is expected.
-#}
with

trade_values as (

    select * from {{ ref('int_trade_values_unioned') }}

),

expected as (

    select
        shares.republic_iso3,
        shares.year,
        shares.flow,
        shares.partner_iso3,
        shares.basis,
        shares.share,
        shares.row_status,
        case
            when world.value_usd > 0
                and partner.value_usd is not null
                and partner.value_usd <= world.value_usd * (1 + 1e-9)
                and (shares.basis = 'reported' or worlds.is_complete)
                then partner.value_usd / world.value_usd
        end as expected_share
    from {{ ref('trade_shares') }} as shares
    -- UN Comtrade rows; the IMF's are recomputed by trade_shares_imf_share_recomputed
    left join trade_values as partner
        on partner.republic_iso3 = shares.republic_iso3
        and partner.year = shares.year
        and partner.flow = shares.flow
        and partner.basis = shares.basis
        and partner.partner_iso3 = shares.partner_iso3
    left join trade_values as world
        on world.republic_iso3 = shares.republic_iso3
        and world.year = shares.year
        and world.flow = shares.flow
        and world.basis = shares.basis
        and world.partner_iso3 = 'WLD'
    left join {{ ref('int_trade_mirror_worlds_assessed') }} as worlds
        on worlds.republic_iso3 = shares.republic_iso3
        and worlds.year = shares.year
        and worlds.flow = shares.flow
    where shares.source = 'comtrade'

)

select *
from expected
where (share is null) <> (expected_share is null)
   or abs(share - expected_share) > 1e-12
   or (row_status = 'ok') <> (expected_share is not null)
