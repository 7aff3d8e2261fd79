{#-
    Reported and mirror trade values in one long table: republic x year x flow x basis x partner
    (WLD, CHN, RUS), with
      - reported partner values imputed as 0 where the republic reported the flow's world total
        and no record at all for the partner (Comtrade omits empty partner flows), flagged
        is_imputed_zero;
      - reported partner values unknown (null, is_value_unknown) where a record for the partner
        is there but gives no usable total (a null value, or no exact all-commodity total): such a
        record is not an omitted flow, so it is never taken for 0;
      - flow 'total' = export + import on the same basis, only where both exist.
-#}
with

reported as (

    select
        republic_iso3,
        year,
        flow,
        'reported' as basis,
        partner_iso3,
        value_usd,
        false as is_imputed_zero,
        false as is_value_unknown,
        cast(null as bigint) as reporter_count,
        [landing_id] as landing_ids,
        vintage
    from {{ ref('int_trade_values_reported') }}

),

partners as (

    select partner_iso3, m49_code from {{ ref('partners') }}
    where not is_world

),

republics as (

    select republic_iso3, m49_code from {{ ref('republics') }}

),

partner_records as (

    -- every annual record a republic declared with China or Russia, usable as a total or not
    select distinct republics.republic_iso3, staged.year, staged.flow, partners.partner_iso3
    from {{ ref('stg_comtrade__trade_flows') }} as staged
    inner join republics on staged.reporter_code = republics.m49_code
    inner join partners on staged.partner_code = partners.m49_code
    where staged.freq_code = 'A'

    union

    -- a record the loader quarantined is there too, its value unknown (never an imputed 0)
    select republic_iso3, year, measure as flow, partner_iso3
    from {{ ref('int_quarantined_cells_listed') }}
    where basis = 'reported' and measure in ('export', 'import') and partner_iso3 <> 'WLD'

),

imputed_zeros as (

    select
        world.republic_iso3,
        world.year,
        world.flow,
        'reported' as basis,
        partners.partner_iso3,
        case when partner_records.partner_iso3 is null then 0.0 end as value_usd,
        partner_records.partner_iso3 is null as is_imputed_zero,
        partner_records.partner_iso3 is not null as is_value_unknown,
        cast(null as bigint) as reporter_count,
        -- the response that carried the world total and no usable row for this partner
        world.landing_ids,
        world.vintage
    from reported as world
    cross join partners
    left join partner_records
        on partner_records.republic_iso3 = world.republic_iso3
        and partner_records.year = world.year
        and partner_records.flow = world.flow
        and partner_records.partner_iso3 = partners.partner_iso3
    where world.partner_iso3 = 'WLD'
      and partners.partner_iso3 <> world.republic_iso3
      and not exists (
          select 1
          from reported
          where reported.republic_iso3 = world.republic_iso3
            and reported.year = world.year
            and reported.flow = world.flow
            and reported.partner_iso3 = partners.partner_iso3
      )

),

mirrored as (

    select
        republic_iso3,
        year,
        flow,
        'mirror' as basis,
        partner_iso3,
        value_usd,
        false as is_imputed_zero,
        false as is_value_unknown,
        cast(reporter_count as bigint) as reporter_count,
        landing_ids,
        vintage
    from {{ ref('int_trade_values_mirrored') }}

),

by_flow as (

    select * from reported
    union all
    select * from imputed_zeros
    union all
    select * from mirrored

),

totals as (

    select
        republic_iso3,
        year,
        'total' as flow,
        basis,
        partner_iso3,
        -- an unknown flow leaves the total unknown (sum() would skip it)
        case when not bool_or(is_value_unknown) then round(sum(value_usd), 2) end as value_usd,
        bool_or(is_imputed_zero) as is_imputed_zero,
        bool_or(is_value_unknown) as is_value_unknown,
        -- the smaller of the two flows' reporter counts
        min(reporter_count) as reporter_count,
        list_sort(list_distinct(flatten(list(landing_ids)))) as landing_ids,
        array_to_string(list_sort(list_distinct(
            flatten(list(string_split(vintage, ', ')))
        )), ', ') as vintage
    from by_flow
    group by republic_iso3, year, basis, partner_iso3
    having count(*) filter (where flow = 'export') = 1
       and count(*) filter (where flow = 'import') = 1

)

select * from by_flow
union all
select * from totals
