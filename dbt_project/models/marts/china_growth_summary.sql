{#-
    How many republics saw China's (Russia's) exports, imports, investment rise: one line per
    source (a count never mixes sources, nor real with synthetic data) x partner x measure.
    china_growth measures both partners over the same span and basis in each republic, so the
    two partners' lines compare equal spans.
-#}
with

growth as (

    select * from {{ ref('china_growth') }}

),

partners as (

    select partner_iso3, short_name from {{ ref('partners') }}

),

counted as (

    select
        growth.source,
        bool_or(growth.is_synthetic) as is_synthetic,
        growth.partner_iso3,
        growth.partner_name,
        growth.measure,
        count(*) filter (where growth.rose is not null) as republics_with_data,
        count(*) filter (where growth.rose) as republics_rose,
        count(*) filter (where growth.fell) as republics_fell,
        count(*) filter (where growth.rose is not null and not growth.rose and not growth.fell)
            as republics_unchanged,
        -- provenance of the republics counted
        list_sort(list_distinct(flatten(
            list(growth.landing_ids) filter (where growth.rose is not null)
        ))) as landing_ids,
        nullif(array_to_string(list_sort(list_distinct(flatten(
            list(string_split(growth.vintage, ', ')) filter (where growth.rose is not null)
        ))), ', '), '') as vintage
    from growth
    group by growth.source, growth.partner_iso3, growth.partner_name, growth.measure

),

final as (

    select
        counted.source,
        counted.partner_iso3,
        counted.partner_name,
        counted.measure,
        counted.republics_with_data,
        counted.republics_rose,
        counted.republics_fell,
        counted.republics_unchanged,
        case when counted.is_synthetic then 'SYNTHETIC DEMO DATA - ' else '' end
        || case counted.source
            when 'imf' then 'IMF goods trade: '
            when 'comtrade' then 'UN Comtrade: '
            when 'imf_dip' then 'IMF direct investment: '
            else counted.source || ': '
        end
        || partners.short_name || '''s '
        || case counted.measure
            when 'partner_exports_to_republic' then 'exports'
            when 'partner_imports_from_republic' then 'imports'
            else 'direct investment position'
        end
        || ' rose in ' || counted.republics_rose || ' of ' || counted.republics_with_data
        || ' republics (in each republic the same first and last year and basis for China and'
        || ' Russia: the years in which both have a usable value; China alone for Russia itself)'
            as summary,
        counted.vintage,
        counted.is_synthetic,
        coalesce(counted.landing_ids, []::varchar[]) as landing_ids
    from counted
    inner join partners on partners.partner_iso3 = counted.partner_iso3

)

select * from final
