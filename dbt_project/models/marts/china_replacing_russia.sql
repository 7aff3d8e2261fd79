{#-
    The claim on shares: is China replacing Russia? Per source x republic x measure (the
    republic's exports, imports, total trade from UN Comtrade ('comtrade') or from the IMF
    ('imf'); inward direct investment from the IMF DIP ('imf_dip')), China's and Russia's shares
    at the two ends of one like-for-like span within that source - a claim never mixes sources,
    nor real with synthetic data:
      - a year counts where both shares are known on the same basis (trade: trade_shares rows with
        row_status 'ok' - for the IMF its preferred rows, basis 'imf' -
        row_status 'ok' for China and Russia - a share no side declares, or over an incomplete
        partner-side world total, never counts; FDI: both positions and a positive world
        position of the same derivation);
      - the basis: one on a complete world total that gives a span (two years or more) first -
        an FDI derived (SCC) world total sums only the counterparts that report, so it is
        partial, and the set of reporters can change between the two ends; then the one with
        the most such years (the republic's own report first on a tie), so both ends are on it;
      - the span: its first to its last such year.
    china_replacing_russia = China's share rose and Russia's fell over it. Nominal growth (US
    dollars, which rise with prices alone) is kept beside it, over the same span and basis.
    world_is_partial_first / _last say whether an end's world total is partial (FDI derived); a
    span with a partial end is not like for like: its result stays in the row, flagged and
    explained in note, and counted_in_claim is false, so that the summary leaves it out of the
    count (and counts it apart).
-#}
with

republics as (

    select republic_iso3, republic_name from {{ ref('republics') }}

),

measures as (

    -- UN Comtrade and IMF DIP always; IMF goods trade where the warehouse holds it
    select * from (values
        ('comtrade', 'export'), ('comtrade', 'import'), ('comtrade', 'total'),
        ('imf_dip', 'fdi_inward')
    ) as m (source, measure)
    union
    select distinct source, flow as measure from {{ ref('trade_shares') }}

),

source_kinds as (

    select source, bool_or(is_synthetic) as is_synthetic
    from (
        select source, is_synthetic from {{ ref('trade_shares') }}
        union all
        select source, is_synthetic from {{ ref('fdi_shares') }}
    )
    group by source

),

trade as (

    select
        source,
        republic_iso3,
        flow as measure,
        basis,
        year,
        max(share) filter (where partner_iso3 = 'CHN') as china_share,
        max(share) filter (where partner_iso3 = 'RUS') as russia_share,
        max(partner_value_usd) filter (where partner_iso3 = 'CHN') as china_value_usd,
        max(partner_value_usd) filter (where partner_iso3 = 'RUS') as russia_value_usd,
        -- an 'ok' row is never over an incomplete partner-side world total
        false as world_is_partial,
        list_sort(list_distinct(flatten(list(landing_ids)))) as landing_ids,
        nullif(array_to_string(list_sort(list_distinct(
            flatten(list(string_split(vintage, ', ')))
        )), ', '), '') as vintage
    from {{ ref('trade_shares') }}
    where row_status = 'ok'
      -- the IMF's two copies (bundled DOTS, live IMTS): the preferred one of each year
      and (source = 'comtrade' or is_preferred)
    group by source, republic_iso3, flow, basis, year
    having count(*) filter (where partner_iso3 in ('CHN', 'RUS')) = 2

),

fdi as (

    select
        'imf_dip' as source,
        republic_iso3,
        'fdi_inward' as measure,
        derivation as basis,
        year,
        max(partner_position_usd / world_position_usd) filter (where partner_iso3 = 'CHN') as china_share,
        max(partner_position_usd / world_position_usd) filter (where partner_iso3 = 'RUS') as russia_share,
        max(partner_position_usd) filter (where partner_iso3 = 'CHN') as china_value_usd,
        max(partner_position_usd) filter (where partner_iso3 = 'RUS') as russia_value_usd,
        -- a derived (SCC) world total sums only the counterparts that report: partial
        derivation = 'derived' as world_is_partial,
        list_sort(list_distinct(flatten(list(landing_ids)))) as landing_ids,
        nullif(array_to_string(list_sort(list_distinct(
            flatten(list(string_split(vintage, ', ')))
        )), ', '), '') as vintage
    from {{ ref('int_fdi_positions_pivoted') }}
    where world_position_usd > 0
      and not world_is_confidential
      and partner_position_usd is not null
    group by republic_iso3, derivation, year
    having count(*) filter (where partner_iso3 in ('CHN', 'RUS')) = 2

),

known as (

    select * from trade
    union all
    select * from fdi

),

bases as (

    -- a basis on a complete world total that gives a span first; then the one with the most
    -- years in which both shares are known; the republic's own report first on a tie
    select
        source,
        republic_iso3,
        measure,
        arg_max(basis, [
            case when not partial and years > 1 then 1 else 0 end,
            years,
            case basis when 'reported' then 1 else 0 end
        ]) as basis
    from (
        select source, republic_iso3, measure, basis, bool_or(world_is_partial) as partial,
            count(*) as years
        from known
        group by source, republic_iso3, measure, basis
    ) as per_basis
    group by source, republic_iso3, measure

),

span as (

    select
        known.source,
        known.republic_iso3,
        known.measure,
        known.basis,
        min(known.year) as first_year,
        max(known.year) as last_year,
        count(*) as years_known
    from known
    inner join bases
        on bases.source = known.source
        and bases.republic_iso3 = known.republic_iso3
        and bases.measure = known.measure
        and bases.basis = known.basis
    group by known.source, known.republic_iso3, known.measure, known.basis

),

ends as (

    select
        span.*,
        first_k.china_share as china_share_first,
        last_k.china_share as china_share_last,
        first_k.russia_share as russia_share_first,
        last_k.russia_share as russia_share_last,
        first_k.china_value_usd as china_value_first_usd,
        last_k.china_value_usd as china_value_last_usd,
        first_k.russia_value_usd as russia_value_first_usd,
        last_k.russia_value_usd as russia_value_last_usd,
        first_k.world_is_partial as world_is_partial_first,
        last_k.world_is_partial as world_is_partial_last,
        list_sort(list_distinct(flatten([first_k.landing_ids, last_k.landing_ids]))) as landing_ids,
        nullif(array_to_string(list_sort(list_distinct(flatten([
            coalesce(string_split(first_k.vintage, ', '), []), coalesce(string_split(last_k.vintage, ', '), [])
        ]))), ', '), '') as vintage
    from span
    inner join known as first_k
        on first_k.source = span.source
        and first_k.republic_iso3 = span.republic_iso3
        and first_k.measure = span.measure
        and first_k.basis = span.basis
        and first_k.year = span.first_year
    inner join known as last_k
        on last_k.source = span.source
        and last_k.republic_iso3 = span.republic_iso3
        and last_k.measure = span.measure
        and last_k.basis = span.basis
        and last_k.year = span.last_year

),

grid as (

    select measures.source, republics.republic_iso3, republics.republic_name, measures.measure
    from republics
    cross join measures

),

final as (

    select
        grid.source,
        grid.republic_iso3,
        grid.republic_name,
        grid.measure,
        ends.basis,
        ends.first_year,
        ends.last_year,
        ends.years_known,
        ends.china_share_first,
        ends.china_share_last,
        ends.russia_share_first,
        ends.russia_share_last,
        case when ends.last_year > ends.first_year
            then round((ends.china_share_last - ends.china_share_first) * 100, 6) end
            as china_share_change_pp,
        case when ends.last_year > ends.first_year
            then round((ends.russia_share_last - ends.russia_share_first) * 100, 6) end
            as russia_share_change_pp,
        -- changes within 1e-9 (floating-point noise) are no change
        case when ends.last_year > ends.first_year
            then ends.china_share_last - ends.china_share_first > 1e-9 end as china_share_rose,
        case when ends.last_year > ends.first_year
            then ends.russia_share_first - ends.russia_share_last > 1e-9 end as russia_share_fell,
        case when ends.last_year > ends.first_year
            then ends.china_share_last - ends.china_share_first > 1e-9
                and ends.russia_share_first - ends.russia_share_last > 1e-9
        end as china_replacing_russia,
        ends.china_value_first_usd,
        ends.china_value_last_usd,
        case when ends.last_year > ends.first_year
            then ends.china_value_last_usd > ends.china_value_first_usd end as china_value_rose,
        ends.russia_value_first_usd,
        ends.russia_value_last_usd,
        case when ends.last_year > ends.first_year
            then ends.russia_value_last_usd < ends.russia_value_first_usd end as russia_value_fell,
        ends.world_is_partial_first,
        ends.world_is_partial_last,
        -- the claim counts only like-for-like spans: measured, on a complete world at both ends
        coalesce(
            ends.last_year > ends.first_year
            and not ends.world_is_partial_first and not ends.world_is_partial_last,
            false
        ) as counted_in_claim,
        case
            when grid.republic_iso3 = 'RUS' then 'the republic is Russia: no Russian share to compare'
            when ends.first_year is null then 'no year in which China''s and Russia''s shares are both known on one basis'
            when ends.first_year = ends.last_year then 'a single year with both shares known: no change measured'
            when ends.world_is_partial_first or ends.world_is_partial_last then
                'the world total is partial at '
                || case
                    when ends.world_is_partial_first and ends.world_is_partial_last then 'both ends'
                    when ends.world_is_partial_first then 'the first end'
                    else 'the last end'
                end
                || ' (IMF DIP derived from counterpart reports: a sum of the counterparts that'
                || ' report, which can change between years): the shares are not like for like,'
                || ' so the span is left out of the summary''s count'
        end as note,
        ends.vintage,
        coalesce(source_kinds.is_synthetic, false) as is_synthetic,
        coalesce(ends.landing_ids, []::varchar[]) as landing_ids
    from grid
    left join source_kinds on source_kinds.source = grid.source
    left join ends
        on ends.source = grid.source
        and ends.republic_iso3 = grid.republic_iso3
        and ends.measure = grid.measure

)

select * from final
