-- The year China overtook Russia in each republic's total trade (null: never).
-- Run it on the published copy: make sql < dbt_project/analyses/year_china_first_led_total_trade.sql
select republic_iso3, min(first_year_china_led) as china_first_led
from marts.china_vs_russia
where measure = 'total'
group by republic_iso3
order by china_first_led nulls last, republic_iso3;
