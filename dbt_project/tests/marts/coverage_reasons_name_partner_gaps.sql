{#-
    Partner gaps must not pass silently: where a partner cell lacks a value although the world
    total is there - an FDI cell that is confidential or missing (fdi_shares.value_status), or a
    preferred trade row whose partner declared nothing (trade_shares_preferred.row_status
    'partner_missing') or released nothing to UN Comtrade that year ('partner_not_reported') - the
    coverage reason of that republic-year-measure names the partner and the gap.
-#}
with

partners as (

    select partner_iso3, short_name from {{ ref('partners') }}

),

gaps as (

    select
        fdi.republic_iso3,
        fdi.year,
        'fdi_inward' as measure,
        partners.short_name || '''s cell is '
        || case fdi.value_status when 'confidential' then 'confidential' else 'missing' end
            as expected_phrase
    from {{ ref('fdi_shares') }} as fdi
    inner join partners on partners.partner_iso3 = fdi.partner_iso3
    where fdi.value_status in ('confidential', 'partner_missing')

    union all

    select
        trade.republic_iso3,
        trade.year,
        trade.flow as measure,
        partners.short_name || case trade.row_status
            when 'partner_missing' then ' declared no trade with the republic'
            else ' released no data to UN Comtrade for this year'
        end as expected_phrase
    from {{ ref('trade_shares_preferred') }} as trade
    inner join partners on partners.partner_iso3 = trade.partner_iso3
    where trade.row_status in ('partner_missing', 'partner_not_reported')
      -- coverage is UN Comtrade's (the IMF's own gaps are data_quality 'imf_value_missing')
      and trade.source = 'comtrade'

)

select gaps.*, coverage.status, coverage.reason
from gaps
left join {{ ref('coverage') }} as coverage
    on coverage.source_id = case gaps.measure when 'fdi_inward' then 'imf_dip' else 'comtrade' end
    and coverage.republic_iso3 = gaps.republic_iso3
    and coverage.year = gaps.year
    and coverage.measure = gaps.measure
where coverage.reason is null
   or strpos(coverage.reason, gaps.expected_phrase) = 0
