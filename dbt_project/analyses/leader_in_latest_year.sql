-- Who leads where, in the latest year with data, per source, republic and measure (real IMF
-- figures first; is_synthetic marks the demo's synthetic ones).
-- Run it on the published copy: make sql < dbt_project/analyses/leader_in_latest_year.sql
select source, is_synthetic, republic_iso3, measure, year, leader, round(lead_pp, 1) as lead_pp
from marts.china_vs_russia
where china_share is not null
qualify year = max(year) over (partition by source, republic_iso3, measure)
order by is_synthetic, source, measure, republic_iso3;
