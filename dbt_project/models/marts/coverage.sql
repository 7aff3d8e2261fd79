{#-
    Where every number comes from: one row per republic x year x measure of the years held,
    saying which basis the marts use, from which source, and why when it is not the republic's own
    report. The status follows the world total: a usable one on some basis gives 'reported',
    'mirror' or 'derived'. Without one: 'unknown' where the source explains it (the republic did not
    release the year, per UN Comtrade's data availability, and its partner-side world total lacks
    major partners that did not release it either - Turkmenistan x Russia from 2022); else 'not yet
    released' inside the release window (a warning) and 'missing' outside it (blocks publishing,
    through data_quality). An incomplete partner-side (mirror) world total is not usable. Whether
    the republic released the year is a fact from the availability records (republic_release); a
    year released but not landed is an extraction gap (blocks publishing). The reason also names partner cells that are confidential or missing, though
    they do not change the status. landing_ids and vintage are those of the rows the status rests
    on (for a gap: the incomplete partner-side rows, if any). Built from intermediate models
    only, so that it is rebuilt - and explains the gaps - even when a test of a share mart fails.
    Each source has rows of its own (source_id: 'comtrade', 'imf_dip', and 'imf' once any IMF
    goods trade is loaded): the IMF's over the trade years and every year an IMF copy gives,
    'reported' where the preferred copy gives the republic's World total, else 'unknown' or 'not
    yet released' (after the copy's last year, or inside the release window), with the reason.
-#}
with

spine as (

    select * from {{ ref('int_republic_years_spined') }}

),

partners as (

    select partner_iso3, short_name, m49_code from {{ ref('partners') }}
    where not is_world

),

trade_per_flow as (

    select
        republic_iso3,
        year,
        flow as measure,
        bool_or(has_reported_world) as has_reported_world,
        bool_or(has_mirror_world) as has_mirror_world,
        bool_or(has_complete_mirror_world) as has_complete_mirror_world,
        bool_or(has_reported_value) as has_reported_value,
        bool_or(has_mirror_value) as has_mirror_value
    from {{ ref('int_trade_bases_chosen') }}
    group by republic_iso3, year, flow

),

mirror_worlds as (

    select republic_iso3, year, flow as measure, reporter_count_text, incompleteness, is_incomplete_by_source
    from {{ ref('int_trade_mirror_worlds_assessed') }}

),

republic_releases as (

    select republics.republic_iso3, r.year, r.release_status, r.total_records, r.is_extraction_gap
    from {{ ref('int_reporter_years_assessed') }} as r
    inner join {{ ref('republics') }} as republics on republics.m49_code = r.reporter_code

),

republic_ever_released as (

    select republic_iso3, bool_or(release_status = 'released') as ever_released
    from republic_releases
    group by republic_iso3

),

trade_values as (

    select * from {{ ref('int_trade_values_unioned') }}

),

trade_partner_gaps as (

    -- partners without a value on a basis whose world total is there and positive
    select
        world.republic_iso3,
        world.year,
        world.flow as measure,
        world.basis,
        string_agg(
            case
                when world.basis = 'mirror' and partner_release.release_status = 'not released' then
                    partners.short_name || ' released no data to UN Comtrade for this year (per its data'
                    || ' availability): ' || partners.short_name || '''s share unknown'
                else
                    partners.short_name || ' declared no trade with the republic for this flow (partner-side'
                    || ' value missing): ' || partners.short_name || '''s share not computed'
            end,
            '; ' order by partners.partner_iso3
        ) as partner_cells
    from trade_values as world
    cross join partners
    left join {{ ref('int_reporter_years_assessed') }} as partner_release
        on partner_release.reporter_code = partners.m49_code
        and partner_release.year = world.year
    where world.partner_iso3 = 'WLD'
      and world.value_usd > 0
      and partners.partner_iso3 <> world.republic_iso3
      and not exists (
          select 1 from trade_values as partner
          where partner.republic_iso3 = world.republic_iso3
            and partner.year = world.year
            and partner.flow = world.flow
            and partner.basis = world.basis
            and partner.partner_iso3 = partners.partner_iso3
      )
    group by world.republic_iso3, world.year, world.flow, world.basis

),

republic_reporting as (

    -- which flows the republic reported (world total) in each year
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

trade_statuses as (

    select
        spine.republic_iso3,
        spine.republic_name,
        spine.year,
        spine.measure,
        spine.is_release_lag,
        case
            when t.has_reported_world then 'reported'
            when t.has_complete_mirror_world then 'mirror'
            -- explained by the source itself: neither the republic nor the partners that make up
            -- much of its partner-side total released the year
            when coalesce(mirror_worlds.is_incomplete_by_source, false)
                and rel.release_status = 'not released' then 'unknown'
            when spine.is_release_lag then 'not yet released'
            else 'missing'
        end as status,
        coalesce(rel.release_status, 'unknown') as republic_release,
        rel.total_records as republic_release_records,
        coalesce(rel.is_extraction_gap, false) as is_extraction_gap,
        coalesce(ever_rel.ever_released, false) as republic_ever_released,
        mirror_worlds.incompleteness,
        -- the basis whose rows the status rests on: for a gap, the incomplete partner-side rows
        case
            when t.has_reported_world then 'reported'
            when t.has_mirror_world then 'mirror'
        end as basis,
        coalesce(t.has_mirror_world and not t.has_complete_mirror_world, false)
            as has_incomplete_mirror_world,
        coalesce(t.has_reported_value or t.has_mirror_value, false) as has_any_value,
        coalesce(ever.ever_reported, false) as republic_ever_reported,
        coalesce(rr.reported_exports, false) as reported_exports,
        coalesce(rr.reported_imports, false) as reported_imports,
        mirror_worlds.reporter_count_text
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
    left join mirror_worlds
        on mirror_worlds.republic_iso3 = spine.republic_iso3
        and mirror_worlds.year = spine.year
        and mirror_worlds.measure = spine.measure
    left join republic_releases as rel
        on rel.republic_iso3 = spine.republic_iso3
        and rel.year = spine.year
    left join republic_ever_released as ever_rel
        on ever_rel.republic_iso3 = spine.republic_iso3
    where spine.measure in ('export', 'import', 'total')

),

trade_evidence as (

    -- per republic x year x measure x basis: provenance of the world and partner values
    select
        republic_iso3,
        year,
        flow as measure,
        basis,
        list_sort(list_distinct(flatten(list(landing_ids)))) as landing_ids,
        nullif(array_to_string(list_sort(list_distinct(
            flatten(list(string_split(vintage, ', ')))
        )), ', '), '') as vintage
    from trade_values
    group by republic_iso3, year, flow, basis

),

trade_coverage as (

    select
        s.republic_iso3,
        s.republic_name,
        s.year,
        s.measure,
        s.is_release_lag,
        s.status,
        nullif(concat_ws('; ',
            -- extraction gap: the source has the year, the warehouse does not
            case when s.is_extraction_gap then
                'extraction gap: UN Comtrade lists this year of the republic as released ('
                || s.republic_release_records || ' records) but none was landed: check the extraction'
            end,
            -- the republic's side, when its own report is not used
            case
                when s.status = 'reported' or s.is_extraction_gap then null
                when s.republic_release = 'not released' and not s.republic_ever_released
                    and not s.republic_ever_reported then
                    'republic did not report to UN Comtrade for this year, nor for any other year held'
                    || ' (per UN Comtrade''s data availability)'
                when s.republic_release = 'not released' and s.is_release_lag then
                    'republic has not yet released this year to UN Comtrade (not in its data availability;'
                    || ' inside the ' || {{ var('release_lag_years') }} || '-year release window)'
                when s.republic_release = 'not released' then
                    'republic did not report to UN Comtrade for this year (per UN Comtrade''s data availability)'
                when not s.republic_ever_reported
                    and (s.status = 'mirror' or s.has_incomplete_mirror_world) then
                    'republic did not report to UN Comtrade in any year held'
                    || case when s.republic_release = 'unknown'
                        then ' (no UN Comtrade availability record landed for this year to confirm it)' else '' end
                when s.is_release_lag and not (s.reported_exports or s.reported_imports)
                    and (s.status = 'mirror' or s.has_incomplete_mirror_world) then
                    'republic has not yet reported this year to UN Comtrade (inside the '
                    || {{ var('release_lag_years') }} || '-year release window)'
                when not (s.reported_exports or s.reported_imports)
                    and (s.status = 'mirror' or s.has_incomplete_mirror_world) then
                    'republic did not report to UN Comtrade for this year'
                    || case when s.republic_release = 'unknown'
                        then ' (no UN Comtrade availability record landed for this year to confirm it)' else '' end
                when s.measure = 'total' and (s.status = 'mirror' or s.has_incomplete_mirror_world) then
                    'republic reported only its ' || case when s.reported_exports then 'exports' else 'imports' end
                    || ' for this year, so exports and imports both use partner-side values'
                when s.status = 'mirror' or s.has_incomplete_mirror_world then
                    'republic reported its ' || case when s.measure = 'export' then 'imports' else 'exports' end
                    || ' but not its ' || s.measure || 's for this year'
            end,
            -- the partner side
            case
                when s.status = 'mirror' then
                    'partner-side (mirror) values used, converted with CIF = FOB x ' || {{ var('cif_fob_factor') }}
                    || case when s.is_release_lag
                        then ' (' || s.reporter_count_text || '; late partners may still add to the world total)'
                        else '' end
                when s.status = 'unknown' then
                    'partner-side totals incomplete, ' || s.incompleteness
                    || ': no complete world total on either side, so China''s and Russia''s shares'
                    || ' stay unknown'
                when s.status = 'not yet released' and s.has_incomplete_mirror_world then
                    'partner-side totals incomplete, ' || s.incompleteness
                    || ': no share until more partners have reported'
                when s.status = 'missing' and s.has_incomplete_mirror_world then
                    'partner-side totals incomplete, ' || s.incompleteness
                    || ', outside the release window: check the extraction'
                when s.status = 'not yet released' then
                    'inside the ' || {{ var('release_lag_years') }} || '-year release window (years from '
                    || {{ release_window_start() }} || '): neither the republic nor its partners have reported '
                    || case when s.measure = 'total' then 'both flows' else 'a world total' end
                    || ' for this year yet'
                when s.status = 'missing' and s.measure = 'total' then
                    'neither the republic nor its partners give both world exports and world imports'
                    || ' for this year, outside the release window: check the extraction'
                when s.status = 'missing' then
                    'no world total from the republic or from its partners'
                    || case when s.has_any_value then ' (only partner values exist)' else '' end
                    || ' for this year, outside the release window: check the extraction'
            end,
            -- partner cells: they leave the status alone but leave a share out
            case when s.status in ('reported', 'mirror') then g.partner_cells end
        ), '') as reason,
        s.basis,
        s.republic_release,
        s.is_extraction_gap,
        coalesce(e.landing_ids, []::varchar[]) as landing_ids,
        e.vintage
    from trade_statuses as s
    left join trade_evidence as e
        on e.republic_iso3 = s.republic_iso3
        and e.year = s.year
        and e.measure = s.measure
        and e.basis = s.basis
    left join trade_partner_gaps as g
        on g.republic_iso3 = s.republic_iso3
        and g.year = s.year
        and g.measure = s.measure
        and g.basis = s.basis

),

fdi as (

    select * from {{ ref('int_fdi_bases_chosen') }}

),

fdi_ever_reported as (

    select republic_iso3, bool_or(has_reported_rows) as ever_reported
    from fdi
    group by republic_iso3

),

fdi_evidence as (

    -- the chosen derivation's observations: provenance, and partner cells without a value
    -- where the world position would give a share (positive, not confidential)
    select
        pivoted.republic_iso3,
        pivoted.year,
        list_sort(list_distinct(flatten(list(pivoted.landing_ids)))) as landing_ids,
        nullif(array_to_string(list_sort(list_distinct(
            flatten(list(string_split(pivoted.vintage, ', ')))
        )), ', '), '') as vintage,
        string_agg(
            partners.short_name || '''s cell is '
            || case when pivoted.partner_is_confidential then 'confidential' else 'missing' end
            || ': ' || partners.short_name || '''s share not computed',
            '; ' order by pivoted.partner_iso3
        ) filter (
            where pivoted.partner_position_usd is null
              and pivoted.world_position_usd > 0
              and not pivoted.world_is_confidential
        ) as partner_cells
    from {{ ref('int_fdi_positions_pivoted') }} as pivoted
    inner join fdi
        on fdi.republic_iso3 = pivoted.republic_iso3
        and fdi.year = pivoted.year
        and fdi.basis = pivoted.derivation
    inner join partners on partners.partner_iso3 = pivoted.partner_iso3
    group by pivoted.republic_iso3, pivoted.year

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
                when fdi.basis = 'derived' then
                    'the derived world total sums only the counterpart economies that report: partial'
            end,
            -- partner cells: they leave the status alone but leave a share out
            e.partner_cells
        ), '') as reason,
        fdi.basis,
        cast(null as varchar) as republic_release,
        false as is_extraction_gap,
        coalesce(e.landing_ids, []::varchar[]) as landing_ids,
        e.vintage
    from spine
    left join fdi
        on fdi.republic_iso3 = spine.republic_iso3
        and fdi.year = spine.year
    left join fdi_ever_reported as ever
        on ever.republic_iso3 = spine.republic_iso3
    left join fdi_evidence as e
        on e.republic_iso3 = spine.republic_iso3
        and e.year = spine.year
    where spine.measure = 'fdi_inward'

),

imf_values as (

    select * from {{ ref('int_imf_trade_shares_computed') }}

),

imf_datasets as (

    -- per republic x year x flow of a republic-year an IMF copy gives figures for, the copy the
    -- marts prefer (trade_shares.is_preferred): the live IMTS one where it gives the World
    -- total, else the bundled DOTS one
    select distinct on (republic_iso3, year, flow) source, republic_iso3, year, flow
    from imf_values
    order by republic_iso3, year, flow, world_value_usd is null, source <> 'imf_imts'

),

imf_loaded as (

    -- the IMF goods trade loaded: one row when any IMF copy gives any figure, none at all when no
    -- IMF goods trade is loaded (then there are no 'imf' rows)
    select
        string_agg(distinct vintage, ', ' order by vintage) as vintages,
        bool_or(is_synthetic) as is_synthetic
    from imf_values
    where world_value_usd is not null or partner_value_usd is not null
    having count(*) > 0

),

imf_copy_extent as (

    -- per republic and IMF copy, the years the copy gives any figure of the republic for
    select
        republic_iso3,
        source,
        min(year) as first_year,
        max(year) as last_year,
        string_agg(distinct vintage, ', ' order by vintage) as vintages
    from imf_values
    where world_value_usd is not null or partner_value_usd is not null
    group by republic_iso3, source

),

imf_extent as (

    -- per republic, the years the loaded IMF copies give any figure of it for: after the last
    -- one the IMF has not yet released it (in the copies loaded); each copy's range is quoted
    select
        republic_iso3,
        min(first_year) as first_year,
        max(last_year) as last_year,
        string_agg(
            first_year || '-' || last_year || ' in ' || vintages, ', ' order by source
        ) as ranges
    from imf_copy_extent
    group by republic_iso3

),

imf_spine as (

    -- the trade spine's years and, per republic, every year from the first to the last the IMF
    -- gives of it (the IMF's reach earlier; a republic's own years, not another's)
    select republic_iso3, republic_name, year, measure, is_release_lag
    from spine
    where measure in ('export', 'import', 'total')
    union
    select
        republics.republic_iso3,
        republics.republic_name,
        imf_years.year,
        m.measure,
        imf_years.year >= {{ release_window_start() }} as is_release_lag
    from {{ ref('republics') }} as republics
    inner join imf_extent as x on x.republic_iso3 = republics.republic_iso3
    cross join unnest(range(x.first_year, x.last_year + 1)) as imf_years (year)
    cross join (values ('export'), ('import'), ('total')) as m (measure)

),

imf_flows as (

    -- the preferred copy's figures per republic x year x flow, and the partner cells without a
    -- share although the World total is there
    select
        v.republic_iso3,
        v.year,
        v.flow as measure,
        v.source as source_dataset,
        any_value(v.world_value_usd) as world_value_usd,
        bool_or(v.is_estimate) as is_estimate,
        string_agg(
            case
                when v.value_status = 'partner_missing' then
                    'the IMF gives no ' || partners.short_name || ' value for '
                    || case v.flow when 'total' then 'its exports or imports' else 'this flow' end
                    || ': ' || partners.short_name || '''s share unknown, not 0'
                when v.value_status = 'ok' and v.partner_value_usd > v.world_value_usd * (1 + 1e-9) then
                    'the IMF''s ' || partners.short_name || ' value exceeds its World total (an anomaly'
                    || ' of the source): ' || partners.short_name || '''s share not computed'
            end,
            '; ' order by v.partner_iso3
        ) as partner_cells,
        list_sort(list_distinct(flatten(list(v.landing_ids)))) as landing_ids,
        any_value(v.vintage) as vintage,
        bool_or(v.is_synthetic) as is_synthetic
    from imf_values as v
    inner join imf_datasets using (source, republic_iso3, year, flow)
    inner join partners on partners.partner_iso3 = v.partner_iso3
    group by all

),

imf_coverage as (

    select
        'imf' as source_id,
        s.republic_iso3,
        s.republic_name,
        s.year,
        s.measure,
        s.is_release_lag,
        case
            when f.world_value_usd > 0 then 'reported'
            when f.source_dataset is null and (s.year > x.last_year or s.is_release_lag)
                then 'not yet released'
            else 'unknown'
        end as status,
        nullif(concat_ws('; ',
            case
                when f.source_dataset is null and s.year > x.last_year then
                    'the IMF goods trade loaded (' || loaded.vintages || ') gives no figure of the'
                    || ' republic after ' || x.last_year || ': not yet released in it'
                when f.source_dataset is null and s.is_release_lag then
                    'inside the ' || {{ var('release_lag_years') }} || '-year release window (years from '
                    || {{ release_window_start() }} || '): the IMF gives no figure of the republic for'
                    || ' this year yet'
                when f.source_dataset is null and x.republic_iso3 is null then
                    'the IMF goods trade loaded (' || loaded.vintages || ') gives no figure of the'
                    || ' republic for any year: shares unknown'
                when f.source_dataset is null then
                    'the IMF gives no goods-trade figure of the republic for this year (the republic''s'
                    || ' figures run ' || x.ranges || '): shares unknown'
                when f.world_value_usd is null then
                    'the IMF gives no World total of the republic''s '
                    || case s.measure when 'total' then 'exports or imports' else s.measure || 's' end
                    || ' for this year: shares not computed'
                when f.world_value_usd <= 0 then
                    'the IMF''s World total is zero or negative: shares not computed'
            end,
            case when f.is_estimate then 'includes a value the IMF marks as an estimate (e)' end,
            case when f.world_value_usd > 0 then f.partner_cells end
        ), '') as reason,
        case when f.source_dataset is not null then 'imf' end as basis,
        cast(null as varchar) as republic_release,
        false as is_extraction_gap,
        coalesce(f.landing_ids, []::varchar[]) as landing_ids,
        f.vintage,
        f.source_dataset,
        coalesce(f.is_synthetic, loaded.is_synthetic) as source_is_synthetic
    from imf_spine as s
    cross join imf_loaded as loaded
    left join imf_extent as x on x.republic_iso3 = s.republic_iso3
    left join imf_flows as f
        on f.republic_iso3 = s.republic_iso3
        and f.year = s.year
        and f.measure = s.measure

),

unioned as (

    select 'comtrade' as source_id, * from trade_coverage
    union all by name
    select 'imf_dip' as source_id, * from fdi_coverage
    union all by name
    select * from imf_coverage

),

quarantined as (

    -- cells whose records the loader quarantined: their values are unknown. A quarantined world
    -- total of the republic's own report makes the measure unknown (the republic did report: it
    -- is neither "did not report" nor a reason to switch to the partner side), as does one of the
    -- basis the status rests on; a quarantined partner cell is named in the reason.
    select
        republic_iso3,
        year,
        measure,
        'quarantined: ' || string_agg(distinct substr(reason, 14), '; ') as reason,
        bool_or(partner_iso3 = 'WLD' and basis = 'reported') as has_reported_world,
        list(distinct basis) filter (where partner_iso3 = 'WLD') as world_bases
    from {{ ref('int_quarantined_cells_listed') }}
    group by republic_iso3, year, measure

),

checked as (

    select
        unioned.* replace (
            case
                when q.has_reported_world or list_contains(q.world_bases, unioned.basis)
                    then 'unknown'
                else unioned.status
            end as status,
            case
                when q.has_reported_world or list_contains(q.world_bases, unioned.basis)
                    then q.reason
                else nullif(concat_ws('; ', unioned.reason, q.reason), '')
            end as reason
        )
    from unioned
    left join quarantined as q
        on q.republic_iso3 = unioned.republic_iso3
        and q.year = unioned.year
        and q.measure = unioned.measure
        -- the loader quarantines UN Comtrade and IMF DIP records only
        and unioned.source_id in ('comtrade', 'imf_dip')

),

final as (

    select
        source_id,
        republic_iso3,
        republic_name,
        year,
        measure,
        status,
        case
            when source_id = 'imf' and status = 'reported' then
                case source_dataset
                    when 'imf_imts' then 'IMF goods trade (IMTS, live), the sheet of the republic:'
                        || ' its own declarations or IMF estimates from partner data'
                    else 'IMF goods trade (DOTS, bundled workbooks), the sheet of the'
                        || ' republic: its own declarations or IMF estimates from partner data'
                end
            when source_id = 'imf' then null
            when status = 'reported' then
                case when measure = 'fdi_inward' then 'IMF DIP, reported'
                    else 'UN Comtrade, reported by the republic' end
            when status = 'mirror' then 'UN Comtrade, partner-side (mirror)'
            when status = 'derived' then 'IMF DIP, derived from counterpart reports'
        end as source,
        reason,
        republic_release,
        is_extraction_gap,
        is_release_lag,
        vintage,
        -- a republic-year without values is of the kind of its source's other rows
        coalesce(
            source_is_synthetic,
            vintage like '%demo-%',
            bool_or(vintage like '%demo-%') over (partition by source_id),
            false
        ) as is_synthetic,
        landing_ids
    from checked

)

select * from final
