-- China's share of inward FDI, and where it cannot be computed, why (value_status).
-- Run it on the published copy: make sql < dbt_project/analyses/china_share_of_inward_fdi.sql
select republic_iso3, year, basis, share, value_status
from marts.fdi_shares
where partner_iso3 = 'CHN'
order by republic_iso3, year;
