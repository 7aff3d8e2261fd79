-- The year China overtook Russia in each republic's total trade (null: never), per source: the
-- IMF's real figures first, then UN Comtrade's (synthetic in the demo: is_synthetic says which).
-- Run it on the published copy: make sql < dbt_project/analyses/year_china_first_led_total_trade.sql
select source, is_synthetic, republic_iso3, min(first_year_china_led) as china_first_led
from marts.china_vs_russia
where measure = 'total'
group by source, is_synthetic, republic_iso3
order by is_synthetic, source, china_first_led nulls last, republic_iso3;
