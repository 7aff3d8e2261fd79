-- The seed's claim, on shares: is China replacing Russia? Per source and measure, the republics
-- where China's share rose and Russia's fell over one like-for-like span, with the nominal count
-- (China's US-dollar value rose, prices included) beside it. The IMF's real figures first; a
-- synthetic demo line starts 'SYNTHETIC DEMO DATA'.
-- Run it on the published copy: make sql < dbt_project/analyses/the_claim.sql
select summary
from marts.china_replacing_russia_summary
order by
    is_synthetic,
    source,
    case measure when 'total' then 0 when 'export' then 1 when 'import' then 2 else 3 end;
