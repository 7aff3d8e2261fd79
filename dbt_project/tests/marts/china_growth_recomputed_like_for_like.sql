{#-
    china_growth compares China and Russia like with like, within each source (the IMF's
    preferred copy each year). Recomputed from the upstream rows
    (trade_shares for trade, int_fdi_positions_pivoted for FDI):
      - the span: first_year / last_year = the first / last year in which every partner of the
        republic (China and Russia; China alone for RUS) has a usable value on one basis - a
        partner value, not on a row whose partner-side world total is incomplete;
      - China and Russia share first_year, last_year, first_basis and last_basis;
      - first_value_usd / last_value_usd = the upstream value in that year on that basis, and it
        is usable;
      - rose / fell follow from those upstream values.
    Returns the rows that disagree.
-#}
with

usable as (

    select
        source,
        republic_iso3,
        partner_iso3,
        case flow when 'import' then 'partner_exports_to_republic'
            else 'partner_imports_from_republic' end as measure,
        year,
        basis,
        partner_value_usd as value_usd
    from {{ ref('trade_shares') }}
    where flow in ('export', 'import')
      and (source = 'comtrade' or is_preferred)
      and partner_value_usd is not null
      and row_status <> 'world_incomplete'

    union all

    select
        'imf_dip' as source,
        republic_iso3,
        partner_iso3,
        'partner_direct_investment_position' as measure,
        year,
        derivation as basis,
        partner_position_usd as value_usd
    from {{ ref('int_fdi_positions_pivoted') }}
    where partner_position_usd is not null

),

both_partners as (

    -- years and bases with a usable value for every partner the republic is compared on
    select usable.source, usable.republic_iso3, usable.measure, usable.year, usable.basis
    from usable
    group by usable.source, usable.republic_iso3, usable.measure, usable.year, usable.basis
    having count(distinct usable.partner_iso3)
        = case when usable.republic_iso3 = 'RUS' then 1 else 2 end

),

spans as (

    select source, republic_iso3, measure, min(year) as first_year, max(year) as last_year
    from both_partners
    group by source, republic_iso3, measure

),

growth as (

    select * from {{ ref('china_growth') }}

),

per_republic as (

    select
        source,
        republic_iso3,
        measure,
        count(distinct coalesce(first_year, -1)) as n_first_years,
        count(distinct coalesce(last_year, -1)) as n_last_years,
        count(distinct coalesce(first_basis, '-')) as n_first_bases,
        count(distinct coalesce(last_basis, '-')) as n_last_bases
    from growth
    group by source, republic_iso3, measure

),

checked as (

    select
        growth.source,
        growth.republic_iso3,
        growth.partner_iso3,
        growth.measure,
        growth.first_year,
        spans.first_year as recomputed_first_year,
        growth.last_year,
        spans.last_year as recomputed_last_year,
        growth.first_value_usd,
        first_up.value_usd as upstream_first_value_usd,
        growth.last_value_usd,
        last_up.value_usd as upstream_last_value_usd,
        growth.rose,
        growth.fell,
        per_republic.n_first_years + per_republic.n_last_years
            + per_republic.n_first_bases + per_republic.n_last_bases as n_distinct_ends
    from growth
    inner join per_republic
        on per_republic.source = growth.source
        and per_republic.republic_iso3 = growth.republic_iso3
        and per_republic.measure = growth.measure
    left join spans
        on spans.source = growth.source
        and spans.republic_iso3 = growth.republic_iso3
        and spans.measure = growth.measure
    left join usable as first_up
        on first_up.source = growth.source
        and first_up.republic_iso3 = growth.republic_iso3
        and first_up.partner_iso3 = growth.partner_iso3
        and first_up.measure = growth.measure
        and first_up.year = growth.first_year
        and first_up.basis = growth.first_basis
    left join usable as last_up
        on last_up.source = growth.source
        and last_up.republic_iso3 = growth.republic_iso3
        and last_up.partner_iso3 = growth.partner_iso3
        and last_up.measure = growth.measure
        and last_up.year = growth.last_year
        and last_up.basis = growth.last_basis

)

select *
from checked
where n_distinct_ends <> 4
   or first_year is distinct from recomputed_first_year
   or last_year is distinct from recomputed_last_year
   or first_value_usd is distinct from upstream_first_value_usd
   or last_value_usd is distinct from upstream_last_value_usd
   or rose is distinct from case when last_year > first_year
       then upstream_last_value_usd > upstream_first_value_usd end
   or fell is distinct from case when last_year > first_year
       then upstream_last_value_usd < upstream_first_value_usd end
