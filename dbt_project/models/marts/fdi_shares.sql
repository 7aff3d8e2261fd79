{#-
    China's and Russia's shares of each republic's inward direct investment position (IMF DIP),
    every republic x year held (from fdi_first_year) x partner, on one basis per republic-year
    (see int_fdi_bases_chosen). A derived (SCC) world total sums only the counterpart economies
    that report: flagged partial. A series whose basis differs from the previous year's is
    flagged, so that a comparison across the switch is not taken for like with like. Both flags
    are null (unknown) in a year without a basis (no observation).
-#}
with

spine as (

    select republic_iso3, republic_name, year, is_release_lag
    from {{ ref('int_republic_years_spined') }}
    where measure = 'fdi_inward'

),

partners as (

    select partner_iso3, partner_name from {{ ref('partners') }}
    where not is_world

),

chosen as (

    select * from {{ ref('int_fdi_bases_chosen') }}

),

pivoted as (

    select * from {{ ref('int_fdi_positions_pivoted') }}

),

joined as (

    select
        spine.republic_iso3,
        spine.republic_name,
        spine.year,
        partners.partner_iso3,
        partners.partner_name,
        chosen.basis,
        pivoted.partner_position_usd,
        coalesce(pivoted.partner_is_confidential, false) as partner_is_confidential,
        chosen.world_position_usd,
        coalesce(chosen.world_is_confidential, false) as world_is_confidential,
        spine.is_release_lag,
        pivoted.vintage,
        coalesce(pivoted.landing_ids, []::varchar[]) as landing_ids
    from spine
    cross join partners
    left join chosen
        on chosen.republic_iso3 = spine.republic_iso3
        and chosen.year = spine.year
    left join pivoted
        on pivoted.republic_iso3 = spine.republic_iso3
        and pivoted.year = spine.year
        and pivoted.derivation = chosen.basis
        and pivoted.partner_iso3 = partners.partner_iso3
    where partners.partner_iso3 <> spine.republic_iso3

),

final as (

    select
        republic_iso3,
        republic_name,
        year,
        partner_iso3,
        partner_name,
        basis,
        partner_position_usd,
        world_position_usd,
        case
            when world_position_usd > 0 and partner_position_usd is not null
                then partner_position_usd / world_position_usd
        end as share,
        case
            when basis is null
                then case when is_release_lag then 'not_yet_released' else 'missing' end
            when world_is_confidential then 'world_confidential'
            when world_position_usd is null then 'world_missing'
            when world_position_usd <= 0 then 'world_not_positive'
            when partner_is_confidential then 'confidential'
            when partner_position_usd is null then 'partner_missing'
            else 'ok'
        end as value_status,
        partner_is_confidential,
        world_is_confidential,
        -- a derived world total is a sum of the counterparts that report, not the whole world;
        -- unknown (null) without a basis: there is no world total to judge
        case when basis is not null then basis = 'derived' end as world_is_partial,
        -- the basis of the republic's series changes from the previous year that has one (false
        -- in the first such year); unknown (null) in a year without a basis
        case when basis is not null then coalesce(basis <> lag(basis) over (
            partition by republic_iso3, partner_iso3, basis is not null order by year
        ), false) end as basis_changed_from_previous_year,
        is_release_lag,
        'imf_dip' as source,
        vintage,
        -- a row without values is of the kind of the source's other rows
        coalesce(
            vintage like '%demo-%',
            (select bool_or(p.vintage like '%demo-%') from pivoted as p),
            false
        ) as is_synthetic,
        landing_ids
    from joined

)

select * from final
