{#-
    The claim, counted: per source x measure (a count never mixes sources, nor real with
    synthetic data), in how many republics China's share rose and Russia's fell,
    each republic over its one like-for-like span (china_replacing_russia); nominal growth of
    China's values over the same spans as a second column. Only like-for-like spans count
    (counted_in_claim): a span with a partial world total at either end (FDI derived from
    counterpart reports) is left out of the counts, counted apart in
    republics_left_out_partial_world, and the sentence says so.
-#}
with

replacing as (

    select * from {{ ref('china_replacing_russia') }}

),

counted as (

    select
        source,
        measure,
        bool_or(is_synthetic) as is_synthetic,
        count(*) filter (where counted_in_claim) as republics_compared,
        count(*) filter (where counted_in_claim and china_replacing_russia)
            as republics_china_share_rose_russia_share_fell,
        count(*) filter (where counted_in_claim and china_share_rose) as republics_china_share_rose,
        count(*) filter (where counted_in_claim and russia_share_fell) as republics_russia_share_fell,
        count(*) filter (where counted_in_claim and china_value_rose) as republics_china_value_rose,
        count(*) filter (where china_replacing_russia is not null and not counted_in_claim)
            as republics_left_out_partial_world,
        list_sort(list_distinct(flatten(
            list(landing_ids) filter (where china_replacing_russia is not null)
        ))) as landing_ids,
        nullif(array_to_string(list_sort(list_distinct(flatten(
            list(string_split(vintage, ', ')) filter (where china_replacing_russia is not null)
        ))), ', '), '') as vintage
    from replacing
    group by source, measure

),

final as (

    select
        source,
        measure,
        republics_compared,
        republics_china_share_rose_russia_share_fell,
        republics_china_share_rose,
        republics_russia_share_fell,
        republics_china_value_rose,
        republics_left_out_partial_world,
        case when is_synthetic then 'SYNTHETIC DEMO DATA - ' else '' end
        || case source
            when 'imf' then 'IMF goods trade: '
            when 'comtrade' then 'UN Comtrade: '
            when 'imf_dip' then 'IMF direct investment: '
            else source || ': '
        end
        || 'China''s share of the republics'' '
        || case measure
            when 'export' then 'exports'
            when 'import' then 'imports'
            when 'total' then 'trade'
            else 'inward direct investment'
        end
        || ' rose and Russia''s fell in ' || republics_china_share_rose_russia_share_fell || ' of '
        || republics_compared || ' republics (each over one span with both shares known on one basis'
        || ' at both ends); in nominal US dollars China''s value rose in ' || republics_china_value_rose
        || ' of them'
        || case when republics_left_out_partial_world > 0 then
            '; ' || republics_left_out_partial_world || ' more '
            || case when republics_left_out_partial_world = 1 then 'republic' else 'republics' end
            || ' left out: the world total at an end of the span is partial (derived from'
            || ' counterpart reports), not like for like'
        else '' end as summary,
        vintage,
        is_synthetic,
        coalesce(landing_ids, []::varchar[]) as landing_ids
    from counted

)

select * from final
