{#-
    The same trade flow by every source side by side: for one republic x year x flow x partner
    (CHN, RUS, and WLD for the world total), UN Comtrade as the republic reported it, UN Comtrade
    from its partners' declarations (mirror), and the IMF (its preferred copy: bundled DOTS or
    live IMTS), values and shares, with their differences. On live data this shows where the
    sources disagree.
    Real and synthetic never mix: where one side is the synthetic demo snapshot and the other
    real (make run: demo UN Comtrade beside the real IMF workbooks), no difference is computed
    between them - it is null and difference_note says why.
-#}
with

shares as (

    select * from {{ ref('trade_shares') }}
    where source = 'comtrade' or is_preferred

),

sided as (

    -- one value per side: the partner's row, and the world total (partner 'WLD') once per side
    select
        case when source = 'imf' then 'imf' else basis end as side,
        source_dataset, republic_iso3, republic_name, year, flow, partner_iso3,
        partner_value_usd as value_usd, share, world_is_complete, is_synthetic, vintage,
        landing_ids
    from shares
    where partner_value_usd is not null

    union all

    select
        case when source = 'imf' then 'imf' else basis end as side,
        source_dataset, republic_iso3, republic_name, year, flow, 'WLD' as partner_iso3,
        world_value_usd as value_usd, cast(null as double) as share, world_is_complete,
        is_synthetic, vintage, landing_ids
    from shares
    where world_value_usd is not null
    -- the China and the Russia row carry the same world total
    qualify row_number() over (
        partition by source, basis, republic_iso3, year, flow order by partner_iso3
    ) = 1

),

pivoted as (

    select
        republic_iso3,
        any_value(republic_name) as republic_name,
        year,
        flow,
        partner_iso3,
        max(value_usd) filter (where side = 'reported') as comtrade_reported_value_usd,
        max(share) filter (where side = 'reported') as comtrade_reported_share,
        max(value_usd) filter (where side = 'mirror') as comtrade_mirror_value_usd,
        max(share) filter (where side = 'mirror') as comtrade_mirror_share,
        -- a partner-side world total that lacks partners is not comparable (only partner WLD
        -- sums the partners; a partner's own declaration is whole)
        bool_and(world_is_complete) filter (where side = 'mirror') as comtrade_mirror_world_is_complete,
        max(value_usd) filter (where side = 'imf') as imf_value_usd,
        max(share) filter (where side = 'imf') as imf_share,
        max(source_dataset) filter (where side = 'imf') as imf_source_dataset,
        bool_or(is_synthetic) filter (where side in ('reported', 'mirror')) as comtrade_is_synthetic,
        bool_or(is_synthetic) filter (where side = 'imf') as imf_is_synthetic,
        max(vintage) filter (where side in ('reported', 'mirror')) as comtrade_vintage,
        max(vintage) filter (where side = 'imf') as imf_vintage,
        list_sort(list_distinct(flatten(list(landing_ids)))) as landing_ids
    from sided
    group by republic_iso3, year, flow, partner_iso3

),

kinds as (

    select
        *,
        -- both sides present and of different kinds: no value may combine them
        coalesce(comtrade_is_synthetic <> imf_is_synthetic, false) as mixes_real_and_synthetic,
        partner_iso3 = 'WLD' and not coalesce(comtrade_mirror_world_is_complete, true)
            as mirror_world_is_incomplete
    from pivoted

)

select
    republic_iso3,
    republic_name,
    year,
    flow,
    partner_iso3,
    comtrade_reported_value_usd,
    comtrade_mirror_value_usd,
    imf_value_usd,
    comtrade_reported_share,
    comtrade_mirror_share,
    imf_share,
    -- UN Comtrade against itself: one kind
    case when not mirror_world_is_incomplete
        then comtrade_reported_value_usd - comtrade_mirror_value_usd end as reported_minus_mirror_usd,
    round((comtrade_reported_share - comtrade_mirror_share) * 100, 6) as reported_minus_mirror_pp,
    case when not mixes_real_and_synthetic
        then comtrade_reported_value_usd - imf_value_usd end as reported_minus_imf_usd,
    case when not mixes_real_and_synthetic and not mirror_world_is_incomplete
        then comtrade_mirror_value_usd - imf_value_usd end as mirror_minus_imf_usd,
    case when not mixes_real_and_synthetic
        then round((comtrade_reported_share - imf_share) * 100, 6) end as reported_minus_imf_pp,
    case when not mixes_real_and_synthetic
        then round((comtrade_mirror_share - imf_share) * 100, 6) end as mirror_minus_imf_pp,
    mixes_real_and_synthetic,
    comtrade_mirror_world_is_complete,
    case
        when mirror_world_is_incomplete then
            'the partner-side (mirror) world total lacks partners (see trade_shares.world_missing_partners):'
            || ' no difference computed with it'
            || case when mixes_real_and_synthetic then '; and UN Comtrade here is '
                || case when comtrade_is_synthetic then 'synthetic demo data' else 'real' end
                || ' and the IMF ' || case when imf_is_synthetic then 'synthetic demo data' else 'real' end
                || ' (real and synthetic never mix)' else '' end
        when mixes_real_and_synthetic then
            'UN Comtrade here is ' || case when comtrade_is_synthetic then 'synthetic demo data' else 'real' end
            || ' and the IMF ' || case when imf_is_synthetic then 'synthetic demo data' else 'real' end
            || ': no difference computed between them (real and synthetic never mix)'
        when imf_value_usd is null and coalesce(comtrade_reported_value_usd, comtrade_mirror_value_usd) is not null
            then 'the IMF gives no value here'
        when imf_value_usd is not null
            and comtrade_reported_value_usd is null and comtrade_mirror_value_usd is null
            then 'UN Comtrade gives no value here'
    end as difference_note,
    imf_source_dataset,
    comtrade_is_synthetic,
    imf_is_synthetic,
    -- a row holding any synthetic value is synthetic
    coalesce(comtrade_is_synthetic, false) or coalesce(imf_is_synthetic, false) as is_synthetic,
    comtrade_vintage,
    imf_vintage,
    landing_ids
from kinds
