"""Pull the IMF DIP inward positions of the republics into the raw zone, one landing per call.

Every answer is landed as received: SDMX-CSV bodies as `NNNNN.csv.gz`, and a "No Results Found"
answer (HTTP 404, an SDMX-ML error message, which the SDMX REST standard uses for an empty
result) as `NNNNN.xml.gz` (or `.txt.gz`) with record_count 0, so that the raw zone shows the
question was asked and nothing came back, while a loader reading `*.csv.gz` never meets it.
A chunk's answer that lacks some of its republics says which, in the log and the summary.

A 200 that is not SDMX-CSV (a maintenance page) or is cut off mid-row is retried like a 5xx. A
pull stopped midway is resumed by the next pull of the same plan: answers already landed are
not asked again (eurasia.rawzone, RawZoneRun.begin).

The getter, the answer checks and the pull loop are shared with the IMTS client
(eurasia/imf/sdmx_api.py, eurasia/imf/sdmx_pull.py); what is DIP's own is here: the plan, an
empty answer asked again when the warehouse holds its republic-years, and the naming of the
republics a chunk's answer lacks.
"""

from __future__ import annotations

import gzip
import time
from collections.abc import Callable

import requests

from eurasia import answer_checks
from eurasia.imf import sdmx_pull
from eurasia.imf.plan import ImfRequest, plan_requests
from eurasia.imf.sdmx_csv import DATAFLOW_ID, decode, read_table
from eurasia.rawzone import LandingRecord, RawZoneRun
from eurasia.settings import Settings

SOURCE = "IMF SDMX (DIP)"
DATASET = "dip"
DIP = sdmx_pull.Dataflow(
    log_name="IMF DIP",
    source=SOURCE,
    dataflow_id=DATAFLOW_ID,
    dataset=DATASET,
    countries_separator=", ",
    reuse_message=(
        "IMF DIP: reusing the complete pull {folder} ({answers} answers, started within the "
        "last {hours:g} h) - no call made; EURASIA_REUSE_HOURS=0 fetches afresh"
    ),
)


def _countries_in(body: bytes) -> set[str]:
    header, rows = read_table(decode(body))
    if "COUNTRY" not in header:
        return set()
    column = header.index("COUNTRY")
    return {row[column] for row in rows if len(row) > column}


def _lacking(request: ImfRequest, landing: LandingRecord, settings: Settings) -> list[str]:
    """The republics of a chunk its landed answer has no observation for."""
    if not landing.record_count:
        return list(request.countries)
    body = gzip.decompress((settings.raw_zone / landing.body_file).read_bytes())
    present = _countries_in(body)
    return [country for country in request.countries if country not in present]


def extract(
    settings: Settings,
    run: RawZoneRun,
    session: requests.Session | None = None,
    sleep: Callable[[float], None] = time.sleep,
) -> dict:
    """Pull the planned DIP calls into `run` and complete it; the summary (see sdmx_pull.pull).

    An ApiError (refused key, unusable answer, retries exhausted) propagates and leaves the run
    without a manifest, so nothing of it is loaded.
    """
    plan = plan_requests(settings.years)
    return sdmx_pull.pull(
        DIP,
        plan,
        settings,
        run,
        # the survey's years only: those before its first year are not asked
        years=sorted({year for request in plan for year in request.years}),
        session=session,
        sleep=sleep,
        # no observations for republic-years the warehouse holds: asked again, then the run stops
        ask=lambda request, fetch: answer_checks.imf_ask(request, fetch, settings),
        republics_lacking=lambda request, landing: _lacking(request, landing, settings),
        empty_plan_note=f"nothing requested: the years {settings.years} end before 2009",
    )
