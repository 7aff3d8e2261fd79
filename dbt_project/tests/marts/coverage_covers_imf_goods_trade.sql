{#-
    No republic or year of the IMF's goods trade goes missing silently: with IMF goods trade
    loaded, coverage has a row of source_id 'imf' for every republic x year x flow (export,
    import, total) of the trade years and, per republic, of every year from the first to the
    last an IMF copy gives a figure of that republic for, and none other; its status is 'reported' exactly where the
    preferred IMF row of trade_shares has a positive World total, any other status gives a
    reason, and a partner value the IMF does not give is named in the reason. Returns the rows
    that break one of these, with the problem.
-#}
with

imf_shares as (

    select * from {{ ref('trade_shares') }}
    where source = 'imf'

),

imf_coverage as (

    select * from {{ ref('coverage') }}
    where source_id = 'imf'

),

expected as (

    -- every republic x flow of the trade years and of the republic's own IMF years (from the
    -- first to the last year an IMF copy gives a figure of it)
    select republics.republic_iso3, years.year, flows.flow as measure
    from {{ ref('republics') }} as republics
    inner join (
        select republic_iso3, unnest(range(min(year), max(year) + 1)) as year
        from imf_shares
        where world_value_usd is not null or partner_value_usd is not null
        group by republic_iso3
        union
        select republic_iso3, year from {{ ref('int_republic_years_spined') }}
        where measure = 'export'
    ) as years on years.republic_iso3 = republics.republic_iso3
    cross join (values ('export'), ('import'), ('total')) as flows (flow)
    where exists (select 1 from imf_shares)

),

preferred_worlds as (

    select republic_iso3, year, flow as measure, max(world_value_usd) as world_value_usd
    from imf_shares
    where is_preferred
    group by all

),

no_row as (

    select
        expected.republic_iso3, expected.year, expected.measure,
        cast(null as varchar) as status, cast(null as varchar) as reason,
        'no IMF row in coverage' as problem
    from expected
    left join imf_coverage as c
        on c.republic_iso3 = expected.republic_iso3
        and c.year = expected.year
        and c.measure = expected.measure
    where c.republic_iso3 is null

),

extra_row as (

    select
        c.republic_iso3, c.year, c.measure, c.status, c.reason,
        'IMF row outside the trade years and the republic''s own IMF years' as problem
    from imf_coverage as c
    left join expected
        on expected.republic_iso3 = c.republic_iso3
        and expected.year = c.year
        and expected.measure = c.measure
    where expected.republic_iso3 is null

),

wrong_status as (

    select
        c.republic_iso3, c.year, c.measure, c.status, c.reason,
        'status does not follow the preferred IMF World total (' || coalesce(cast(w.world_value_usd as varchar), 'none')
        || ')' as problem
    from imf_coverage as c
    left join preferred_worlds as w
        on w.republic_iso3 = c.republic_iso3
        and w.year = c.year
        and w.measure = c.measure
    where (c.status = 'reported') <> coalesce(w.world_value_usd > 0, false)
       or c.status = 'missing'
       or (c.status <> 'reported' and c.reason is null)

),

partner_not_named as (

    select
        c.republic_iso3, c.year, c.measure, c.status, c.reason,
        'the IMF gives no ' || partners.short_name || ' value, not named in the reason' as problem
    from imf_shares as t
    inner join {{ ref('partners') }} as partners on partners.partner_iso3 = t.partner_iso3
    inner join imf_coverage as c
        on c.republic_iso3 = t.republic_iso3
        and c.year = t.year
        and c.measure = t.flow
    where t.is_preferred
      and t.row_status = 'partner_missing'
      and strpos(coalesce(c.reason, ''), 'the IMF gives no ' || partners.short_name || ' value') = 0

)

select * from no_row
union all
select * from extra_row
union all
select * from wrong_status
union all
select * from partner_not_named
