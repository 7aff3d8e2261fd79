"""Pull the IMF DIP inward positions of the republics into the raw zone, one landing per call.

Every answer is landed as received: SDMX-CSV bodies as `NNNNN.csv.gz`, and a "No Results Found"
answer (HTTP 404, an SDMX-ML error message, which the SDMX REST standard uses for an empty
result) as `NNNNN.xml.gz` (or `.txt.gz`) with record_count 0, so that the raw zone shows the
question was asked and nothing came back, while a loader reading `*.csv.gz` never meets it.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable

import requests

from eurasia.http import ApiError, ApiResponse, PoliteGetter, build_url
from eurasia.imf.plan import ImfRequest, plan_requests
from eurasia.imf.sdmx_csv import (
    CSV_10_MEDIA_TYPE,
    NotSdmxCsvError,
    count_observations,
    describe_body,
    is_no_results,
)
from eurasia.rawzone import RawZoneRun
from eurasia.settings import DEFAULT_IMF_SDMX_BASE_URL, Settings

log = logging.getLogger("eurasia.imf")

SOURCE = "IMF SDMX (DIP)"
DATASET = "dip"
KEY_HEADER = "Ocp-Apim-Subscription-Key"
DEFAULT_INTERVAL_SECONDS = 1.0
AUTH_HINT = (
    "Check IMF_API_KEY: it must be an active subscription key from the IMF Data API portal "
    "(linked from data.imf.org), sent only as the Ocp-Apim-Subscription-Key header; "
    "or leave IMF_API_KEY unset to use the public, unkeyed access."
)


def _getter(
    settings: Settings, session: requests.Session | None, sleep: Callable[[float], None]
) -> PoliteGetter:
    interval = settings.request_interval_seconds
    return PoliteGetter(
        source=SOURCE,
        # 0 is a valid setting (stand-ins, snapshot), so only None falls back to the default.
        interval_seconds=DEFAULT_INTERVAL_SECONDS if interval is None else interval,
        secret_headers={KEY_HEADER: settings.imf_api_key} if settings.imf_api_key else None,
        auth_hint=AUTH_HINT,
        session=session,
        sleep=sleep,
    )


def _record_count(response: ApiResponse, getter: PoliteGetter) -> tuple[int, str]:
    """Observations in an answer and the file extension to land it under; ApiError if unusable."""
    url = getter.redact(response.url)
    arrived = getter.redact(describe_body(response.content_type, response.body))
    if response.status == 404:
        if is_no_results(response.body):
            return 0, "xml" if response.body.lstrip().startswith(b"<") else "txt"
        raise ApiError(
            f"{SOURCE} answered {url} with HTTP 404 that is not 'No Results Found' ({arrived}). "
            f"Check IMF_SDMX_BASE_URL (normally {DEFAULT_IMF_SDMX_BASE_URL}) and whether the "
            "dataflow IMF.STA,DIP still exists."
        )
    try:
        return count_observations(response.body), "csv"
    except NotSdmxCsvError as exc:
        raise ApiError(
            f"{SOURCE} answered {url} with something that is not SDMX-CSV ({exc}; {arrived}). "
            "Nothing was loaded; check IMF_SDMX_BASE_URL and whether the API changed its format."
        ) from exc


def _fetch_and_land(
    request: ImfRequest, settings: Settings, getter: PoliteGetter, run: RawZoneRun
) -> int:
    url = build_url(settings.imf_base_url, request.path(), request.params())
    response = getter.get(url, accept=CSV_10_MEDIA_TYPE, ok_statuses=(200, 404))
    count, extension = _record_count(response, getter)
    run.land(
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
    return count


def extract(
    settings: Settings,
    run: RawZoneRun,
    session: requests.Session | None = None,
    sleep: Callable[[float], None] = time.sleep,
) -> dict:
    """Make the planned calls, land every answer, then mark the run complete; return a summary.

    An ApiError (refused key, unusable answer, retries exhausted) propagates and leaves the run
    without a manifest, so nothing of it is loaded.
    """
    plan = plan_requests(settings.years)
    years = sorted({year for request in plan for year in request.years})
    getter = _getter(settings, session, sleep)
    rows_landed = 0
    try:
        for i, request in enumerate(plan, start=1):
            log.info("IMF DIP call %d/%d: %s", i, len(plan), ", ".join(request.countries))
            count = _fetch_and_land(request, settings, getter, run)
            rows_landed += count
            log.info(
                "IMF DIP call %d/%d: %d rows (%d landed in all), %.0f s waited for rate limits",
                i,
                len(plan),
                count,
                rows_landed,
                getter.seconds_waited_for_rate_limits,
            )
    finally:
        if session is None:  # a caller's session is the caller's to close
            getter.close()
    summary = {
        "dataset": DATASET,
        "calls_planned": len(plan),
        "calls_made": getter.calls_made,
        "rows_landed": rows_landed,
        "landings": len(run.landings),
        "seconds_waited_for_rate_limits": getter.seconds_waited_for_rate_limits,
    }
    if not plan:
        summary["note"] = f"nothing requested: the years {settings.years} end before 2009"
    run.complete(years, summary)
    log.info(
        "IMF DIP: %d rows in %d landings (%d HTTP calls)",
        rows_landed,
        len(run.landings),
        getter.calls_made,
    )
    return summary
