{#-
    Unknown is never silent: every trade_shares row without a share says why in its notes, in the
    words of its row_status - not merely some note (a mirror or IMF row always carries its
    conversion or source header, which explains nothing). `reasons` maps each source and
    row_status that leaves the share null to a phrase its notes must contain. Each returned row
    has a null share and either a row_status with no known reason (a new status, or a null share
    on an 'ok' row) or notes without the status's phrase.
-#}
with

reasons (source, row_status, phrase) as (

    values
        ('comtrade', 'no_data', 'unknown on this basis, not 0'),
        ('comtrade', 'not_yet_released', 'not yet released it to UN Comtrade'),
        ('comtrade', 'no_world_value', 'world total for this flow and year, only the '),
        ('comtrade', 'world_not_positive', ') is not positive'),
        ('comtrade', 'world_incomplete', 'partner-side world total incomplete: '),
        ('comtrade', 'partner_value_unknown', ' record for this flow without a usable all-commodity total'),
        ('comtrade', 'partner_not_reported', ' released no data to UN Comtrade for this year'),
        ('comtrade', 'partner_missing', ' declared no trade with the republic for this flow'),
        ('comtrade', 'partner_exceeds_world', ') exceeds the world total ('),
        ('imf', 'no_data', 'the IMF gives no World total for this flow and year'),
        ('imf', 'no_world_value', 'the IMF gives no World total for this flow and year'),
        ('imf', 'world_not_positive', ') is not positive'),
        ('imf', 'partner_missing', ' value for this flow and year: unknown, not 0'),
        ('imf', 'partner_exceeds_world', ') exceeds the IMF''s World total (')

)

select
    shares.source,
    shares.source_dataset,
    shares.republic_iso3,
    shares.year,
    shares.flow,
    shares.partner_iso3,
    shares.basis,
    shares.row_status,
    shares.notes,
    reasons.phrase as required_phrase
from {{ ref('trade_shares') }} as shares
left join reasons
    on reasons.source = shares.source
    and reasons.row_status = shares.row_status
where shares.share is null
  and (reasons.phrase is null or coalesce(strpos(shares.notes, reasons.phrase), 0) = 0)
