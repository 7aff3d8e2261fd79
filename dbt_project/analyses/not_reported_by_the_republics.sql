-- What the republics did not report to UN Comtrade themselves, and why (coverage of the source
-- 'comtrade'; the IMF's rows, source_id 'imf' and 'imf_dip', are left out).
-- Run it on the published copy: make sql < dbt_project/analyses/not_reported_by_the_republics.sql
select source_id, republic_iso3, year, measure, status, reason
from marts.coverage
where source_id = 'comtrade'
  and status <> 'reported'
order by republic_iso3, year, measure;
