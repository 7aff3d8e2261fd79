{#-
    Every version of every share, kept across runs: the history marts.share_changes is read from.

    The marts are rebuilt whole with --full-refresh; this model is not (full_refresh=false): each
    build appends, under its pipeline run (env EURASIA_PIPELINE_RUN, the Airflow run id that
    eurasia/pipeline.py sets), the republic x year x measure x partner x basis rows whose share
    differs from the latest version kept (new rows, moved shares, and a null for a share that
    disappeared). A build that changes no share appends nothing. Shares are compared to 1e-12:
    a double sum may differ in its last bits between two builds of the same data.
    A rebuild under the same pipeline run replaces that run's rows.
    source_dataset is part of the key ('comtrade', 'imf_dots', 'imf_imts', 'imf_dip'): the IMF's
    two copies of goods trade keep separate histories. A warehouse whose share_versions predates
    the source columns gets them added (append_new_columns); its older rows are read as
    'comtrade' (trade) and 'imf_dip' (FDI), the only sources there were.
-#}
{{
    config(
        materialized='incremental',
        full_refresh=false,
        incremental_strategy='delete+insert',
        unique_key=['pipeline_run', 'source_dataset', 'republic_iso3', 'year', 'measure', 'partner_iso3', 'basis'],
        on_schema_change='append_new_columns',
    )
}}

{%- set pipeline_run = env_var('EURASIA_PIPELINE_RUN', '') or ('manual__' ~ run_started_at.strftime('%Y%m%dT%H%M%SZ')) %}

with

current_shares as (

    select source, source_dataset, republic_iso3, year, flow as measure, partner_iso3, basis, share,
        vintage, is_synthetic
    from {{ ref('trade_shares') }}

    union all

    select 'imf_dip' as source, 'imf_dip' as source_dataset, republic_iso3, year,
        'fdi_inward' as measure, partner_iso3, basis, share, vintage, is_synthetic
    from {{ ref('fdi_shares') }}
    where basis is not null

),

{% if is_incremental() %}

{#- a table kept from before the source columns lacks them until this build adds them -#}
{%- set kept = adapter.get_columns_in_relation(this) | map(attribute='name') | map('lower') | list %}
{%- set source_before = "case when measure = 'fdi_inward' then 'imf_dip' else 'comtrade' end" %}

earlier as (

    select
        pipeline_run, run_order, recorded_at, republic_iso3, year, measure, partner_iso3, basis,
        share, vintage,
        {{ "coalesce(source, " ~ source_before ~ ")" if 'source' in kept else source_before }}
            as source,
        {{ "coalesce(source_dataset, " ~ source_before ~ ")" if 'source_dataset' in kept else source_before }}
            as source_dataset,
        coalesce(
            {{ 'is_synthetic' if 'is_synthetic' in kept else 'null' }}, vintage like '%demo-%', false
        ) as is_synthetic
    from {{ this }} where pipeline_run <> '{{ pipeline_run }}'

),

this_run as (

    -- a rebuild of the same pipeline run keeps its place in the order
    select coalesce(
        (select max(run_order) from {{ this }} where pipeline_run = '{{ pipeline_run }}'),
        (select max(run_order) from earlier) + 1,
        1
    ) as run_order

),

{% else %}

earlier as (

    select
        cast(null as varchar) as pipeline_run,
        cast(null as integer) as run_order,
        cast(null as timestamptz) as recorded_at,
        cast(null as varchar) as republic_iso3,
        cast(null as integer) as year,
        cast(null as varchar) as measure,
        cast(null as varchar) as partner_iso3,
        cast(null as varchar) as basis,
        cast(null as double) as share,
        cast(null as varchar) as vintage,
        cast(null as varchar) as source,
        cast(null as varchar) as source_dataset,
        cast(null as boolean) as is_synthetic
    where false

),

this_run as (

    select 1 as run_order

),

{% endif %}

latest as (

    select *
    from earlier
    qualify row_number() over (
        partition by source_dataset, republic_iso3, year, measure, partner_iso3, basis
        order by run_order desc
    ) = 1

),

moved as (

    select
        coalesce(c.source, l.source) as source,
        coalesce(c.source_dataset, l.source_dataset) as source_dataset,
        coalesce(c.is_synthetic, l.is_synthetic) as is_synthetic,
        coalesce(c.republic_iso3, l.republic_iso3) as republic_iso3,
        coalesce(c.year, l.year) as year,
        coalesce(c.measure, l.measure) as measure,
        coalesce(c.partner_iso3, l.partner_iso3) as partner_iso3,
        coalesce(c.basis, l.basis) as basis,
        c.share,
        coalesce(c.vintage, l.vintage) as vintage
    from current_shares as c
    full outer join latest as l
        on c.source_dataset = l.source_dataset
        and c.republic_iso3 = l.republic_iso3
        and c.year = l.year
        and c.measure = l.measure
        and c.partner_iso3 = l.partner_iso3
        and c.basis = l.basis
    where
        -- a row seen for the first time
        (l.republic_iso3 is null)
        -- a share that disappeared (recorded as null once)
        or (c.republic_iso3 is null and l.share is not null)
        -- a share that appeared, vanished or moved
        or (c.republic_iso3 is not null and (
            (c.share is null) <> (l.share is null)
            or abs(c.share - l.share) > 1e-12
        ))

)

select
    '{{ pipeline_run }}' as pipeline_run,
    (select run_order from this_run) as run_order,
    cast('{{ run_started_at }}' as timestamptz) as recorded_at,
    republic_iso3,
    year,
    measure,
    partner_iso3,
    basis,
    share,
    vintage,
    source,
    source_dataset,
    is_synthetic
from moved
