{#-
    A claim over a span says when either end's world total is partial, and such a span is left
    out of the count. Recomputed per row: an FDI (imf_dip) end on the derived basis (IMF DIP SCC:
    a sum of the counterparts that report) is partial; a trade end never is (its rows are 'ok',
    never over an incomplete partner-side world); without a span both flags are null.
    counted_in_claim is true exactly where the claim is measured (china_replacing_russia not null)
    and neither end is partial; a measured span left out says so in its note.
-#}
with

expected as (

    select
        *,
        case
            when first_year is null then null
            when source = 'imf_dip' then basis = 'derived'
            else false
        end as expected_partial_end
    from {{ ref('china_replacing_russia') }}

)

select
    source, republic_iso3, measure, basis, first_year, last_year, china_replacing_russia,
    world_is_partial_first, world_is_partial_last, counted_in_claim, note
from expected
where world_is_partial_first is distinct from expected_partial_end
   or world_is_partial_last is distinct from expected_partial_end
   or counted_in_claim is distinct from (
       china_replacing_russia is not null and not coalesce(expected_partial_end, false)
   )
   or (china_replacing_russia is not null and expected_partial_end
       and coalesce(note, '') not like '%partial%')
