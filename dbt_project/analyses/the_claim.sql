-- The seed's claim: has China increased its trade with and investment in nearly every former
-- Soviet republic? One line per source, partner and measure (the IMF's real figures first; a
-- synthetic demo line starts 'SYNTHETIC DEMO DATA').
-- Run it on the published copy: make sql < dbt_project/analyses/the_claim.sql
select summary
from marts.china_growth_summary
order by is_synthetic, source, partner_iso3, measure;
