"""Land UN Comtrade's data availability (getDA) for every reporter and the requested years.

The availability says which reporter-years UN Comtrade has released, how many records each
holds and when it was first and last released. The warehouse reads it to tell "did not report"
(not released) from "not fetched" (released, but no rows landed), and release-aware runs read
it to fetch only what changed.

Endpoints: `/public/v1/getDA/C/A/HS` keyless, `/data/v1/getDA/C/A/HS` keyed (the key only in the
`Ocp-Apim-Subscription-Key` header); parameters `period` (a comma list of years) and
`reporterCode` (absent = all reporters). One record per released reporter-year.

Sizing: getDA documents no record cap, so the plan assumes the data endpoints' caps (500 records
keyless, 100,000 keyed) and at most 12 periods per call, and sizes each call by the reporter codes
in use in the years (226 for 2000-2025): keyless 2 years per call (452 records at most), so 13
calls for 2000-2025; keyed 12 years per call, so 3 calls. An answer that still reaches the cap is
treated as cut: not landed, and asked again in halves (years first, then the reporter codes in
use), as the data pulls do.
"""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Callable
from dataclasses import dataclass, replace

import requests

from eurasia import reference
from eurasia.comtrade import client, plan
from eurasia.comtrade.plan import CannotSplitError
from eurasia.http import ApiError, build_url
from eurasia.rawzone import RawZoneRun, plan_identity, read_manifest, reuse_window
from eurasia.settings import Settings

log = logging.getLogger("eurasia.comtrade")

DATASET = "availability"
KEYED = client.Endpoint("keyed", "data/v1/getDA/C/A/HS", plan.KEYED_CAP, 1.0, client.KEYED_HINT)
PREVIEW = client.Endpoint(
    "preview", "public/v1/getDA/C/A/HS", plan.PREVIEW_CAP, 2.0, client.PREVIEW_HINT
)


def endpoint_for(settings: Settings) -> client.Endpoint:
    return KEYED if settings.comtrade_keyed else PREVIEW


@dataclass(frozen=True)
class AvailabilityRequest:
    """One getDA call. reporters=None means all reporters (reporterCode omitted)."""

    years: tuple[int, ...]
    reporters: tuple[int, ...] | None = None

    def params(self, max_records: int | None = None) -> dict[str, str]:
        # getDA takes no maxRecords: max_records is accepted for the extraction's interface only.
        params = {"period": ",".join(map(str, self.years))}
        if self.reporters is not None:
            params["reporterCode"] = ",".join(map(str, self.reporters))
        return params

    def split(self) -> tuple[AvailabilityRequest, AvailabilityRequest]:
        """Halve the years; one year of all reporters becomes two halves of the codes in use."""
        if len(self.years) > 1:
            middle = (len(self.years) + 1) // 2
            return replace(self, years=self.years[:middle]), replace(
                self, years=self.years[middle:]
            )
        reporters = self.reporters or reporter_codes_in_use(self.years[0])
        if len(reporters) < 2:
            raise CannotSplitError(f"cannot split {self.describe()} any further")
        middle = (len(reporters) + 1) // 2
        return replace(self, reporters=reporters[:middle]), replace(
            self, reporters=reporters[middle:]
        )

    def describe(self) -> str:
        reporters = "all" if self.reporters is None else ",".join(map(str, self.reporters))
        return f"availability reporters={reporters} years={','.join(map(str, self.years))}"


def reporter_codes_in_use(year: int) -> tuple[int, ...]:
    return tuple(
        sorted(
            r.code
            for r in reference.comtrade_reporters()
            if r.first_year <= year and (r.last_year is None or r.last_year >= year)
        )
    )


def plan_requests(years: list[int], cap: int, reporters_bound: int) -> list[AvailabilityRequest]:
    """As few calls as fit under the cap: each year of all reporters may hold reporters_bound."""
    if not years:
        raise ValueError("no years to plan for")
    per_call = min(plan.MAX_PERIODS_PER_REQUEST, cap // reporters_bound)
    if per_call < 1:
        # One year of all reporters may exceed the cap: ask each year in halves of the reporters.
        return [part for y in sorted(set(years)) for part in AvailabilityRequest((y,)).split()]
    years = sorted(set(years))
    return [
        AvailabilityRequest(chunk)
        for chunk in plan._chunks(years, math.ceil(len(years) / per_call))
    ]


def extract(
    settings: Settings,
    run: RawZoneRun,
    session: requests.Session | None = None,
    sleep: Callable[[float], None] = time.sleep,
) -> dict:
    """Land the availability of every reporter for settings.years; return a summary.

    Like the data pulls, a recent pull of the same plan (settings.reuse_hours) is taken over:
    an interrupted one resumes, asking only what it lacks; a complete one is reused without a
    call. Raises ApiError (with what to do) when the API refuses or keeps failing; the run is
    then left without its manifest, so nothing of it is loaded.
    """
    if (run.source, run.dataset) != (client.SOURCE, DATASET):
        raise ValueError(f"run is for {run.source}/{run.dataset}, not {client.SOURCE}/{DATASET}")
    if settings.comtrade_base_url.startswith(client.SNAPSHOT_SCHEME) and session is None:
        raise ValueError(
            f"{settings.comtrade_base_url} is served in-process: pass "
            "session=eurasia.demo.adapter.snapshot_session({'comtrade': ComtradeEngine(...)})"
        )
    endpoint = endpoint_for(settings)
    years = list(settings.years)
    planned = plan_requests(years, endpoint.cap, client.reporters_bound(years))
    log.info(
        "comtrade %s: %d calls planned on the %s endpoint (at most %d records per answer "
        "assumed) for %s",
        DATASET,
        len(planned),
        endpoint.name,
        endpoint.cap,
        settings.years,
    )
    base_url = settings.comtrade_base_url
    urls = [build_url(base_url, endpoint.path, r.params()) for r in planned]
    started = run.begin(
        plan_identity(urls, endpoint=endpoint.name, base_url=base_url, years=years),
        reuse_within=reuse_window(settings.reuse_hours, base_url),
    )
    if started == "complete":
        log.info("comtrade %s: reusing the complete pull %s, no call made", DATASET, run.folder)
        return {**read_manifest(run.folder)["summary"], "calls_made": 0, "reused_complete": True}
    getter = client._getter(settings, endpoint, session, sleep)
    extraction = client._Extraction(DATASET, endpoint, base_url, getter, run, planned)
    try:
        extraction.run_all()
    except ApiError as exc:
        exc.add_note_to_message(run.resume_note(extraction.calls_known))
        raise
    finally:
        if session is None:  # ours to close; a caller's session is the caller's
            getter.close()
    summary = {
        "dataset": DATASET,
        "endpoint": endpoint.name,
        "calls_planned": len(planned),
        "calls_made": getter.calls_made,
        "requests_split": extraction.requests_split,
        "reporter_years_listed": extraction.rows_landed,
        "landings": len(run.landings),
        "answers_reused": extraction.answers_reused,
        "seconds_waited_for_rate_limits": getter.seconds_waited_for_rate_limits,
    }
    run.complete(years, summary)
    log.info("comtrade %s: complete: %s", DATASET, summary)
    return summary
