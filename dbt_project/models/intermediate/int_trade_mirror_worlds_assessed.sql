{#-
    Is each partner-side (mirror) world total complete? One row per republic x year x flow
    (export, import, total) that has a mirror world total.
    A mirror world sums the declarations of the partners that have reported so far; in the most
    recent years few have, so a share computed over them is inflated. Rule: a world total of a
    flow is complete when its reporter_count >= mirror_min_reporter_ratio x the usual count, the
    median reporter_count of the same republic and flow over the years OUTSIDE the release window
    (over all years of the range if none is outside it). Total trade is complete when both flows
    are; its counts are those of the weaker flow (lowest count relative to its usual count).
-#}
with

worlds as (

    select
        republic_iso3,
        year,
        flow,
        reporter_count,
        year >= {{ release_window_start() }} as is_release_lag
    from {{ ref('int_trade_values_mirrored') }}
    where partner_iso3 = 'WLD'

),

usual as (

    select
        republic_iso3,
        flow,
        coalesce(
            median(reporter_count) filter (where not is_release_lag),
            median(reporter_count)
        ) as usual_reporter_count,
        count(*) filter (where not is_release_lag) > 0 as usual_from_years_outside_window
    from worlds
    group by republic_iso3, flow

),

by_flow as (

    select
        worlds.republic_iso3,
        worlds.year,
        worlds.flow,
        worlds.flow as weaker_flow,
        worlds.reporter_count,
        usual.usual_reporter_count,
        usual.usual_from_years_outside_window,
        worlds.reporter_count
            >= {{ var('mirror_min_reporter_ratio') }} * usual.usual_reporter_count as is_complete,
        worlds.is_release_lag
    from worlds
    inner join usual
        on usual.republic_iso3 = worlds.republic_iso3
        and usual.flow = worlds.flow

),

totals as (

    -- both flows must be complete; report the counts of the flow furthest below its usual count
    select
        republic_iso3,
        year,
        'total' as flow,
        arg_min(flow, [reporter_count / usual_reporter_count, case flow when 'export' then 0 else 1 end])
            as weaker_flow,
        arg_min(reporter_count, [reporter_count / usual_reporter_count, case flow when 'export' then 0 else 1 end])
            as reporter_count,
        arg_min(usual_reporter_count, [reporter_count / usual_reporter_count, case flow when 'export' then 0 else 1 end])
            as usual_reporter_count,
        bool_and(usual_from_years_outside_window) as usual_from_years_outside_window,
        bool_and(is_complete) as is_complete,
        bool_and(is_release_lag) as is_release_lag
    from by_flow
    group by republic_iso3, year
    having count(*) = 2

),

unioned as (

    select * from by_flow
    union all
    select * from totals

),

final as (

    select
        republic_iso3,
        year,
        flow,
        reporter_count,
        usual_reporter_count,
        usual_from_years_outside_window,
        weaker_flow,
        is_complete,
        is_release_lag,
        -- "14 partner reporters so far against a usual 32" (for total: of the weaker flow)
        case when flow = 'total' then weaker_flow || 's: ' else '' end
        || reporter_count || case when reporter_count = 1 then ' partner reporter' else ' partner reporters' end
        || ' so far against a usual '
        || printf('%g', usual_reporter_count) as reporter_count_text
    from unioned

)

select * from final
