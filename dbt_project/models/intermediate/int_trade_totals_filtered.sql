{#-
    Annual goods-trade totals of every loaded year: all commodities (TOTAL), all customs procedures
    (C00), all modes of transport (0), no second partner (0), with a value. Both the reported and
    the mirror basis start from these rows. The breakdown codes must equal the total codes
    exactly: a row with a null code is a breakdown of unknown kind, not a total.
-#}
select * from {{ ref('stg_comtrade__trade_flows') }}
where freq_code = 'A'
  and flow in ('export', 'import')
  and cmd_code = 'TOTAL'
  and customs_code = 'C00'
  and mot_code = 0
  and partner2_code = 0
  and value_usd is not null
