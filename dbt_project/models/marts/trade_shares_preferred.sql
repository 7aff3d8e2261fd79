{#- The preferred row of trade_shares for every republic x year x flow x partner that has a value. -#}
select *
from {{ ref('trade_shares') }}
where is_preferred
