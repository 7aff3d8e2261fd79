-- Where reported and mirror values of trade with China disagree most.
-- Run it on the published copy: make sql < dbt_project/analyses/largest_reported_mirror_gaps.sql
select republic_iso3, year, flow, partner_iso3, reported_value_usd, mirror_value_usd, gap_usd
from marts.trade_asymmetries
where partner_iso3 = 'CHN'
order by abs(gap_usd) desc nulls last, republic_iso3, year, flow
limit 20;
