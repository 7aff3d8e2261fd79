{#-
    Unknown is never silent: every trade_shares row without a share says why in its notes (a
    republic that released nothing that year, a year inside the release window, a partner-side
    world lacking partners, a quarantined record, ...). Each returned row has a null share and no
    notes.
-#}
select source_dataset, republic_iso3, year, flow, partner_iso3, basis, row_status
from {{ ref('trade_shares') }}
where share is null and nullif(trim(coalesce(notes, '')), '') is null
