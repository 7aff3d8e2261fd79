{#-
    China's against Russia's share, per republic x year x measure (export, import, total on the
    preferred trade basis; fdi_inward from fdi_shares), with who leads and since when. landing_ids
    and vintage are those of the China and Russia rows the shares come from.
-#}
with

spine as (

    select republic_iso3, republic_name, year, measure
    from {{ ref('int_republic_years_spined') }}

),

trade as (

    select republic_iso3, year, flow as measure, partner_iso3, share, basis, landing_ids, vintage
    from {{ ref('trade_shares_preferred') }}

),

fdi as (

    select republic_iso3, year, 'fdi_inward' as measure, partner_iso3, share, basis, landing_ids, vintage
    from {{ ref('fdi_shares') }}

),

shares as (

    select * from trade
    union all
    select * from fdi

),

pivoted as (

    select
        republic_iso3,
        year,
        measure,
        max(share) filter (where partner_iso3 = 'CHN') as china_share,
        max(share) filter (where partner_iso3 = 'RUS') as russia_share,
        max(basis) filter (where partner_iso3 = 'CHN') as china_basis,
        max(basis) filter (where partner_iso3 = 'RUS') as russia_basis,
        list_sort(list_distinct(flatten(list(landing_ids)))) as landing_ids,
        nullif(array_to_string(list_sort(list_distinct(
            flatten(list(string_split(vintage, ', ')))
        )), ', '), '') as vintage
    from shares
    group by republic_iso3, year, measure

),

compared as (

    select
        spine.republic_iso3,
        spine.republic_name,
        spine.year,
        spine.measure,
        pivoted.china_share,
        pivoted.russia_share,
        case
            when pivoted.china_basis is not null and pivoted.russia_basis is not null
                and pivoted.china_basis <> pivoted.russia_basis then 'mixed'
            else coalesce(pivoted.china_basis, pivoted.russia_basis)
        end as basis,
        -- shares within 1e-9 of each other (floating-point noise) are a tie
        case
            when pivoted.china_share is null or pivoted.russia_share is null then null
            when pivoted.china_share - pivoted.russia_share > 1e-9 then 'China'
            when pivoted.russia_share - pivoted.china_share > 1e-9 then 'Russia'
            else 'tie'
        end as leader,
        round((pivoted.china_share - pivoted.russia_share) * 100, 6) as lead_pp,
        coalesce(pivoted.landing_ids, []::varchar[]) as landing_ids,
        pivoted.vintage
    from spine
    left join pivoted
        on pivoted.republic_iso3 = spine.republic_iso3
        and pivoted.year = spine.year
        and pivoted.measure = spine.measure

),

with_history as (

    select
        *,
        min(year) filter (where leader = 'China') over (
            partition by republic_iso3, measure
        ) as first_year_china_led,
        max(year) filter (where leader in ('Russia', 'tie')) over (
            partition by republic_iso3, measure
        ) as last_year_china_did_not_lead,
        max(year) filter (where leader is not null) over (
            partition by republic_iso3, measure
        ) as last_year_compared
    from compared

),

final as (

    select
        republic_iso3,
        republic_name,
        year,
        measure,
        china_share,
        russia_share,
        basis,
        leader,
        lead_pp,
        first_year_china_led,
        -- start of the uninterrupted run of China-led years that reaches the latest compared year
        case
            when last_year_china_did_not_lead is null
                or last_year_china_did_not_lead < last_year_compared
            then min(year) filter (
                where leader = 'China' and year > coalesce(last_year_china_did_not_lead, -1)
            ) over (partition by republic_iso3, measure)
        end as china_led_continuously_since,
        vintage,
        landing_ids
    from with_history

)

select * from final
