{#-
    Did China's (and Russia's) trade with and investment in each republic grow between the first
    and the last year with data in the range? Per republic x partner x measure, on one basis for
    both years where possible.
-#}
with

measures as (

    select * from (values
        ('partner_exports_to_republic', 'import'),
        ('partner_imports_from_republic', 'export'),
        ('partner_direct_investment_position', 'fdi_inward')
    ) as m (measure, republic_measure)

),

trade as (

    select
        republic_iso3,
        partner_iso3,
        flow as republic_measure,
        year,
        basis,
        partner_value_usd as value_usd,
        is_preferred
    from {{ ref('trade_shares') }}
    where flow in ('export', 'import')
      and partner_value_usd is not null

),

fdi as (

    select
        pivoted.republic_iso3,
        pivoted.partner_iso3,
        'fdi_inward' as republic_measure,
        pivoted.year,
        pivoted.derivation as basis,
        pivoted.partner_position_usd as value_usd,
        pivoted.derivation = chosen.basis as is_preferred
    from {{ ref('int_fdi_positions_pivoted') }} as pivoted
    inner join {{ ref('int_fdi_bases_chosen') }} as chosen
        on chosen.republic_iso3 = pivoted.republic_iso3
        and chosen.year = pivoted.year
    where pivoted.partner_position_usd is not null

),

observations as (

    select measures.measure, v.*
    from (select * from trade union all select * from fdi) as v
    inner join measures on measures.republic_measure = v.republic_measure

),

span as (

    -- first and last year with a value on the preferred basis
    select
        republic_iso3,
        partner_iso3,
        measure,
        min(year) as first_year,
        max(year) as last_year
    from observations
    where is_preferred
    group by republic_iso3, partner_iso3, measure

),

ends as (

    select
        span.*,
        first_pref.basis as first_preferred_basis,
        last_pref.basis as last_preferred_basis,
        -- is the last year's preferred basis also available in the first year, and vice versa?
        exists (
            select 1 from observations as o
            where o.republic_iso3 = span.republic_iso3 and o.partner_iso3 = span.partner_iso3
              and o.measure = span.measure and o.year = span.first_year
              and o.basis = last_pref.basis
        ) as last_basis_in_first_year,
        exists (
            select 1 from observations as o
            where o.republic_iso3 = span.republic_iso3 and o.partner_iso3 = span.partner_iso3
              and o.measure = span.measure and o.year = span.last_year
              and o.basis = first_pref.basis
        ) as first_basis_in_last_year
    from span
    inner join observations as first_pref
        on first_pref.republic_iso3 = span.republic_iso3
        and first_pref.partner_iso3 = span.partner_iso3
        and first_pref.measure = span.measure
        and first_pref.year = span.first_year
        and first_pref.is_preferred
    inner join observations as last_pref
        on last_pref.republic_iso3 = span.republic_iso3
        and last_pref.partner_iso3 = span.partner_iso3
        and last_pref.measure = span.measure
        and last_pref.year = span.last_year
        and last_pref.is_preferred

),

bases_used as (

    select
        *,
        case
            when first_preferred_basis = last_preferred_basis then first_preferred_basis
            when last_basis_in_first_year then last_preferred_basis
            when first_basis_in_last_year then first_preferred_basis
        end as common_basis
    from ends

),

valued as (

    select
        b.*,
        coalesce(b.common_basis, b.first_preferred_basis) as first_basis,
        coalesce(b.common_basis, b.last_preferred_basis) as last_basis,
        first_obs.value_usd as first_value_usd,
        last_obs.value_usd as last_value_usd
    from bases_used as b
    inner join observations as first_obs
        on first_obs.republic_iso3 = b.republic_iso3
        and first_obs.partner_iso3 = b.partner_iso3
        and first_obs.measure = b.measure
        and first_obs.year = b.first_year
        and first_obs.basis = coalesce(b.common_basis, b.first_preferred_basis)
    inner join observations as last_obs
        on last_obs.republic_iso3 = b.republic_iso3
        and last_obs.partner_iso3 = b.partner_iso3
        and last_obs.measure = b.measure
        and last_obs.year = b.last_year
        and last_obs.basis = coalesce(b.common_basis, b.last_preferred_basis)

),

republics as (

    select republic_iso3, republic_name from {{ ref('republics') }}

),

partners as (

    select partner_iso3, partner_name from {{ ref('partners') }}
    where not is_world

),

grid as (

    select republics.*, partners.*, measures.measure
    from republics
    cross join partners
    cross join measures
    where partners.partner_iso3 <> republics.republic_iso3

),

final as (

    select
        grid.republic_iso3,
        grid.republic_name,
        grid.partner_iso3,
        grid.partner_name,
        grid.measure,
        valued.first_year,
        valued.last_year,
        valued.first_value_usd,
        valued.last_value_usd,
        case when valued.last_year > valued.first_year
            then valued.last_value_usd - valued.first_value_usd
        end as change_usd,
        case when valued.last_year > valued.first_year
            then valued.last_value_usd > valued.first_value_usd
        end as rose,
        case when valued.last_year > valued.first_year
            then valued.last_value_usd < valued.first_value_usd
        end as fell,
        case
            when valued.first_year is null then null
            when valued.common_basis is not null then valued.common_basis
            else 'mixed'
        end as basis,
        valued.first_basis,
        valued.last_basis,
        case
            when valued.first_year is null then 'no data in the range'
            when valued.first_year = valued.last_year then 'a single year with data: no change measured'
            when valued.first_preferred_basis = valued.last_preferred_basis then null
            when valued.common_basis is not null then
                'preferred basis differs between the years (first: ' || valued.first_preferred_basis
                || ', last: ' || valued.last_preferred_basis || '); ' || valued.common_basis
                || ' used for both years so that the change is on one basis'
            else
                'no single basis covers both years: first year on ' || valued.first_preferred_basis
                || ', last year on ' || valued.last_preferred_basis || ' - the change mixes bases'
        end as basis_note
    from grid
    left join valued
        on valued.republic_iso3 = grid.republic_iso3
        and valued.partner_iso3 = grid.partner_iso3
        and valued.measure = grid.measure

)

select * from final
