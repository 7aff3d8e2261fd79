"""Pull the IMF's goods trade by partner (IMTS, formerly DOTS) into the raw zone, a landing a call.

Dataflow `IMF.STA,IMTS` of the same SDMX 2.1 API as the DIP client, series key
COUNTRY.INDICATOR.COUNTERPART_COUNTRY.FREQUENCY, annual, as SDMX-CSV; OBS_VALUE is in US dollars.

What is asked, and why only three counterparts: the marts need each republic's trade with the
world (G001), China and Russia - a share is partner / world of the republic's own declarations -
so the 15 republics are asked for exactly those, exports FOB (XG_FOB_USD) and imports CIF
(MG_CIF_USD), five republics a call as in the DIP plan (short keys, small answers). Asking for all
counterparts would multiply the answer some seventy-fold for rows nothing uses. One more call asks
China for its own declarations with each republic, the live counterpart of the bundled China
workbook, so that the two IMF copies cover the same questions. Four calls for the whole set.

Answers are landed as received (SDMX-CSV as NNNNN.csv.gz; a "No Results Found" 404 as .xml.gz or
.txt.gz with record_count 0) by the pull the DIP client runs too (eurasia/imf/sdmx_pull.py): the
same getter (pace, retries, key header), the same retry of a 200 that is not whole SDMX-CSV, the
same resume of a stopped pull.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import ClassVar

import requests

from eurasia import reference
from eurasia.imf import sdmx_pull
from eurasia.imf.sdmx_api import SeriesKeyRequest
from eurasia.rawzone import RawZoneRun
from eurasia.settings import Settings

DATAFLOW_ID = "IMF.STA,IMTS"
DIMENSIONS = ("COUNTRY", "INDICATOR", "COUNTERPART_COUNTRY", "FREQUENCY")
SOURCE = "imf_imts"
DATASET = "imts"
LABEL = "IMF SDMX (IMTS)"
# Exports valued FOB, imports valued CIF, both in US dollars: the DOTS workbooks' two sheets.
INDICATORS = {"XG_FOB_USD": "export", "MG_CIF_USD": "import"}
WORLD = "G001"
PARTNERS = ("CHN", "RUS")
FREQUENCY = "A"
COUNTRIES_PER_REQUEST = 5
IMTS = sdmx_pull.Dataflow(
    log_name="IMF IMTS",
    source=LABEL,
    dataflow_id=DATAFLOW_ID,
    dataset=DATASET,
    countries_separator="+",
    reuse_message="IMF IMTS: reusing the complete pull {folder} - no call made",
)


@dataclass(frozen=True)
class ImtsRequest(SeriesKeyRequest):
    countries: tuple[str, ...]
    counterparts: tuple[str, ...]
    first_year: int
    last_year: int
    indicators: tuple[str, ...] = tuple(INDICATORS)
    frequency: str = FREQUENCY

    dataflow_id: ClassVar[str] = DATAFLOW_ID

    def key_dimensions(self) -> tuple[tuple[str, ...], ...]:
        return (self.countries, self.indicators, self.counterparts, (self.frequency,))


def plan_requests(
    years: Iterable[int],
    *,
    republics: Sequence[str] | None = None,
    chunk_size: int = COUNTRIES_PER_REQUEST,
) -> list[ImtsRequest]:
    """The republics with the world, China and Russia; then China with each republic."""
    wanted = list(years)
    if not wanted:
        return []
    first, last = min(wanted), max(wanted)
    if republics is None:
        republics = [economy.iso3 for economy in reference.republics()]
    own = [
        ImtsRequest(tuple(republics[i : i + chunk_size]), (WORLD, *PARTNERS), first, last)
        for i in range(0, len(republics), chunk_size)
    ]
    chinas = ImtsRequest(("CHN",), tuple(r for r in republics if r != "CHN"), first, last)
    return [*own, chinas]


def extract(
    settings: Settings,
    run: RawZoneRun,
    session: requests.Session | None = None,
    sleep: Callable[[float], None] = time.sleep,
) -> dict:
    """Pull the planned IMTS calls into `run` and complete it; the summary (see sdmx_pull.pull).

    Resumed and reused as the DIP pull is. An ApiError (refused key, unusable answer, retries
    exhausted) propagates and leaves the run without a manifest, so nothing of it is loaded.
    """
    return sdmx_pull.pull(
        IMTS,
        plan_requests(settings.years),
        settings,
        run,
        years=list(settings.years),
        session=session,
        sleep=sleep,
    )
