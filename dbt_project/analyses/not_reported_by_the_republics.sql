-- What is not reported by the republics themselves, and why.
-- Run it on the published copy: make sql < dbt_project/analyses/not_reported_by_the_republics.sql
select republic_iso3, year, measure, status, reason
from marts.coverage
where status <> 'reported'
order by republic_iso3, year, measure;
