{#-
    China's against Russia's share, per source x republic x year x measure (export, import, total
    on the preferred trade basis of each trade source - 'comtrade', 'imf'; fdi_inward from
    fdi_shares, source 'imf_dip'), with who leads and since when, within the source's own series.
    landing_ids and vintage are those of the China and Russia rows the shares come from;
    is_synthetic is the source's kind (a series never mixes sources, nor real with synthetic).
    world_is_partial says whether the shares rest on a partial world total: an FDI derived (SCC)
    world sums only the counterparts that report, so a leader named on it is named on a partial
    world and says so (the trade side never uses an incomplete partner-side world: such a row is
    not preferred, its shares are not here). lead_history_on_partial_world says whether the
    series' lead history (first_year_china_led, china_led_continuously_since) rests on any such
    year.
-#}
with

trade_rows as (

    select source, republic_iso3, republic_name, year, flow as measure, partner_iso3, share, basis,
        -- a preferred row is never over an incomplete partner-side world (trade_shares): false
        -- there; the expression keeps the rule if that ever changes
        case
            when basis = 'mirror' then not coalesce(world_is_complete, false)
            when basis is not null then false
        end as world_is_partial,
        landing_ids, vintage, is_synthetic, is_preferred
    from {{ ref('trade_shares') }}

),

spine as (

    -- UN Comtrade and IMF DIP: the years the warehouse holds; IMF goods trade: the years it gives
    select
        case when measure = 'fdi_inward' then 'imf_dip' else 'comtrade' end as source,
        republic_iso3, republic_name, year, measure
    from {{ ref('int_republic_years_spined') }}
    union
    select distinct source, republic_iso3, republic_name, year, measure
    from trade_rows
    where source <> 'comtrade'

),

trade as (

    select source, republic_iso3, year, measure, partner_iso3, share, basis, world_is_partial,
        landing_ids, vintage, is_synthetic
    from trade_rows
    where is_preferred

),

fdi as (

    -- world_is_partial: true on the derived basis, null without a basis (fdi_shares)
    select 'imf_dip' as source, republic_iso3, year, 'fdi_inward' as measure, partner_iso3, share,
        basis, world_is_partial, landing_ids, vintage, is_synthetic
    from {{ ref('fdi_shares') }}

),

source_kinds as (

    -- the kind of each source's rows, for years without a value
    select source, bool_or(is_synthetic) as is_synthetic
    from (select source, is_synthetic from trade_rows union all select source, is_synthetic from fdi)
    group by source

),

shares as (

    select * from trade
    union all
    select * from fdi

),

pivoted as (

    select
        source,
        republic_iso3,
        year,
        measure,
        bool_or(is_synthetic) as is_synthetic,
        max(share) filter (where partner_iso3 = 'CHN') as china_share,
        max(share) filter (where partner_iso3 = 'RUS') as russia_share,
        max(basis) filter (where partner_iso3 = 'CHN') as china_basis,
        max(basis) filter (where partner_iso3 = 'RUS') as russia_basis,
        -- either share over a partial world total: the comparison is on a partial world
        bool_or(world_is_partial) filter (where partner_iso3 in ('CHN', 'RUS')) as world_is_partial,
        list_sort(list_distinct(flatten(list(landing_ids)))) as landing_ids,
        nullif(array_to_string(list_sort(list_distinct(
            flatten(list(string_split(vintage, ', ')))
        )), ', '), '') as vintage
    from shares
    group by source, republic_iso3, year, measure

),

compared as (

    select
        spine.source,
        spine.republic_iso3,
        spine.republic_name,
        spine.year,
        spine.measure,
        pivoted.china_share,
        pivoted.russia_share,
        case
            when pivoted.china_basis is not null and pivoted.russia_basis is not null
                and pivoted.china_basis <> pivoted.russia_basis then 'mixed'
            else coalesce(pivoted.china_basis, pivoted.russia_basis)
        end as basis,
        -- shares within 1e-9 of each other (floating-point noise) are a tie
        case
            when pivoted.china_share is null or pivoted.russia_share is null then null
            when pivoted.china_share - pivoted.russia_share > 1e-9 then 'China'
            when pivoted.russia_share - pivoted.china_share > 1e-9 then 'Russia'
            else 'tie'
        end as leader,
        round((pivoted.china_share - pivoted.russia_share) * 100, 6) as lead_pp,
        pivoted.world_is_partial,
        coalesce(pivoted.landing_ids, []::varchar[]) as landing_ids,
        pivoted.vintage,
        coalesce(pivoted.is_synthetic, source_kinds.is_synthetic, false) as is_synthetic
    from spine
    left join source_kinds on source_kinds.source = spine.source
    left join pivoted
        on pivoted.source = spine.source
        and pivoted.republic_iso3 = spine.republic_iso3
        and pivoted.year = spine.year
        and pivoted.measure = spine.measure

),

with_history as (

    select
        *,
        min(year) filter (where leader = 'China') over (
            partition by source, republic_iso3, measure
        ) as first_year_china_led,
        max(year) filter (where leader in ('Russia', 'tie')) over (
            partition by source, republic_iso3, measure
        ) as last_year_china_did_not_lead,
        max(year) filter (where leader is not null) over (
            partition by source, republic_iso3, measure
        ) as last_year_compared,
        -- the lead history rests on the compared years: does any of them have a partial world?
        bool_or(world_is_partial) filter (where leader is not null) over (
            partition by source, republic_iso3, measure
        ) as lead_history_on_partial_world
    from compared

),

final as (

    select
        source,
        republic_iso3,
        republic_name,
        year,
        measure,
        china_share,
        russia_share,
        basis,
        leader,
        lead_pp,
        world_is_partial,
        first_year_china_led,
        -- start of the uninterrupted run of China-led years that reaches the latest compared year
        case
            when last_year_china_did_not_lead is null
                or last_year_china_did_not_lead < last_year_compared
            then min(year) filter (
                where leader = 'China' and year > coalesce(last_year_china_did_not_lead, -1)
            ) over (partition by source, republic_iso3, measure)
        end as china_led_continuously_since,
        lead_history_on_partial_world,
        vintage,
        is_synthetic,
        landing_ids
    from with_history

)

select * from final
