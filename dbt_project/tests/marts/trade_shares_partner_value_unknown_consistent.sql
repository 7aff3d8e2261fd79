{#-
    trade_shares.partner_value_is_unknown agrees with each row's row_status, for every source
    and basis:
      - a status that says the partner's value is missing ('partner_not_reported',
        'partner_missing', 'partner_value_unknown') or that nothing came at all ('no_data',
        'not_yet_released') flags it unknown;
      - an 'ok' row (its share computed) has a known partner value;
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
            when row_status in (
                    'partner_not_reported', 'partner_missing', 'partner_value_unknown',
                    'no_data', 'not_yet_released'
                )
                and partner_value_is_unknown is distinct from true
                then 'row_status ' || row_status || ' without partner_value_is_unknown'
            when row_status = 'ok' and partner_value_is_unknown is distinct from false
                then 'row_status ok with an unknown partner value'
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
