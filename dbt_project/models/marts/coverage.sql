{#-
    Where every number comes from: one row per republic x year x measure of the requested range,
    saying which basis the marts use, from which source, and why when it is not the republic's own
    report. A gap outside the release window is status 'missing' (a test fails the build); inside
    the window it is 'not yet released' (a test warns).
-#}
with

spine as (

    select * from {{ ref('int_republic_years_spined') }}

),

trade_per_flow as (

    select
        republic_iso3,
        year,
        flow as measure,
        bool_or(has_reported_world) as has_reported_world,
        bool_or(has_mirror_world) as has_mirror_world,
        bool_or(has_reported_value) as has_reported_value,
        bool_or(has_mirror_value) as has_mirror_value
    from {{ ref('int_trade_bases_chosen') }}
    group by republic_iso3, year, flow

),

trade_vintages as (

    select republic_iso3, year, flow as measure, basis, string_agg(distinct vintage, ', ' order by vintage) as vintage
    from {{ ref('int_trade_values_unioned') }}
    where partner_iso3 = 'WLD'
    group by republic_iso3, year, flow, basis

),

republic_reporting as (

    -- which flows the republic reported (world total) in each year, and whether it ever did
    select
        republic_iso3,
        year,
        bool_or(measure = 'export' and has_reported_world) as reported_exports,
        bool_or(measure = 'import' and has_reported_world) as reported_imports
    from trade_per_flow
    group by republic_iso3, year

),

republic_ever_reported as (

    select republic_iso3, bool_or(reported_exports or reported_imports) as ever_reported
    from republic_reporting
    group by republic_iso3

),

fdi as (

    select * from {{ ref('int_fdi_bases_chosen') }}

),

fdi_ever_reported as (

    select republic_iso3, bool_or(has_reported_rows) as ever_reported
    from fdi
    group by republic_iso3

),

fdi_vintages as (

    select republic_iso3, year, derivation,
        string_agg(distinct vintage, ', ' order by vintage) as vintage
    from {{ ref('int_fdi_positions_pivoted') }}
    group by republic_iso3, year, derivation

),

trade_coverage as (

    select
        spine.republic_iso3,
        spine.republic_name,
        spine.year,
        spine.measure,
        spine.is_release_lag,
        case
            when t.has_reported_world then 'reported'
            when t.has_mirror_world then 'mirror'
            when spine.is_release_lag then 'not yet released'
            else 'missing'
        end as status,
        case
            when t.has_reported_world then null
            when t.has_mirror_world then
                case
                    when not coalesce(ever.ever_reported, false) then
                        'republic did not report to UN Comtrade in any year of the range; '
                    when spine.is_release_lag and not coalesce(rr.reported_exports or rr.reported_imports, false) then
                        'republic has not yet reported this year to UN Comtrade (inside the '
                        || {{ var('release_lag_years') }} || '-year release window); '
                    when not coalesce(rr.reported_exports or rr.reported_imports, false) then
                        'republic did not report to UN Comtrade for this year; '
                    when spine.measure = 'total' then
                        'republic reported only its ' || case when rr.reported_exports then 'exports' else 'imports' end
                        || ' for this year, so exports and imports both use partner-side values; '
                    else
                        'republic reported its ' || case when spine.measure = 'export' then 'imports' else 'exports' end
                        || ' but not its ' || spine.measure || 's for this year; '
                end
                || 'partner-side (mirror) values used, converted with CIF = FOB x ' || {{ var('cif_fob_factor') }}
                || case when spine.is_release_lag
                    then ' (partner-side totals may be incomplete until all partners have reported)'
                    else '' end
            when spine.is_release_lag then
                'inside the ' || {{ var('release_lag_years') }} || '-year release window (years from '
                || {{ release_window_start() }} || '): neither the republic nor its partners have reported '
                || case when spine.measure = 'total' then 'both flows' else 'a world total' end
                || ' for this year yet'
            when spine.measure = 'total' then
                'neither the republic nor its partners give both world exports and world imports'
                || ' for this year, outside the release window: check the extraction'
            else
                'no world total from the republic or from its partners'
                || case when coalesce(t.has_reported_value or t.has_mirror_value, false)
                    then ' (only partner values exist)' else '' end
                || ' for this year, outside the release window: check the extraction'
        end as reason,
        case
            when t.has_reported_world then 'reported'
            when t.has_mirror_world then 'mirror'
        end as basis
    from spine
    left join trade_per_flow as t
        on t.republic_iso3 = spine.republic_iso3
        and t.year = spine.year
        and t.measure = spine.measure
    left join republic_reporting as rr
        on rr.republic_iso3 = spine.republic_iso3
        and rr.year = spine.year
    left join republic_ever_reported as ever
        on ever.republic_iso3 = spine.republic_iso3
    where spine.measure in ('export', 'import', 'total')

),

fdi_coverage as (

    select
        spine.republic_iso3,
        spine.republic_name,
        spine.year,
        spine.measure,
        spine.is_release_lag,
        case
            when fdi.basis is not null then fdi.basis
            when spine.is_release_lag then 'not yet released'
            else 'missing'
        end as status,
        nullif(concat_ws('; ',
            case
                when fdi.basis = 'derived' and not coalesce(ever.ever_reported, false) then
                    'republic did not report its inward position to the IMF in any year of the range; derived from counterpart economies'' reports'
                when fdi.basis = 'derived' and fdi.has_reported_rows then
                    'the republic''s own world total is empty or confidential; derived from counterpart economies'' reports'
                when fdi.basis = 'derived' then
                    'republic did not report its inward position to the IMF for this year; derived from counterpart economies'' reports'
            end,
            case
                when fdi.basis is null and spine.is_release_lag then
                    'inside the ' || {{ var('release_lag_years') }} || '-year release window (years from '
                    || {{ release_window_start() }} || '): no IMF DIP observation for this year yet'
                when fdi.basis is null then
                    'no IMF DIP observation for this year, outside the release window: check the extraction'
                when fdi.world_is_confidential then 'world total is confidential: shares not computed'
                when fdi.world_position_usd is null then 'world total is missing: shares not computed'
                when fdi.world_position_usd <= 0 then
                    'world total is zero or negative (net positions can be negative): shares not computed'
            end
        ), '') as reason,
        fdi.basis
    from spine
    left join fdi
        on fdi.republic_iso3 = spine.republic_iso3
        and fdi.year = spine.year
    left join fdi_ever_reported as ever
        on ever.republic_iso3 = spine.republic_iso3
    where spine.measure = 'fdi_inward'

),

unioned as (

    select
        trade_coverage.*,
        trade_vintages.vintage
    from trade_coverage
    left join trade_vintages
        on trade_vintages.republic_iso3 = trade_coverage.republic_iso3
        and trade_vintages.year = trade_coverage.year
        and trade_vintages.measure = trade_coverage.measure
        and trade_vintages.basis = trade_coverage.basis

    union all

    select
        fdi_coverage.*,
        fdi_vintages.vintage
    from fdi_coverage
    left join fdi_vintages
        on fdi_vintages.republic_iso3 = fdi_coverage.republic_iso3
        and fdi_vintages.year = fdi_coverage.year
        and fdi_vintages.derivation = fdi_coverage.basis

),

final as (

    select
        republic_iso3,
        republic_name,
        year,
        measure,
        status,
        case status
            when 'reported' then
                case when measure = 'fdi_inward' then 'IMF DIP, reported'
                    else 'UN Comtrade, reported by the republic' end
            when 'mirror' then 'UN Comtrade, partner-side (mirror)'
            when 'derived' then 'IMF DIP, derived from counterpart reports'
        end as source,
        reason,
        is_release_lag,
        vintage
    from unioned

)

select * from final
