{#-
    Reported versus mirror values of the same trade flow: what the republic declares against what
    its partners declare (converted to the republic's valuation with cif_fob_factor). Where the
    partner-side world total is incomplete (partners still to report; int_trade_mirror_worlds_assessed)
    the row is flagged, so that a gap there is not mistaken for an asymmetry.
-#}
with

trade_values as (

    select * from {{ ref('int_trade_values_unioned') }}

),

republics as (

    select republic_iso3, republic_name from {{ ref('republics') }}

),

reported as (

    select * from trade_values where basis = 'reported'

),

mirrored as (

    select * from trade_values where basis = 'mirror'

),

mirror_worlds as (

    select * from {{ ref('int_trade_mirror_worlds_assessed') }}

),

compared as (

    select
        coalesce(reported.republic_iso3, mirrored.republic_iso3) as republic_iso3,
        coalesce(reported.year, mirrored.year) as year,
        coalesce(reported.flow, mirrored.flow) as flow,
        coalesce(reported.partner_iso3, mirrored.partner_iso3) as partner_iso3,
        reported.value_usd as reported_value_usd,
        coalesce(reported.is_imputed_zero, false) as reported_is_imputed_zero,
        mirrored.value_usd as mirror_value_usd,
        reported.landing_ids as reported_landing_ids,
        mirrored.landing_ids as mirror_landing_ids,
        nullif(array_to_string(list_sort(list_distinct(flatten(list_filter(
            [string_split(reported.vintage, ', '), string_split(mirrored.vintage, ', ')],
            x -> x is not null
        )))), ', '), '') as vintage
    from reported
    full outer join mirrored
        on reported.republic_iso3 = mirrored.republic_iso3
        and reported.year = mirrored.year
        and reported.flow = mirrored.flow
        and reported.partner_iso3 = mirrored.partner_iso3

),

final as (

    select
        compared.republic_iso3,
        republics.republic_name,
        compared.year,
        compared.flow,
        compared.partner_iso3,
        compared.reported_value_usd,
        compared.reported_is_imputed_zero,
        compared.mirror_value_usd,
        compared.reported_value_usd - compared.mirror_value_usd as gap_usd,
        case
            when compared.reported_value_usd + compared.mirror_value_usd > 0
                then (compared.reported_value_usd - compared.mirror_value_usd)
                    / ((compared.reported_value_usd + compared.mirror_value_usd) / 2)
        end as relative_gap,
        case
            when compared.mirror_value_usd > 0
                then compared.reported_value_usd / compared.mirror_value_usd
        end as reported_to_mirror_ratio,
        mirror_worlds.reporter_count as world_reporter_count,
        mirror_worlds.usual_reporter_count as world_usual_reporter_count,
        mirror_worlds.is_complete as mirror_world_is_complete,
        compared.year >= {{ release_window_start() }} as is_release_lag,
        'comtrade' as source,
        compared.vintage,
        coalesce(
            compared.vintage like '%demo-%',
            (select bool_or(v.vintage like '%demo-%') from trade_values as v),
            false
        ) as is_synthetic,
        compared.reported_landing_ids,
        compared.mirror_landing_ids
    from compared
    inner join republics on compared.republic_iso3 = republics.republic_iso3
    left join mirror_worlds
        on mirror_worlds.republic_iso3 = compared.republic_iso3
        and mirror_worlds.year = compared.year
        and mirror_worlds.flow = compared.flow

)

select * from final
