{#-
    Is each partner-side (mirror) world total complete? One row per republic x year x flow
    (export, import, total) that has a mirror world total. A mirror world sums the declarations
    of the partners that have reported; a share computed over a world that lacks partners is
    inflated. Two rules, both must hold:
      1. count: reporter_count >= mirror_min_reporter_ratio x the usual count, the median
         reporter_count of the republic and flow over the years held OUTSIDE the release window
         (over all years held if none is outside it) - partners still to report in recent years;
      2. major partners: no reporter that usually makes up at least mirror_major_reporter_min_share
         of the world total (median of its share over the same baseline years, a year without its
         declaration counting 0) is missing - e.g. Russia, silent in UN Comtrade from 2022, in
         Turkmenistan's partner-side imports;
         and no measured partner (mirror_measured_reporter_codes: China, Russia - the partners whose
         shares the warehouse gives) that usually declares trade with the republic (it declared in
         at least mirror_measured_reporter_min_year_ratio of the baseline years) is missing,
         however small its usual share: without it the world lacks one of the two shares measured
         - e.g. Russia in Turkmenistan's partner-side exports from 2022 (below the major-partner
         threshold in the demo snapshot).
      Both kinds of missing partner are named in missing_major_reporters.
    The baseline is taken over every year held, never over the years a run asked for, so a run for
    one year judges it against the same usual count and partners as a full run.
    Total trade is complete when both flows are; its counts are those of the weaker flow (lowest
    count relative to its usual count) and its missing partners those of either flow.
-#}
with

worlds as (

    select
        republic_iso3,
        year,
        flow,
        value_usd as world_value_usd,
        reporter_count,
        year >= {{ release_window_start() }} as is_release_lag
    from {{ ref('int_trade_values_mirrored') }}
    where partner_iso3 = 'WLD'

),

declarations as (

    select republic_iso3, year, flow, reporter_code, reporter_name, value_usd
    from {{ ref('int_mirror_declarations_converted') }}

),

reporter_years as (

    select reporter_code, year, release_status
    from {{ ref('int_reporter_years_assessed') }}

),

baseline_years as (

    -- the years outside the release window, or all years where there are none outside it
    select *
    from worlds
    qualify not is_release_lag
        or count(*) filter (where not is_release_lag) over (partition by republic_iso3, flow) = 0

),

usual as (

    select
        republic_iso3,
        flow,
        median(reporter_count) as usual_reporter_count,
        bool_and(not is_release_lag) as usual_from_years_outside_window
    from baseline_years
    group by republic_iso3, flow

),

usual_reporters as (

    -- each reporter's usual share of the world total: the median over the baseline years, a
    -- year without its declaration counting 0
    select
        baseline_years.republic_iso3,
        baseline_years.flow,
        candidates.reporter_code,
        candidates.reporter_name,
        median(coalesce(declarations.value_usd / nullif(baseline_years.world_value_usd, 0), 0))
            as usual_share,
        -- in how many of the baseline years it declared trade with the republic, of how many
        count(declarations.reporter_code) as declared_year_count,
        count(*) as baseline_year_count
    from baseline_years
    inner join (
        select distinct d.republic_iso3, d.flow, d.reporter_code, d.reporter_name
        from declarations as d
        inner join baseline_years as b
            on b.republic_iso3 = d.republic_iso3 and b.flow = d.flow and b.year = d.year
    ) as candidates
        on candidates.republic_iso3 = baseline_years.republic_iso3
        and candidates.flow = baseline_years.flow
    left join declarations
        on declarations.republic_iso3 = baseline_years.republic_iso3
        and declarations.flow = baseline_years.flow
        and declarations.year = baseline_years.year
        and declarations.reporter_code = candidates.reporter_code
    group by all

),

usual_missing_candidates as (

    -- the partners whose absence makes a world incomplete: the major ones, and the measured ones
    -- (China, Russia) wherever they usually declare trade with the republic
    select
        *,
        usual_share < {{ var('mirror_major_reporter_min_share') }} as is_minor_measured
    from usual_reporters
    where usual_share >= {{ var('mirror_major_reporter_min_share') }}
    {%- set measured = var('mirror_measured_reporter_codes') %}
    {%- if measured | length > 0 %}
        or (
            reporter_code in ({{ measured | join(', ') }})
            and declared_year_count
                >= {{ var('mirror_measured_reporter_min_year_ratio') }} * baseline_year_count
        )
    {%- endif %}

),

missing_majors as (

    -- major or measured partners without a declaration in a year that has a world total
    select
        worlds.republic_iso3,
        worlds.year,
        worlds.flow,
        usual_reporters.reporter_code,
        usual_reporters.reporter_name,
        usual_reporters.usual_share,
        usual_reporters.is_minor_measured,
        coalesce(reporter_years.release_status, 'unknown') as release_status
    from worlds
    inner join usual_missing_candidates as usual_reporters
        on usual_reporters.republic_iso3 = worlds.republic_iso3
        and usual_reporters.flow = worlds.flow
    left join declarations
        on declarations.republic_iso3 = worlds.republic_iso3
        and declarations.year = worlds.year
        and declarations.flow = worlds.flow
        and declarations.reporter_code = usual_reporters.reporter_code
    left join reporter_years
        on reporter_years.reporter_code = usual_reporters.reporter_code
        and reporter_years.year = worlds.year
    where declarations.reporter_code is null

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
            >= {{ var('mirror_min_reporter_ratio') }} * usual.usual_reporter_count as is_count_complete,
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
        bool_and(is_count_complete) as is_count_complete,
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

missing_per_world as (

    -- for total: the major partners missing from either flow, each once (its larger usual share)
    select
        republic_iso3,
        year,
        flow,
        list_sort(list(reporter_code)) as missing_major_reporter_codes,
        string_agg(
            reporter_name || ' (usually ' || cast(round(usual_share * 100) as integer)
            || '% of it' || case when is_minor_measured then ', a partner whose share is measured' else '' end
            || '; ' || case release_status
                when 'not released' then 'not released to UN Comtrade for this year'
                when 'released' then 'released to UN Comtrade, but no declaration with the republic landed'
                else 'no availability record for this year'
            end || ')',
            '; ' order by usual_share desc, reporter_code
        ) as missing_major_reporters,
        bool_and(release_status = 'not released') as missing_majors_not_released
    from (
        select
            unioned.republic_iso3,
            unioned.year,
            unioned.flow,
            m.reporter_code,
            any_value(m.reporter_name) as reporter_name,
            max(m.usual_share) as usual_share,
            bool_and(m.is_minor_measured) as is_minor_measured,
            any_value(m.release_status) as release_status
        from unioned
        inner join missing_majors as m
            on m.republic_iso3 = unioned.republic_iso3
            and m.year = unioned.year
            and (m.flow = unioned.flow or unioned.flow = 'total')
        group by unioned.republic_iso3, unioned.year, unioned.flow, m.reporter_code
    ) as per_reporter
    group by republic_iso3, year, flow

),

final as (

    select
        unioned.republic_iso3,
        unioned.year,
        unioned.flow,
        unioned.reporter_count,
        unioned.usual_reporter_count,
        unioned.usual_from_years_outside_window,
        unioned.weaker_flow,
        unioned.is_count_complete and missing.republic_iso3 is null as is_complete,
        unioned.is_count_complete,
        missing.republic_iso3 is not null as lacks_major_reporter,
        coalesce(missing.missing_major_reporter_codes, []::integer[]) as missing_major_reporter_codes,
        missing.missing_major_reporters,
        -- the world is incomplete only because major partners did not release the year: a
        -- pattern of the source, not of the extraction
        coalesce(unioned.is_count_complete and missing.missing_majors_not_released, false)
            as is_incomplete_by_source,
        unioned.is_release_lag,
        -- "14 partner reporters so far against a usual 32" (for total: of the weaker flow)
        case when unioned.flow = 'total' then unioned.weaker_flow || 's: ' else '' end
        || unioned.reporter_count
        || case when unioned.reporter_count = 1 then ' partner reporter' else ' partner reporters' end
        || ' so far against a usual '
        || printf('%g', unioned.usual_reporter_count) as reporter_count_text,
        -- why it is incomplete, in words
        nullif(concat_ws('; ',
            case when not unioned.is_count_complete then
                case when unioned.flow = 'total' then unioned.weaker_flow || 's: ' else '' end
                || unioned.reporter_count
                || case when unioned.reporter_count = 1 then ' partner reporter' else ' partner reporters' end
                || ' so far against a usual ' || printf('%g', unioned.usual_reporter_count)
                || ' (complete from ' || printf('%g', cast({{ var('mirror_min_reporter_ratio') }} * 100 as double))
                || '% of it)'
            end,
            case when missing.republic_iso3 is not null then
                'lacks ' || missing.missing_major_reporters
            end
        ), '') as incompleteness
    from unioned
    left join missing_per_world as missing
        on missing.republic_iso3 = unioned.republic_iso3
        and missing.year = unioned.year
        and missing.flow = unioned.flow

)

select * from final
