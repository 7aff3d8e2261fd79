{#-
    No leader named as if on a complete world without saying so. china_vs_russia.world_is_partial
    recomputed: FDI (imf_dip) rows take it from the fdi_shares rows of the republic-year (true on
    the derived basis, null without a basis); trade rows from their preferred trade_shares rows
    (true only over a mirror world total that is not complete, false otherwise, null without a
    preferred row). A row that names a leader never leaves it unknown.
-#}
with

fdi as (

    select republic_iso3, year, bool_or(world_is_partial) as expected
    from {{ ref('fdi_shares') }}
    group by republic_iso3, year

),

trade as (

    select
        source, republic_iso3, year, flow as measure,
        bool_or(case
            when basis = 'mirror' then not coalesce(world_is_complete, false)
            else false
        end) as expected
    from {{ ref('trade_shares') }}
    where is_preferred and partner_iso3 in ('CHN', 'RUS')
    group by source, republic_iso3, year, flow

),

compared as (

    select
        cvr.source, cvr.republic_iso3, cvr.year, cvr.measure, cvr.leader, cvr.world_is_partial,
        case when cvr.source = 'imf_dip' then fdi.expected else trade.expected end as expected
    from {{ ref('china_vs_russia') }} as cvr
    left join fdi
        on cvr.source = 'imf_dip'
        and fdi.republic_iso3 = cvr.republic_iso3
        and fdi.year = cvr.year
    left join trade
        on trade.source = cvr.source
        and trade.republic_iso3 = cvr.republic_iso3
        and trade.year = cvr.year
        and trade.measure = cvr.measure

)

select *
from compared
where world_is_partial is distinct from expected
   or (leader is not null and world_is_partial is null)
