{#-
    Every share of fdi_shares, recomputed from the staged IMF DIP observations of the row's
    basis: partner position / world position where the world position is a value > 0 and the
    partner position a value (a confidential or empty cell has none). Otherwise the share must
    be null. value_status is 'ok' exactly where a share is expected.
-#}
with

observations as (

    select * from {{ ref('stg_imf__direct_investment_positions') }}
    where indicator = 'INWD_D_NETLA_FALL_ALL'
      and frequency = 'A'

),

expected as (

    select
        shares.republic_iso3,
        shares.year,
        shares.partner_iso3,
        shares.basis,
        shares.share,
        shares.value_status,
        partner.position_usd as observed_partner_usd,
        world.position_usd as observed_world_usd,
        case
            when world.position_usd > 0 and partner.position_usd is not null
                then partner.position_usd / world.position_usd
        end as expected_share
    from {{ ref('fdi_shares') }} as shares
    left join observations as partner
        on partner.country_iso3 = shares.republic_iso3
        and partner.year = shares.year
        and partner.derivation = shares.basis
        and partner.counterpart_iso3 = shares.partner_iso3
    left join observations as world
        on world.country_iso3 = shares.republic_iso3
        and world.year = shares.year
        and world.derivation = shares.basis
        and world.counterpart_iso3 = 'WLD'

)

select *
from expected
where (share is null) <> (expected_share is null)
   or abs(share - expected_share) > 1e-12
   or (value_status = 'ok') <> (expected_share is not null)
