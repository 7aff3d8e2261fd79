{#-
    Everything an analyst should know is wrong or odd in the data, one row per finding: what
    (issue), where (republic, year, measure, partner), the rule, its severity and the detail.
      severity 'error' - a structural fault of the warehouse; it blocks publishing (the test
        data_quality_has_no_blocking_faults fails the build and names the rows): a reporter-year
        UN Comtrade lists as released but not landed (extraction gap), a republic-year without a
        usable total and without a reason (unexplained gap), a partner value missing outside the
        release window where its reporter released the year;
      severity 'warn' - an anomaly or pattern of the source itself; flagged, the marts are
        published (the test data_quality_source_anomalies warns and the run summary counts them).
    Built from the marts and intermediate models, so that it explains a failed build.
    source says which source a finding is about ('comtrade', 'imf' goods trade, 'imf_dip'), and
    is_synthetic whether that source's data in the warehouse is the synthetic demo snapshot.
-#}
with

republics as (

    select republic_iso3, m49_code from {{ ref('republics') }}

),

reporters as (

    select reporter_code, reporter_iso3, reporter_name from {{ ref('comtrade_reporters') }}

),

extraction_gaps as (

    select
        'extraction_gap' as issue,
        'error' as severity,
        republics.republic_iso3,
        r.year,
        cast(null as varchar) as measure,
        cast(null as varchar) as partner_iso3,
        'a reporter-year UN Comtrade lists as released (totalRecords > 0) must have landed rows' as rule,
        'UN Comtrade lists ' || republics.republic_iso3 || ' ' || r.year || ' as released ('
        || r.total_records || ' records, last released ' || coalesce(cast(r.last_released as varchar), '?')
        || ') but no row of it was landed: check the extraction' as detail
    from {{ ref('int_reporter_years_assessed') }} as r
    inner join republics on republics.m49_code = r.reporter_code
    where r.is_extraction_gap

),

coverage as (

    select * from {{ ref('coverage') }}

),

unexplained_gaps as (

    select
        'unexplained_gap' as issue,
        'error' as severity,
        republic_iso3,
        year,
        measure,
        cast(null as varchar) as partner_iso3,
        'outside the release window every republic-year-measure has a usable world total or a reason from the source' as rule,
        coalesce(reason, 'no usable world total') as detail
    from coverage
    where status = 'missing'

),

no_side_declares as (

    select
        'no_side_declares' as issue,
        'warn' as severity,
        republic_iso3,
        year,
        measure,
        cast(null as varchar) as partner_iso3,
        'a share no side declares is unknown (null), never 0' as rule,
        reason as detail
    from coverage
    where status = 'unknown'
      and coalesce(reason, '') not like 'quarantined: %'  -- listed as record_quarantined
      and source_id <> 'imf'  -- the IMF's empty cells are listed as imf_value_missing

),

trade_shares as (

    select * from {{ ref('trade_shares') }}

),

trade_partner_gaps as (

    select
        'partner_value_missing' as issue,
        'error' as severity,
        republic_iso3,
        year,
        flow as measure,
        partner_iso3,
        'outside the release window a preferred trade row has the partner value and the world total' as rule,
        row_status || ' on the ' || basis || ' basis' || coalesce(': ' || notes, '') as detail
    from trade_shares
    where source = 'comtrade'
      and is_preferred
      and not is_release_lag
      and row_status in ('partner_missing', 'no_world_value')
      and coalesce(notes, '') not like 'quarantined: %'  -- listed as record_quarantined

),

trade_anomalies as (

    select
        row_status as issue,
        'warn' as severity,
        republic_iso3,
        year,
        flow as measure,
        partner_iso3,
        case row_status
            when 'partner_exceeds_world' then 'a partner value does not exceed the world total'
            when 'partner_value_unknown' then 'a declared partner record gives a usable total (else unknown, not 0)'
            when 'partner_not_reported' then 'the partner released the year to UN Comtrade (else its side is unknown)'
        end as rule,
        case when source = 'comtrade' then '' else source_dataset || ', ' end
        || basis || ' basis: ' || coalesce(notes, row_status) as detail
    from trade_shares
    where row_status in ('partner_exceeds_world', 'partner_value_unknown', 'partner_not_reported')
      -- flows only: the total repeats them
      and flow <> 'total'

),

shares_above_one as (

    select
        'shares_sum_above_one' as issue,
        'warn' as severity,
        republic_iso3,
        year,
        flow as measure,
        cast(null as varchar) as partner_iso3,
        'China''s and Russia''s shares of one flow sum to at most 1' as rule,
        case when source = 'comtrade' then '' else source_dataset || ', ' end
        || basis || ' basis: China + Russia = ' || printf('%.4f', sum(share)) || ' of the world total' as detail
    from trade_shares
    where flow <> 'total'
    group by source, source_dataset, republic_iso3, year, flow, basis
    having sum(share) > 1 + 1e-6

),

worlds_lacking_partners as (

    select
        'world_lacks_major_partner' as issue,
        'warn' as severity,
        w.republic_iso3,
        w.year,
        w.flow as measure,
        coalesce(reporters.reporter_iso3, cast(missing.reporter_code as varchar)) as partner_iso3,
        'a partner-side world total includes every partner that usually makes up at least '
        || printf('%g', cast({{ var('mirror_major_reporter_min_share') }} * 100 as double))
        || '% of it, and China and Russia wherever they usually declare trade with the republic'
        || ' (else it is incomplete: no share)' as rule,
        'partner-side world total ' || w.incompleteness as detail
    from {{ ref('int_trade_mirror_worlds_assessed') }} as w
    cross join unnest(w.missing_major_reporter_codes) as missing (reporter_code)
    left join reporters on reporters.reporter_code = missing.reporter_code
    where w.flow <> 'total'

),

null_records as (

    select
        'record_value_null' as issue,
        'warn' as severity,
        coalesce(by_reporter.republic_iso3, by_partner.republic_iso3) as republic_iso3,
        staged.year,
        staged.flow as measure,
        cast(null as varchar) as partner_iso3,
        'a landed total record has a value (else it is unknown, never 0)' as rule,
        'reporter ' || staged.reporter_code || ', partner ' || staged.partner_code || ', '
        || staged.flow || ', ' || staged.dataset || ' dataset: primaryValue is null' as detail
    from {{ ref('stg_comtrade__trade_flows') }} as staged
    left join republics as by_reporter on by_reporter.m49_code = staged.reporter_code
    left join republics as by_partner on by_partner.m49_code = staged.partner_code
    where staged.freq_code = 'A'
      and staged.cmd_code = 'TOTAL'
      and staged.value_usd is null
      and (by_reporter.republic_iso3 is not null or by_partner.republic_iso3 is not null)

),

quarantined_records as (

    -- records the loader set aside (eurasia/quarantine.py): the cells they touch are unknown
    select
        'record_quarantined' as issue,
        'warn' as severity,
        coalesce(by_reporter.republic_iso3, by_partner.republic_iso3, by_country.republic_iso3)
            as republic_iso3,
        q.year,
        case when q.source = 'imf_dip' then 'fdi_inward' else q.flow end as measure,
        cast(null as varchar) as partner_iso3,
        'a malformed record is quarantined, never read as data; the cells it touches are unknown'
            as rule,
        q.reason || ' (' || q.source || ' ' || q.dataset || ', landing ' || q.landing_id
        || coalesce(', ' || q.url, '') || ')' as detail
    from {{ ref('stg_raw_zone__quarantined_records') }} as q
    left join republics as by_reporter on by_reporter.m49_code = q.reporter_code
    left join republics as by_partner on by_partner.m49_code = q.partner_code
    left join republics as by_country on by_country.republic_iso3 = q.country_iso3

),

availability_unknown as (

    select
        'availability_not_landed' as issue,
        'warn' as severity,
        republics.republic_iso3,
        r.year,
        cast(null as varchar) as measure,
        cast(null as varchar) as partner_iso3,
        'whether a republic released a year is read from UN Comtrade''s data availability' as rule,
        'no UN Comtrade availability record landed for ' || r.year
        || ': whether the republic reported is not known from the source' as detail
    from {{ ref('int_reporter_years_assessed') }} as r
    inner join republics on republics.m49_code = r.reporter_code
    where r.release_status = 'unknown'

),

imf_cells_empty as (

    -- the IMF's own gaps (an empty workbook cell, an observation not served): unknown, not 0
    select
        'imf_value_missing' as issue,
        'warn' as severity,
        republic_iso3,
        year,
        flow as measure,
        partner_iso3,
        'the IMF gives the partner value and the World total of a republic''s flow (else unknown, never 0)' as rule,
        source_dataset || ': ' || row_status || coalesce(': ' || notes, '') as detail
    from trade_shares
    where source = 'imf'
      and is_preferred
      and flow <> 'total'
      and row_status in ('partner_missing', 'no_world_value')

),

imf_years_unknown as (

    -- the IMF's gaps seen only in coverage (a republic-year the IMF gives no figure of, a flow
    -- without a usable World total): one row per coverage row 'unknown' not already listed
    -- above for the same republic, year and measure
    select
        'imf_value_missing' as issue,
        'warn' as severity,
        republic_iso3,
        year,
        measure,
        cast(null as varchar) as partner_iso3,
        'the IMF gives the partner value and the World total of a republic''s flow (else unknown, never 0)' as rule,
        reason as detail
    from coverage
    where source_id = 'imf'
      and status = 'unknown'
      and not exists (
          select 1 from imf_cells_empty as e
          where e.republic_iso3 = coverage.republic_iso3 and e.year = coverage.year
            and e.measure = coverage.measure
      )

),

fdi_shares as (

    select * from {{ ref('fdi_shares') }}

),

fdi_partner_gaps as (

    select
        'partner_value_missing' as issue,
        'error' as severity,
        republic_iso3,
        year,
        'fdi_inward' as measure,
        partner_iso3,
        'outside the release window an FDI cell has a value or is confidential' as rule,
        value_status || ' on the ' || basis || ' basis' as detail
    from fdi_shares
    where not is_release_lag
      and value_status in ('partner_missing', 'world_missing')
      and not exists (  -- a quarantined cell is listed as record_quarantined
          select 1 from {{ ref('int_quarantined_cells_listed') }} as q
          where q.republic_iso3 = fdi_shares.republic_iso3 and q.year = fdi_shares.year
            and q.measure = 'fdi_inward' and q.basis = fdi_shares.basis
            and q.partner_iso3 in ('WLD', fdi_shares.partner_iso3)
      )

),

fdi_basis_switches as (

    select
        'fdi_basis_switch' as issue,
        'warn' as severity,
        republic_iso3,
        year,
        'fdi_inward' as measure,
        cast(null as varchar) as partner_iso3,
        'one basis per republic series; a switch is flagged' as rule,
        'the FDI basis switches to ' || basis || ' this year: shares before and after are on different bases'
            as detail
    from fdi_shares
    where basis_changed_from_previous_year
    qualify row_number() over (partition by republic_iso3, year order by partner_iso3) = 1

),

unioned as (

    select * from extraction_gaps
    union all select * from unexplained_gaps
    union all select * from no_side_declares
    union all select * from trade_partner_gaps
    union all select * from trade_anomalies
    union all select * from shares_above_one
    union all select * from worlds_lacking_partners
    union all select * from null_records
    union all select * from quarantined_records
    union all select * from availability_unknown
    union all select * from fdi_partner_gaps
    union all select * from fdi_basis_switches
    union all select * from imf_cells_empty
    union all select * from imf_years_unknown

),

sourced as (

    select
        *,
        case
            when measure = 'fdi_inward' then 'imf_dip'
            when issue = 'imf_value_missing' or detail like 'imf_dots, %' or detail like 'imf_imts, %'
                then 'imf'
            else 'comtrade'
        end as source
    from unioned

),

source_kinds as (

    -- whether each source's landed data is the synthetic demo snapshot
    select
        case when source in ('imf_dots', 'imf_imts') then 'imf' else source end as source,
        bool_or(is_demo) as is_synthetic
    from {{ ref('stg_raw_zone__landings') }}
    group by all

)

select
    sourced.issue, sourced.severity, sourced.republic_iso3, sourced.year, sourced.measure,
    sourced.partner_iso3, sourced.rule, sourced.detail, sourced.source,
    coalesce(source_kinds.is_synthetic, false) as is_synthetic
from sourced
left join source_kinds on source_kinds.source = sourced.source
