{#-
    Annual goods-trade totals in the year range: all commodities (TOTAL), all customs procedures
    (C00), all modes of transport (0), no second partner (0), with a value. Both the reported and
    the mirror basis start from these rows.
-#}
select * from {{ ref('stg_comtrade__trade_flows') }}
where freq_code = 'A'
  and flow in ('export', 'import')
  and coalesce(cmd_code, 'TOTAL') = 'TOTAL'
  and coalesce(customs_code, 'C00') = 'C00'
  and coalesce(mot_code, 0) = 0
  and coalesce(partner2_code, 0) = 0
  and value_usd is not null
  and year between {{ var('first_year') }} and {{ var('last_year') }}
