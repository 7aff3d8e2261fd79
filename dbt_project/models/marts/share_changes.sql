{#-
    What each pipeline run changed: every republic x year x measure x partner x basis whose share
    moved, with the share before and after and the UN Comtrade releases loaded by that run that
    can have moved it. Read from share_versions (the history kept across runs); the first run
    recorded is the baseline and lists nothing, and a run that moved no share adds no row.

    Releases: a 'reported' trade share rests on the republic's own declarations, so the
    reporter-side releases of that republic and year; a 'mirror' share rests on what every
    partner declares about the republic, so the partner-side releases of that year by reporters
    that declare trade with it. IMF direct investment has no release information.
-#}
with

versions as (

    select
        *,
        lag(share) over key_order as old_share,
        lag(pipeline_run) over key_order as previous_pipeline_run
    from {{ ref('share_versions') }}
    window key_order as (
        partition by source_dataset, republic_iso3, year, measure, partner_iso3, basis
        order by run_order
    )

),

changes as (

    select *
    from versions
    where run_order > (select min(run_order) from {{ ref('share_versions') }})
        and not (old_share is null and share is null)

),

republics as (

    select republic_iso3, m49_code from {{ ref('republics') }}

),

reporter_names as (

    select reporter_code, any_value(reporter_iso3) as reporter_iso3
    from {{ ref('comtrade_reporters') }}
    group by reporter_code

),

releases as (

    select
        r.*,
        coalesce(n.reporter_iso3, cast(r.reporter_code as varchar)) as reporter_iso3
    from {{ ref('stg_comtrade__loaded_releases') }} as r
    left join reporter_names as n on n.reporter_code = r.reporter_code

),

mirror_declarers as (

    select distinct reporter_code, partner_code, year
    from {{ ref('stg_comtrade__trade_flows') }}
    where dataset = 'mirror'

),

relevant_releases as (

    -- a reported share: the republic's own reporter-side release of that year
    select c.pipeline_run, c.republic_iso3, c.year, c.measure, c.partner_iso3, c.basis, rel.*
        exclude (pipeline_run, year)
    from changes as c
    inner join republics as rep on rep.republic_iso3 = c.republic_iso3
    inner join releases as rel
        on rel.pipeline_run = c.pipeline_run
        and rel.year = c.year
        and rel.dataset = 'reporter'
        and rel.reporter_code = rep.m49_code
    where c.basis = 'reported' and c.measure <> 'fdi_inward' and c.source = 'comtrade'

    union all

    -- a mirror share: the partner-side releases of that year by reporters declaring trade with it
    select c.pipeline_run, c.republic_iso3, c.year, c.measure, c.partner_iso3, c.basis, rel.*
        exclude (pipeline_run, year)
    from changes as c
    inner join republics as rep on rep.republic_iso3 = c.republic_iso3
    inner join releases as rel
        on rel.pipeline_run = c.pipeline_run
        and rel.year = c.year
        and rel.dataset = 'mirror'
    inner join mirror_declarers as d
        on d.reporter_code = rel.reporter_code
        and d.partner_code = rep.m49_code
        and d.year = rel.year
    where c.basis = 'mirror' and c.measure <> 'fdi_inward' and c.source = 'comtrade'

),

moved_by as (

    select
        pipeline_run, republic_iso3, year, measure, partner_iso3, basis,
        count(*) as release_count,
        string_agg(
            reporter_iso3 || ' ' || year || ' '
            || case dataset when 'reporter' then 'reporter side' else 'partner side' end
            || ' (lastReleased ' || coalesce(strftime(last_released, '%Y-%m-%d %H:%M:%S'), '?')
            || ', checksum ' || coalesce(dataset_checksum, '?') || ')',
            '; ' order by dataset desc, reporter_iso3
        ) as releases
    from relevant_releases
    group by all

)

select
    c.pipeline_run,
    c.run_order,
    c.recorded_at,
    c.previous_pipeline_run,
    c.republic_iso3,
    c.year,
    c.measure,
    c.partner_iso3,
    c.basis,
    c.old_share,
    c.share as new_share,
    c.share - c.old_share as difference,
    coalesce(m.release_count, 0) as release_count,
    case
        when c.measure = 'fdi_inward'
            then 'IMF direct investment: the source gives no release information'
        when c.source = 'imf'
            then 'IMF goods trade: the source gives no release information'
        else m.releases
    end as releases,
    c.vintage,
    c.source,
    c.source_dataset,
    -- rows recorded before share_versions had the flag: read from their vintage
    coalesce(c.is_synthetic, c.vintage like '%demo-%', false) as is_synthetic
from changes as c
left join moved_by as m
    on m.pipeline_run = c.pipeline_run
    and m.republic_iso3 = c.republic_iso3
    and m.year = c.year
    and m.measure = c.measure
    and m.partner_iso3 = c.partner_iso3
    and m.basis = c.basis
order by c.run_order, c.republic_iso3, c.year, c.measure, c.partner_iso3, c.basis
