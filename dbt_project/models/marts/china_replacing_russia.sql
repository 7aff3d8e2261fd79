{#-
    The claim on shares: is China replacing Russia? Per republic x measure (the republic's
    exports, imports, total trade, inward direct investment), China's and Russia's shares at the
    two ends of one like-for-like span:
      - a year counts where both shares are known on the same basis (trade: trade_shares rows with
        row_status 'ok' for China and Russia - a share no side declares, or over an incomplete
        partner-side world total, never counts; FDI: both positions and a positive world
        position of the same derivation);
      - the basis: the one with the most such years (the republic's own report first on a tie),
        so both ends are on it;
      - the span: its first to its last such year.
    china_replacing_russia = China's share rose and Russia's fell over it. Nominal growth (US
    dollars, which rise with prices alone) is kept beside it, over the same span and basis.
-#}
with

republics as (

    select republic_iso3, republic_name from {{ ref('republics') }}

),

measures as (

    select * from (values ('export'), ('import'), ('total'), ('fdi_inward')) as m (measure)

),

trade as (

    select
        republic_iso3,
        flow as measure,
        basis,
        year,
        max(share) filter (where partner_iso3 = 'CHN') as china_share,
        max(share) filter (where partner_iso3 = 'RUS') as russia_share,
        max(partner_value_usd) filter (where partner_iso3 = 'CHN') as china_value_usd,
        max(partner_value_usd) filter (where partner_iso3 = 'RUS') as russia_value_usd,
        list_sort(list_distinct(flatten(list(landing_ids)))) as landing_ids,
        nullif(array_to_string(list_sort(list_distinct(
            flatten(list(string_split(vintage, ', ')))
        )), ', '), '') as vintage
    from {{ ref('trade_shares') }}
    where row_status = 'ok'
    group by republic_iso3, flow, basis, year
    having count(*) filter (where partner_iso3 in ('CHN', 'RUS')) = 2

),

fdi as (

    select
        republic_iso3,
        'fdi_inward' as measure,
        derivation as basis,
        year,
        max(partner_position_usd / world_position_usd) filter (where partner_iso3 = 'CHN') as china_share,
        max(partner_position_usd / world_position_usd) filter (where partner_iso3 = 'RUS') as russia_share,
        max(partner_position_usd) filter (where partner_iso3 = 'CHN') as china_value_usd,
        max(partner_position_usd) filter (where partner_iso3 = 'RUS') as russia_value_usd,
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

    -- the basis with the most years in which both shares are known
    select
        republic_iso3,
        measure,
        arg_max(basis, [years, case basis when 'reported' then 1 else 0 end]) as basis
    from (
        select republic_iso3, measure, basis, count(*) as years
        from known
        group by republic_iso3, measure, basis
    ) as per_basis
    group by republic_iso3, measure

),

span as (

    select
        known.republic_iso3,
        known.measure,
        known.basis,
        min(known.year) as first_year,
        max(known.year) as last_year,
        count(*) as years_known
    from known
    inner join bases
        on bases.republic_iso3 = known.republic_iso3
        and bases.measure = known.measure
        and bases.basis = known.basis
    group by known.republic_iso3, known.measure, known.basis

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
        list_sort(list_distinct(flatten([first_k.landing_ids, last_k.landing_ids]))) as landing_ids,
        nullif(array_to_string(list_sort(list_distinct(flatten([
            coalesce(string_split(first_k.vintage, ', '), []), coalesce(string_split(last_k.vintage, ', '), [])
        ]))), ', '), '') as vintage
    from span
    inner join known as first_k
        on first_k.republic_iso3 = span.republic_iso3
        and first_k.measure = span.measure
        and first_k.basis = span.basis
        and first_k.year = span.first_year
    inner join known as last_k
        on last_k.republic_iso3 = span.republic_iso3
        and last_k.measure = span.measure
        and last_k.basis = span.basis
        and last_k.year = span.last_year

),

grid as (

    select republics.republic_iso3, republics.republic_name, measures.measure
    from republics
    cross join measures

),

final as (

    select
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
        case
            when grid.republic_iso3 = 'RUS' then 'the republic is Russia: no Russian share to compare'
            when ends.first_year is null then 'no year in which China''s and Russia''s shares are both known on one basis'
            when ends.first_year = ends.last_year then 'a single year with both shares known: no change measured'
        end as note,
        ends.vintage,
        coalesce(ends.landing_ids, []::varchar[]) as landing_ids
    from grid
    left join ends
        on ends.republic_iso3 = grid.republic_iso3
        and ends.measure = grid.measure

)

select * from final
