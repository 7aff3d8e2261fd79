{#-
    trade_shares.partner_value_is_unknown says exactly whether the partner's value is known, for
    every source, basis and row_status, consistently with the share:
      - it is true exactly where partner_value_usd is null (an imputed 0 is a value);
      - a share never rests on an unknown partner value;
      - where the world total is usable (a value > 0; on the mirror basis a complete partner-side
        world) and the partner value does not exceed it, the share is null only because the
        partner's value is unknown - e.g. Russia's side of Turkmenistan's partner-side trade in a
        year Russia released nothing to UN Comtrade ('partner_not_reported'), or a partner the
        IMF gives no value for ('partner_missing').
    Each returned row breaks one of these; 'broken' names which.
-#}
with

checked as (

    select
        source_dataset,
        republic_iso3,
        year,
        flow,
        partner_iso3,
        basis,
        row_status,
        partner_value_usd,
        world_value_usd,
        share,
        partner_value_is_unknown,
        case
            when partner_value_is_unknown is null
                then 'partner_value_is_unknown is null'
            when partner_value_is_unknown <> (partner_value_usd is null)
                then 'partner_value_is_unknown differs from partner_value_usd is null'
            when share is not null and partner_value_is_unknown
                then 'a share over an unknown partner value'
            when share is null
                and world_value_usd > 0
                and (basis <> 'mirror' or coalesce(world_is_complete, false))
                and not coalesce(partner_value_usd > world_value_usd * (1 + 1e-9), false)
                and not partner_value_is_unknown
                then 'share null over a usable world total, partner value not flagged unknown'
        end as broken
    from {{ ref('trade_shares') }}

)

select * from checked where broken is not null
