{#-
    China's and Russia's shares of each republic's exports, imports and total trade, per source:
      - source 'comtrade' (UN Comtrade): both bases (the republic's own declarations and its
        partners' mirror declarations), every republic x year x flow x partner x basis of the
        range, with the preferred basis flagged;
      - source 'imf' (the IMF's goods trade by partner: source_dataset 'imf_dots', the bundled
        workbooks, or 'imf_imts', the live API): basis 'imf', share = partner / World of the
        republic's own sheet (int_imf_trade_shares_computed), every year the IMF gives.
    is_preferred picks one row per source x republic x year x flow x partner: a preferred series
    never mixes sources. is_synthetic says whether the row is synthetic demo data; real and
    synthetic never meet in one row (each source is one or the other).
-#}
with

spine as (

    select republic_iso3, republic_name, year, measure as flow, is_release_lag
    from {{ ref('int_republic_years_spined') }}
    where measure in ('export', 'import', 'total')

),

partners as (

    select partner_iso3, partner_name, short_name, m49_code from {{ ref('partners') }}
    where not is_world

),

bases as (

    select * from (values ('reported'), ('mirror')) as b (basis)

),

trade_values as (

    select * from {{ ref('int_trade_values_unioned') }}

),

chosen as (

    select * from {{ ref('int_trade_bases_chosen') }}

),

mirror_worlds as (

    select * from {{ ref('int_trade_mirror_worlds_assessed') }}

),

reporter_years as (

    select reporter_code, year, release_status from {{ ref('int_reporter_years_assessed') }}

),

republics_reporting as (

    -- republics that reported a world total for some flow and year of the range
    select distinct republic_iso3
    from trade_values
    where basis = 'reported' and partner_iso3 = 'WLD'

),

grid as (

    select
        spine.republic_iso3,
        spine.republic_name,
        spine.year,
        spine.flow,
        partners.partner_iso3,
        partners.partner_name,
        partners.short_name as partner_short_name,
        partners.m49_code as partner_m49_code,
        bases.basis,
        spine.is_release_lag
    from spine
    cross join partners
    cross join bases
    where partners.partner_iso3 <> spine.republic_iso3

),

joined as (

    select
        grid.*,
        partner.value_usd as partner_value_usd,
        world.value_usd as world_value_usd,
        coalesce(partner.is_imputed_zero, false) as partner_value_is_imputed_zero,
        -- a partner record without a usable total (row_status 'partner_value_unknown')
        coalesce(partner.is_value_unknown, false) as partner_record_is_unusable,
        -- for total: the count of the weaker flow, the one its usual count is compared with
        coalesce(mirror_worlds.reporter_count, world.reporter_count) as world_reporter_count,
        mirror_worlds.usual_reporter_count as world_usual_reporter_count,
        mirror_worlds.is_complete as world_is_complete,
        mirror_worlds.reporter_count_text as world_reporter_count_text,
        mirror_worlds.incompleteness as world_incompleteness,
        mirror_worlds.missing_major_reporters as world_missing_partners,
        -- on the mirror basis the partner is itself the reporter: did it release the year?
        coalesce(partner_release.release_status, 'unknown') as partner_release_status,
        -- and the republic itself, for the reason a reported-basis row has no value
        coalesce(republic_release.release_status, 'unknown') as republic_release_status,
        republics_reporting.republic_iso3 is not null as republic_ever_reported,
        chosen.preferred_basis,
        list_sort(list_distinct(flatten(list_filter(
            [partner.landing_ids, world.landing_ids], x -> x is not null
        )))) as landing_ids,
        nullif(array_to_string(list_sort(list_distinct(flatten(list_filter(
            [string_split(partner.vintage, ', '), string_split(world.vintage, ', ')],
            x -> x is not null
        )))), ', '), '') as vintage
    from grid
    left join trade_values as partner
        on partner.republic_iso3 = grid.republic_iso3
        and partner.year = grid.year
        and partner.flow = grid.flow
        and partner.basis = grid.basis
        and partner.partner_iso3 = grid.partner_iso3
    left join trade_values as world
        on world.republic_iso3 = grid.republic_iso3
        and world.year = grid.year
        and world.flow = grid.flow
        and world.basis = grid.basis
        and world.partner_iso3 = 'WLD'
    left join chosen
        on chosen.republic_iso3 = grid.republic_iso3
        and chosen.year = grid.year
        and chosen.flow = grid.flow
        and chosen.partner_iso3 = grid.partner_iso3
    left join mirror_worlds
        on grid.basis = 'mirror'
        and mirror_worlds.republic_iso3 = grid.republic_iso3
        and mirror_worlds.year = grid.year
        and mirror_worlds.flow = grid.flow
    left join republics_reporting
        on republics_reporting.republic_iso3 = grid.republic_iso3
    left join reporter_years as partner_release
        on partner_release.reporter_code = grid.partner_m49_code
        and partner_release.year = grid.year
    left join {{ ref('republics') }} as republic_codes
        on republic_codes.republic_iso3 = grid.republic_iso3
    left join reporter_years as republic_release
        on republic_release.reporter_code = republic_codes.m49_code
        and republic_release.year = grid.year

),

statused as (

    select
        *,
        case
            when partner_value_usd is null and world_value_usd is null
                then case
                    -- nothing is coming on the reported basis from a republic that never reports
                    when is_release_lag and (basis = 'mirror' or republic_ever_reported)
                        then 'not_yet_released'
                    else 'no_data'
                end
            when world_value_usd is null then 'no_world_value'
            when basis = 'mirror' and not coalesce(world_is_complete, false) then 'world_incomplete'
            when world_value_usd <= 0 then 'world_not_positive'
            -- a record is there but gives no usable value: unknown, never 0
            when partner_record_is_unusable then 'partner_value_unknown'
            -- the partner released nothing to UN Comtrade that year (Russia from 2022)
            when partner_value_usd is null and basis = 'mirror'
                and partner_release_status = 'not released' then 'partner_not_reported'
            when partner_value_usd is null then 'partner_missing'
            -- an anomaly of the source: flagged in data_quality, no share
            when partner_value_usd > world_value_usd * (1 + 1e-9) then 'partner_exceeds_world'
            else 'ok'
        end as row_status
    from joined

),

quarantined as (

    -- cells whose records the loader quarantined (int_quarantined_cells_listed): their values
    -- are unknown, and the notes say so first
    select republic_iso3, year, measure as flow, basis, partner_iso3, reason
    from {{ ref('int_quarantined_cells_listed') }}

),

comtrade_rows as (

    select
        'comtrade' as source,
        'comtrade' as source_dataset,
        republic_iso3,
        republic_name,
        year,
        flow,
        partner_iso3,
        partner_name,
        basis,
        partner_value_usd,
        world_value_usd,
        case when row_status = 'ok' then partner_value_usd / world_value_usd end as share,
        partner_value_is_imputed_zero,
        -- the partner's value is not known, whatever the reason (no record, a record without a
        -- usable total, the partner released nothing, nothing on this basis yet, a quarantined
        -- record): never 0, and no share rests on it. An imputed 0 is a value.
        partner_value_usd is null as partner_value_is_unknown,
        world_reporter_count,
        world_usual_reporter_count,
        case when basis = 'mirror' then world_is_complete end as world_is_complete,
        case when basis = 'mirror' then world_missing_partners end as world_missing_partners,
        coalesce(basis = preferred_basis, false) as is_preferred,
        case flow
            when 'export' then 'FOB'
            when 'import' then 'CIF'
            else 'exports FOB + imports CIF'
        end as valuation,
        row_status,
        nullif(concat_ws('; ',
            (
                select string_agg(q.reason, '; ' order by q.partner_iso3)
                from quarantined as q
                where q.republic_iso3 = statused.republic_iso3 and q.year = statused.year
                  and q.flow = statused.flow and q.basis = statused.basis
                  and q.partner_iso3 in (statused.partner_iso3, 'WLD')
            ),
            case when partner_value_is_imputed_zero then
                'the republic reported its world total but no ' || partner_short_name
                || ' row; partner value taken as 0 (UN Comtrade omits empty partner flows)'
            end,
            case when basis = 'mirror' and (partner_value_usd is not null or world_value_usd is not null) then
                case flow
                    when 'import' then 'mirror: partners'' declared exports to the republic (FOB) x '
                        || {{ var('cif_fob_factor') }} || ' (to CIF)'
                    when 'export' then 'mirror: partners'' declared imports from the republic (CIF) / '
                        || {{ var('cif_fob_factor') }} || ' (to FOB)'
                    else 'mirror: exports (partners'' imports / ' || {{ var('cif_fob_factor') }}
                        || ') + imports (partners'' exports x ' || {{ var('cif_fob_factor') }} || ')'
                end
            end,
            -- a row with no value at all says why, like every other unknown
            case when row_status = 'no_data' then
                case
                    when basis = 'mirror' then
                        'no partner declared trade with the republic for this flow and year: unknown on this basis, not 0'
                    when republic_release_status = 'not released' then
                        'the republic released nothing to UN Comtrade for this year (per UN Comtrade''s'
                        || ' data availability): unknown on this basis, not 0'
                    when republic_release_status = 'released' then
                        'the republic released this year to UN Comtrade, yet none of its records landed:'
                        || ' unknown on this basis, not 0 (an extraction gap, see data_quality)'
                    else 'no UN Comtrade record of the republic for this year and no availability record'
                        || ' of the year: unknown on this basis, not 0'
                end
            end,
            case when row_status = 'not_yet_released' then
                'year inside the release window: '
                || case when basis = 'mirror' then 'its partners have' else 'the republic has' end
                || ' not yet released it to UN Comtrade; unknown for now, not 0'
            end,
            case when row_status = 'no_world_value' then
                case when basis = 'mirror' then 'no partner-side world total'
                    else 'the republic reported no world total'
                end
                || ' for this flow and year, only the ' || partner_short_name
                || ' value: share not computed'
            end,
            case when row_status = 'world_not_positive' then
                'the world total (' || world_value_usd || ') is not positive: an anomaly of the source;'
                || ' share not computed'
            end,
            case when row_status = 'world_incomplete' then
                'partner-side world total incomplete: ' || world_incompleteness
                || '; share not computed and the row is not preferred'
            end,
            case when row_status = 'partner_value_unknown' then
                'the republic declared a ' || partner_short_name || ' record for this flow without a usable'
                || ' all-commodity total (null value or a breakdown only): unknown, not 0; share not computed'
            end,
            case when row_status = 'partner_not_reported' then
                partner_short_name || ' released no data to UN Comtrade for this year (per UN Comtrade''s'
                || ' data availability): its declaration is unknown, not 0; share not computed'
            end,
            case when row_status = 'partner_exceeds_world' then
                partner_short_name || ' value (' || partner_value_usd || ') exceeds the world total ('
                || world_value_usd || '): an anomaly of the source, flagged in data_quality; share not computed'
            end,
            case when basis = 'mirror' and is_release_lag and world_is_complete then
                'year inside the release window: ' || world_reporter_count_text
                || ', enough to count as complete, but late partners may still add to the world total'
            end,
            case when row_status = 'partner_missing' then
                partner_short_name || ' declared no trade with the republic for this flow (no partner-side row): share not computed'
            end,
            case when basis = preferred_basis and basis = 'mirror' then
                case
                    when flow = 'total'
                        then 'preferred because the republic did not report both its world export and import totals for this year'
                    else 'preferred because the republic did not report its world ' || flow || ' total for this year'
                end
            end,
            case when basis = preferred_basis and basis = 'reported' and world_value_usd is null
                and not exists (
                    select 1 from quarantined as q
                    where q.republic_iso3 = statused.republic_iso3 and q.year = statused.year
                      and q.flow = statused.flow and q.basis = 'reported' and q.partner_iso3 = 'WLD'
                ) then
                'preferred because no usable partner-side value exists; the republic reported no world total'
            end
        ), '') as notes,
        is_release_lag,
        -- a source's estimates are flagged by the IMF only
        false as is_estimate,
        vintage,
        -- a row without values is of the kind of the source's other rows
        coalesce(
            vintage like '%demo-%',
            (select bool_or(v.vintage like '%demo-%') from trade_values as v),
            false
        ) as is_synthetic,
        landing_ids
    from statused

),

imf as (

    select * from {{ ref('int_imf_trade_shares_computed') }}

),

imf_preferred as (

    -- both IMF copies of one republic-year-flow (only if both were loaded): the live IMTS one
    -- where it gives the world total, else the bundled DOTS one
    select source as source_dataset, republic_iso3, year, flow
    from imf
    where world_value_usd is not null or partner_value_usd is not null
    qualify row_number() over (
        partition by republic_iso3, year, flow
        order by (world_value_usd is not null) desc, (source = 'imf_imts') desc
    ) = 1

),

imf_rows as (

    select
        'imf' as source,
        imf.source as source_dataset,
        imf.republic_iso3,
        republics.republic_name,
        imf.year,
        imf.flow,
        imf.partner_iso3,
        partners.partner_name,
        'imf' as basis,
        imf.partner_value_usd,
        imf.world_value_usd,
        case
            when imf.value_status = 'ok' and imf.partner_value_usd <= imf.world_value_usd * (1 + 1e-9)
                then imf.share
        end as share,
        false as partner_value_is_imputed_zero,
        -- the IMF gives no value for the partner (value_status 'partner_missing', or nothing at
        -- all): unknown, never 0
        imf.partner_value_usd is null as partner_value_is_unknown,
        cast(null as bigint) as world_reporter_count,
        cast(null as double) as world_usual_reporter_count,
        cast(null as boolean) as world_is_complete,
        cast(null as varchar) as world_missing_partners,
        imf_preferred.source_dataset is not null as is_preferred,
        case imf.flow
            when 'export' then 'FOB'
            when 'import' then 'CIF'
            else 'exports FOB + imports CIF'
        end as valuation,
        case
            when imf.value_status = 'world_missing' and imf.partner_value_usd is null then 'no_data'
            when imf.value_status = 'world_missing' then 'no_world_value'
            when imf.value_status = 'world_not_positive' then 'world_not_positive'
            when imf.value_status = 'partner_missing' then 'partner_missing'
            when imf.partner_value_usd > imf.world_value_usd * (1 + 1e-9) then 'partner_exceeds_world'
            else 'ok'
        end as row_status,
        nullif(concat_ws('; ',
            case imf.source
                when 'imf_dots' then 'IMF Direction of Trade Statistics (bundled workbooks, US$ millions x 10^6)'
                else 'IMF International Trade in Goods (IMTS, live)'
            end
            || ': partner / World of the republic''s own '
            || case imf.flow when 'total' then 'export and import sheets' else imf.flow || ' sheet' end,
            case when imf.is_estimate then 'includes a value the IMF marks as an estimate (e)' end,
            case imf.value_status
                when 'partner_missing' then
                    'the IMF gives no ' || partners.short_name || ' value for this flow and year: unknown, not 0; share not computed'
                when 'world_missing' then
                    'the IMF gives no World total for this flow and year: share not computed'
                when 'world_not_positive' then
                    'the IMF''s World total (' || imf.world_value_usd || ') is not positive: an anomaly'
                    || ' of the source; share not computed'
            end,
            case when imf.value_status = 'ok' and imf.partner_value_usd > imf.world_value_usd * (1 + 1e-9) then
                partners.short_name || ' value (' || imf.partner_value_usd || ') exceeds the IMF''s World'
                || ' total (' || imf.world_value_usd || '): an anomaly of the source; share not computed'
            end
        ), '') as notes,
        -- the warehouse's release window (from the spine; years before it never lag)
        coalesce(spine.is_release_lag, false) as is_release_lag,
        imf.is_estimate,
        imf.vintage,
        imf.is_synthetic,
        imf.landing_ids
    from imf
    inner join {{ ref('republics') }} as republics on republics.republic_iso3 = imf.republic_iso3
    inner join partners on partners.partner_iso3 = imf.partner_iso3
    left join spine
        on spine.republic_iso3 = imf.republic_iso3
        and spine.year = imf.year
        and spine.flow = imf.flow
    left join imf_preferred
        on imf_preferred.source_dataset = imf.source
        and imf_preferred.republic_iso3 = imf.republic_iso3
        and imf_preferred.year = imf.year
        and imf_preferred.flow = imf.flow

),

final as (

    select * from comtrade_rows
    union all by name
    select * from imf_rows

)

select * from final
