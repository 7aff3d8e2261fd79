-- The seed's claim: has China increased its trade with and investment in nearly every former
-- Soviet republic? One line per partner and measure.
-- Run it on the published copy: make sql < dbt_project/analyses/the_claim.sql
select summary
from marts.china_growth_summary
order by partner_iso3, measure;
