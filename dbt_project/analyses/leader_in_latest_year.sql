-- Who leads where, in the latest year with data, per republic and measure.
-- Run it on the published copy: make sql < dbt_project/analyses/leader_in_latest_year.sql
select republic_iso3, measure, year, leader, round(lead_pp, 1) as lead_pp
from marts.china_vs_russia
where china_share is not null
qualify year = max(year) over (partition by republic_iso3, measure)
order by measure, republic_iso3;
