{#-
    The FDI basis of each republic x year: 'reported' (DV_TYPE O) where the republic reported its
    world inward position (a value, not an empty or confidential cell); otherwise 'derived'
    (DV_TYPE SCC, from counterpart economies' reports) where that has a world value; otherwise
    whichever derivation has any observation (reported first) - its values then explain why no
    share can be computed. A reported world position the loader quarantined keeps the basis
    'reported' (its value unknown).
-#}
with

pivoted as (

    select * from {{ ref('int_fdi_positions_pivoted') }}

),

per_year as (

    select
        republic_iso3,
        year,
        bool_or(derivation = 'reported' and world_position_usd is not null) as has_reported_world,
        bool_or(derivation = 'derived' and world_position_usd is not null) as has_derived_world,
        bool_or(derivation = 'reported') as has_reported_rows,
        bool_or(derivation = 'derived') as has_derived_rows
    from pivoted
    group by republic_iso3, year

),

chosen as (

    select
        *,
        case
            -- a world position the republic reported but the loader quarantined is unknown, never
            -- replaced by the derived series (int_quarantined_cells_listed)
            when has_reported_world or exists (
                select 1 from {{ ref('int_quarantined_cells_listed') }} as q
                where q.republic_iso3 = per_year.republic_iso3 and q.year = per_year.year
                  and q.measure = 'fdi_inward' and q.basis = 'reported' and q.partner_iso3 = 'WLD'
            ) then 'reported'
            when has_derived_world then 'derived'
            when has_reported_rows then 'reported'
            when has_derived_rows then 'derived'
        end as basis
    from per_year

),

with_world as (

    -- the world position on the chosen basis (identical on every partner row)
    select
        chosen.*,
        world.world_position_usd,
        world.world_is_confidential,
        world.world_row_present
    from chosen
    left join (
        select distinct
            republic_iso3, year, derivation,
            world_position_usd, world_is_confidential, world_row_present
        from pivoted
    ) as world
        on world.republic_iso3 = chosen.republic_iso3
        and world.year = chosen.year
        and world.derivation = chosen.basis

)

select * from with_world
