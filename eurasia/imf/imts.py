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
.txt.gz with record_count 0) and checked by the DIP client's own functions (eurasia/imf/client):
the same getter (pace, retries, key header), the same retry of a 200 that is not whole SDMX-CSV.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

import requests

from eurasia import reference
from eurasia.http import ApiError, PoliteGetter, build_url
from eurasia.imf import client
from eurasia.imf.sdmx_csv import CSV_10_MEDIA_TYPE
from eurasia.rawzone import (
    LandingRecord,
    RawZoneRun,
    plan_identity,
    read_manifest,
    reuse_window,
)
from eurasia.settings import Settings

log = logging.getLogger("eurasia.imf")

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


@dataclass(frozen=True)
class ImtsRequest:
    countries: tuple[str, ...]
    counterparts: tuple[str, ...]
    first_year: int
    last_year: int
    indicators: tuple[str, ...] = tuple(INDICATORS)
    frequency: str = FREQUENCY

    def key(self) -> str:
        """Series key in the data structure's order; '+' joins alternatives of one dimension."""
        parts = (self.countries, self.indicators, self.counterparts, (self.frequency,))
        return ".".join("+".join(values) for values in parts)

    def path(self) -> str:
        return f"data/{DATAFLOW_ID}/{self.key()}"

    def params(self) -> dict[str, int]:
        return {"startPeriod": self.first_year, "endPeriod": self.last_year}

    @property
    def years(self) -> list[int]:
        return list(range(self.first_year, self.last_year + 1))


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
    """Make the planned calls, land every answer, then mark the run complete; return a summary.

    Resumable as the DIP pull is (eurasia.rawzone, RawZoneRun.begin): if the newest IMTS pull
    had the same plan and is recent (settings.reuse_hours), `run` takes it over (run.folder
    changes) and asks only what it lacks, or, complete, is reused without a call.

    An ApiError (refused key, unusable answer, retries exhausted) propagates and leaves the run
    without a manifest, so nothing of it is loaded.
    """
    plan = plan_requests(settings.years)
    urls = [build_url(settings.imf_base_url, r.path(), r.params()) for r in plan]
    started = run.begin(
        plan_identity(urls, base_url=settings.imf_base_url, years=list(settings.years)),
        reuse_within=reuse_window(settings.reuse_hours, settings.imf_base_url),
    )
    if started == "complete":
        log.info("IMF IMTS: reusing the complete pull %s - no call made", run.folder)
        return {**read_manifest(run.folder)["summary"], "calls_made": 0, "reused_complete": True}
    getter = client._getter(settings, session, sleep, source=LABEL)
    rows_landed = answers_reused = 0
    try:
        for i, (request, url) in enumerate(zip(plan, urls, strict=True), start=1):
            landing = run.answered(url)
            if landing is not None:
                answers_reused += 1
                log.info("IMF IMTS call %d/%d: landed before this pull was resumed", i, len(plan))
            else:
                log.info("IMF IMTS call %d/%d: %s", i, len(plan), "+".join(request.countries))
                landing = _fetch_and_land(request, url, getter, run)
            rows_landed += landing.record_count or 0
            log.info(
                "IMF IMTS call %d/%d: %d rows (%d landed in all), %.0f s waited for rate limits",
                i,
                len(plan),
                landing.record_count or 0,
                rows_landed,
                getter.seconds_waited_for_rate_limits,
            )
    except ApiError as exc:
        exc.add_note_to_message(run.resume_note(len(plan)))
        raise
    finally:
        if session is None:  # a caller's session is the caller's to close
            getter.close()
    summary = {
        "dataset": DATASET,
        "calls_planned": len(plan),
        "calls_made": getter.calls_made,
        "rows_landed": rows_landed,
        "landings": len(run.landings),
        "answers_reused": answers_reused,
        "seconds_waited_for_rate_limits": getter.seconds_waited_for_rate_limits,
    }
    run.complete(list(settings.years), summary)
    log.info(
        "IMF IMTS: %d rows in %d landings (%d HTTP calls)",
        rows_landed,
        len(run.landings),
        getter.calls_made,
    )
    return summary


def _fetch_and_land(
    request: ImtsRequest, url: str, getter: PoliteGetter, run: RawZoneRun
) -> LandingRecord:
    # a 200 that is not whole SDMX-CSV (a maintenance page, a cut body) is retried
    response = getter.get(
        url, accept=CSV_10_MEDIA_TYPE, ok_statuses=(200, 404), check=client._body_problem
    )
    count, extension = client._record_count(response, getter, LABEL, DATAFLOW_ID)
    return run.land(
        url=url,
        params=request.params(),
        requested_at=response.requested_at,
        http_status=response.status,
        content_type=response.content_type,
        body=response.body,
        extension=extension,
        record_count=count,
        years=request.years,
    )
