{#-
    The counts of china_replacing_russia_summary, recomputed from china_replacing_russia: only
    like-for-like spans count - measured (china_replacing_russia not null) and on a complete
    world total at both ends; an FDI span on the derived basis (IMF DIP SCC, a partial world) is
    left out of the counts and counted apart. The sentence states the counts.
-#}
with

recomputed as (

    select
        source,
        measure,
        count(*) filter (where counted) as republics_compared,
        count(*) filter (where counted and china_replacing_russia) as replacing,
        count(*) filter (where counted and china_share_rose) as china_rose,
        count(*) filter (where counted and russia_share_fell) as russia_fell,
        count(*) filter (where counted and china_value_rose) as china_value_rose,
        count(*) filter (where china_replacing_russia is not null and not counted) as left_out
    from (
        select
            *,
            china_replacing_russia is not null
                and not (source = 'imf_dip' and basis = 'derived') as counted
        from {{ ref('china_replacing_russia') }}
    )
    group by source, measure

)

select
    coalesce(summary.source, recomputed.source) as source,
    coalesce(summary.measure, recomputed.measure) as measure,
    summary.republics_compared, recomputed.republics_compared as recomputed_compared,
    summary.republics_china_share_rose_russia_share_fell, recomputed.replacing,
    summary.republics_china_value_rose, recomputed.china_value_rose,
    summary.republics_left_out_partial_world, recomputed.left_out,
    summary.summary
from {{ ref('china_replacing_russia_summary') }} as summary
full outer join recomputed
    on recomputed.source = summary.source
    and recomputed.measure = summary.measure
where summary.source is null
   or recomputed.source is null
   or summary.republics_compared <> recomputed.republics_compared
   or summary.republics_china_share_rose_russia_share_fell <> recomputed.replacing
   or summary.republics_china_share_rose <> recomputed.china_rose
   or summary.republics_russia_share_fell <> recomputed.russia_fell
   or summary.republics_china_value_rose <> recomputed.china_value_rose
   or summary.republics_left_out_partial_world is distinct from recomputed.left_out
   -- the sentence states the counts
   or summary.summary not like ('% fell in ' || recomputed.replacing || ' of '
       || recomputed.republics_compared || ' republics %')
   or summary.summary not like ('% rose in ' || recomputed.china_value_rose || ' of them%')
   or (recomputed.left_out > 0 and summary.summary not like ('%' || recomputed.left_out || ' %partial%'))
