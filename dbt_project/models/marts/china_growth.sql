{#-
    Did China's (and Russia's) trade with and investment in each republic grow? Per source
    ('comtrade' or 'imf' goods trade, 'imf_dip' direct investment) x republic x measure, China
    and Russia are compared like with like within the source: the same first and last year and
    the same basis for both partners (the IMF's preferred rows, basis 'imf'). A comparison never
    mixes sources, nor real with synthetic data.
      - usable value: a partner value on some basis; trade rows whose partner-side world total is
        incomplete (row_status 'world_incomplete', release window) are left out;
      - the span runs from the first to the last year in which both partners have a usable value
        on one and the same basis (for the republic RUS: China alone);
      - the basis: the preferred basis when it is the same in both years and has values for both
        partners in both; otherwise a basis with values for both partners in both years (the last
        year's preferred basis first, then the first year's, then 'reported'); if there is none,
        each year on its own basis ('mixed').
    basis_note says when bases differ or a partner has values outside the common span.
-#}
with

measures as (

    select * from (values
        ('partner_exports_to_republic', 'import'),
        ('partner_imports_from_republic', 'export'),
        ('partner_direct_investment_position', 'fdi_inward')
    ) as m (measure, republic_measure)

),

republics as (

    select republic_iso3, republic_name from {{ ref('republics') }}

),

partners as (

    select partner_iso3, partner_name, short_name from {{ ref('partners') }}
    where not is_world

),

trade as (

    select
        source,
        republic_iso3,
        partner_iso3,
        flow as republic_measure,
        year,
        basis,
        partner_value_usd as value_usd,
        is_preferred,
        partner_value_usd is not null and row_status <> 'world_incomplete' as is_usable,
        landing_ids,
        vintage
    from {{ ref('trade_shares') }}
    where flow in ('export', 'import')
      -- the IMF's two copies (bundled DOTS, live IMTS): the preferred one of each year
      and (source = 'comtrade' or is_preferred)

),

fdi as (

    select
        'imf_dip' as source,
        pivoted.republic_iso3,
        pivoted.partner_iso3,
        'fdi_inward' as republic_measure,
        pivoted.year,
        pivoted.derivation as basis,
        pivoted.partner_position_usd as value_usd,
        pivoted.derivation = chosen.basis as is_preferred,
        pivoted.partner_position_usd is not null as is_usable,
        pivoted.landing_ids,
        pivoted.vintage
    from {{ ref('int_fdi_positions_pivoted') }} as pivoted
    inner join {{ ref('int_fdi_bases_chosen') }} as chosen
        on chosen.republic_iso3 = pivoted.republic_iso3
        and chosen.year = pivoted.year

),

observations as (

    select measures.measure, v.*
    from (select * from trade union all select * from fdi) as v
    inner join measures on measures.republic_measure = v.republic_measure

),

sources as (

    -- the sources per republic measure: UN Comtrade and IMF DIP always, the IMF's goods trade
    -- where the warehouse holds it; and the kind (real or synthetic) of each source's rows
    select source, republic_measure, bool_or(is_synthetic) as is_synthetic
    from (
        select * from (values
            ('comtrade', 'export', cast(null as boolean)),
            ('comtrade', 'import', cast(null as boolean)),
            ('imf_dip', 'fdi_inward', cast(null as boolean))
        ) as v (source, republic_measure, is_synthetic)
        union all
        select source, flow, is_synthetic from {{ ref('trade_shares') }}
        where flow in ('export', 'import')
        union all
        select source, 'fdi_inward', is_synthetic from {{ ref('fdi_shares') }}
    )
    group by source, republic_measure

),

partners_expected as (

    -- how many partners a republic is compared on: 2, or 1 (China) for the republic RUS
    select republics.republic_iso3, count(partners.partner_iso3) as n_partners
    from republics
    inner join partners on partners.partner_iso3 <> republics.republic_iso3
    group by republics.republic_iso3

),

year_bases as (

    -- the years and bases on which every partner of the republic has a usable value
    select o.source, o.republic_iso3, o.measure, o.year, o.basis
    from observations as o
    inner join partners_expected as pe on pe.republic_iso3 = o.republic_iso3
    where o.is_usable
    group by o.source, o.republic_iso3, o.measure, o.year, o.basis, pe.n_partners
    having count(distinct o.partner_iso3) = pe.n_partners

),

year_preferred as (

    -- the preferred basis of a year, when the partners share it
    select
        source,
        republic_iso3,
        measure,
        year,
        case when count(distinct basis) = 1 then min(basis) end as preferred_basis
    from observations
    where is_preferred
    group by source, republic_iso3, measure, year

),

span as (

    select
        source,
        republic_iso3,
        measure,
        min(year) as first_year,
        max(year) as last_year
    from year_bases
    group by source, republic_iso3, measure

),

ends as (

    select
        span.*,
        first_pref.preferred_basis as first_preferred_basis,
        last_pref.preferred_basis as last_preferred_basis,
        (select list(b.basis order by b.basis desc) from year_bases as b
         where b.source = span.source and b.republic_iso3 = span.republic_iso3
           and b.measure = span.measure and b.year = span.first_year) as first_year_bases,
        (select list(b.basis order by b.basis desc) from year_bases as b
         where b.source = span.source and b.republic_iso3 = span.republic_iso3
           and b.measure = span.measure and b.year = span.last_year) as last_year_bases
    from span
    left join year_preferred as first_pref
        on first_pref.source = span.source
        and first_pref.republic_iso3 = span.republic_iso3
        and first_pref.measure = span.measure
        and first_pref.year = span.first_year
    left join year_preferred as last_pref
        on last_pref.source = span.source
        and last_pref.republic_iso3 = span.republic_iso3
        and last_pref.measure = span.measure
        and last_pref.year = span.last_year

),

bases_used as (

    select
        *,
        list_intersect(first_year_bases, last_year_bases) as common_bases,
        case
            when first_preferred_basis = last_preferred_basis
                and list_contains(list_intersect(first_year_bases, last_year_bases), first_preferred_basis)
                then first_preferred_basis
            when list_contains(list_intersect(first_year_bases, last_year_bases), last_preferred_basis)
                then last_preferred_basis
            when list_contains(list_intersect(first_year_bases, last_year_bases), first_preferred_basis)
                then first_preferred_basis
            -- bases sort descending: 'reported' before 'mirror' / 'derived'
            else list_sort(list_intersect(first_year_bases, last_year_bases), 'DESC')[1]
        end as common_basis
    from ends

),

chosen_bases as (

    select
        *,
        coalesce(
            common_basis,
            case when list_contains(first_year_bases, first_preferred_basis)
                then first_preferred_basis else first_year_bases[1] end
        ) as first_basis,
        coalesce(
            common_basis,
            case when list_contains(last_year_bases, last_preferred_basis)
                then last_preferred_basis else last_year_bases[1] end
        ) as last_basis
    from bases_used

),

partner_spans as (

    -- each partner's own span of usable values (any basis), to say when it is wider
    select source, republic_iso3, measure, partner_iso3, min(year) as own_first_year, max(year) as own_last_year
    from observations
    where is_usable
    group by source, republic_iso3, measure, partner_iso3

),

grid as (

    select
        sources.source,
        coalesce(sources.is_synthetic, false) as is_synthetic,
        republics.republic_iso3,
        republics.republic_name,
        partners.partner_iso3,
        partners.partner_name,
        partners.short_name as partner_short_name,
        measures.measure
    from republics
    cross join partners
    cross join measures
    inner join sources on sources.republic_measure = measures.republic_measure
    where partners.partner_iso3 <> republics.republic_iso3

),

valued as (

    select
        grid.*,
        c.first_year,
        c.last_year,
        c.first_preferred_basis,
        c.last_preferred_basis,
        c.common_basis,
        c.first_basis,
        c.last_basis,
        first_obs.value_usd as first_value_usd,
        last_obs.value_usd as last_value_usd,
        list_sort(list_distinct(flatten(list_filter(
            [first_obs.landing_ids, last_obs.landing_ids], x -> x is not null
        )))) as landing_ids,
        nullif(array_to_string(list_sort(list_distinct(flatten(list_filter(
            [string_split(first_obs.vintage, ', '), string_split(last_obs.vintage, ', ')],
            x -> x is not null
        )))), ', '), '') as vintage,
        -- partners whose own usable values reach outside the common span
        (select string_agg(
                    p.short_name || ' has usable values from ' || ps.own_first_year || ' to ' || ps.own_last_year,
                    ', ' order by p.partner_iso3)
         from partner_spans as ps
         inner join partners as p on p.partner_iso3 = ps.partner_iso3
         where ps.source = grid.source and ps.republic_iso3 = grid.republic_iso3
           and ps.measure = grid.measure
           and (c.first_year is null
                or ps.own_first_year < c.first_year or ps.own_last_year > c.last_year)
        ) as wider_partner_spans
    from grid
    left join chosen_bases as c
        on c.source = grid.source
        and c.republic_iso3 = grid.republic_iso3
        and c.measure = grid.measure
    left join observations as first_obs
        on first_obs.source = grid.source
        and first_obs.republic_iso3 = grid.republic_iso3
        and first_obs.partner_iso3 = grid.partner_iso3
        and first_obs.measure = grid.measure
        and first_obs.year = c.first_year
        and first_obs.basis = c.first_basis
    left join observations as last_obs
        on last_obs.source = grid.source
        and last_obs.republic_iso3 = grid.republic_iso3
        and last_obs.partner_iso3 = grid.partner_iso3
        and last_obs.measure = grid.measure
        and last_obs.year = c.last_year
        and last_obs.basis = c.last_basis

),

final as (

    select
        source,
        republic_iso3,
        republic_name,
        partner_iso3,
        partner_name,
        measure,
        first_year,
        last_year,
        first_value_usd,
        last_value_usd,
        case when last_year > first_year then last_value_usd - first_value_usd end as change_usd,
        case when last_year > first_year then last_value_usd > first_value_usd end as rose,
        case when last_year > first_year then last_value_usd < first_value_usd end as fell,
        case
            when first_year is null then null
            when common_basis is not null then common_basis
            else 'mixed'
        end as basis,
        first_basis,
        last_basis,
        nullif(concat_ws('; ',
            case when republic_iso3 = 'RUS' then 'the republic is Russia: China alone' end,
            case
                when first_year is null and republic_iso3 = 'RUS' then 'no usable value in the range'
                when first_year is null then 'no year in which China and Russia both have a usable value on one basis'
                when first_year = last_year then 'a single year with values for both partners: no change measured'
            end,
            case when wider_partner_spans is not null then
                'span limited to the years in which both partners have a usable value (' || wider_partner_spans || ')'
            end,
            case
                when first_year is null or first_year = last_year then null
                when common_basis is null then
                    'no single basis has values for both partners in both years: first year on ' || first_basis
                    || ', last year on ' || last_basis || ' - the change mixes bases'
                when first_preferred_basis is not distinct from last_preferred_basis
                    and common_basis = first_preferred_basis then null
                when first_preferred_basis is distinct from last_preferred_basis then
                    'preferred basis differs between the years (first: ' || coalesce(first_preferred_basis, 'none')
                    || ', last: ' || coalesce(last_preferred_basis, 'none') || '); ' || common_basis
                    || ' used for both years so that the change is on one basis'
                else
                    'the preferred basis (' || coalesce(first_preferred_basis, 'none')
                    || ') lacks a value for both partners in the first or last year; ' || common_basis
                    || ' used for both years so that the change is on one basis'
            end
        ), '') as basis_note,
        vintage,
        is_synthetic,
        landing_ids
    from valued

)

select * from final
