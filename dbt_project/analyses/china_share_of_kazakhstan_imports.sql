-- China's share of Kazakhstan's imports, year by year (preferred basis), per source: the IMF's
-- real figures (source imf) and UN Comtrade's (synthetic in the demo: is_synthetic says which).
-- Run it on the published copy: make sql < dbt_project/analyses/china_share_of_kazakhstan_imports.sql
select source, is_synthetic, year, round(100 * share, 1) as china_share_pct, basis
from marts.trade_shares_preferred
where republic_iso3 = 'KAZ' and flow = 'import' and partner_iso3 = 'CHN'
order by is_synthetic, source, year;
