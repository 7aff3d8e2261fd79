"""Pull the IMF DIP inward positions of the republics into the raw zone, one landing per call.

Every answer is landed as received: SDMX-CSV bodies as `NNNNN.csv.gz`, and a "No Results Found"
answer (HTTP 404, an SDMX-ML error message, which the SDMX REST standard uses for an empty
result) as `NNNNN.xml.gz` (or `.txt.gz`) with record_count 0, so that the raw zone shows the
question was asked and nothing came back, while a loader reading `*.csv.gz` never meets it.
A chunk's answer that lacks some of its republics says which, in the log and the summary.

A 200 that is not SDMX-CSV (a maintenance page) or is cut off mid-row is retried like a 5xx. A
pull stopped midway is resumed by the next pull of the same plan: answers already landed are
not asked again (eurasia.rawzone, RawZoneRun.begin).
"""

from __future__ import annotations

import gzip
import logging
import time
from collections.abc import Callable

import requests

from eurasia import answer_checks
from eurasia.http import ApiError, ApiResponse, PoliteGetter, build_url
from eurasia.imf.plan import ImfRequest, plan_requests
from eurasia.imf.sdmx_csv import (
    CSV_10_MEDIA_TYPE,
    DATAFLOW_ID,
    NotSdmxCsvError,
    count_observations,
    decode,
    describe_body,
    flavour,
    is_no_results,
    read_table,
)
from eurasia.rawzone import (
    LandingRecord,
    RawZoneRun,
    plan_identity,
    read_manifest,
    reuse_window,
)
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
    settings: Settings,
    session: requests.Session | None,
    sleep: Callable[[float], None],
    source: str = SOURCE,
) -> PoliteGetter:
    """The IMF API's getter; `source` names the dataflow's client in messages (IMTS too)."""
    interval = settings.request_interval_seconds
    return PoliteGetter(
        source=source,
        # 0 is a valid setting (stand-ins, snapshot), so only None falls back to the default.
        interval_seconds=DEFAULT_INTERVAL_SECONDS if interval is None else interval,
        secret_headers={KEY_HEADER: settings.imf_api_key} if settings.imf_api_key else None,
        auth_hint=AUTH_HINT,
        url_setting="IMF_SDMX_BASE_URL",
        deadline_seconds=settings.request_deadline_seconds,
        session=session,
        sleep=sleep,
    )


def _body_problem(response: ApiResponse) -> str | None:
    """What is wrong with a 200 that is not whole SDMX-CSV (retried like a 5xx), else None."""
    if response.status != 200:
        return None  # a 404 is judged by _record_count: No Results Found, or a wrong URL
    arrived = describe_body(response.content_type, response.body)
    if "html" in response.content_type.lower() or response.body.lstrip()[:1] == b"<":
        return f"an HTML or XML page instead of SDMX-CSV (a maintenance page?): {arrived}"
    try:
        header, rows = read_table(decode(response.body))
        flavour(header)
    except NotSdmxCsvError as exc:
        return f"an answer that is not SDMX-CSV ({exc}; {arrived})"
    if rows and len(rows[-1]) < len(header):
        return (
            f"a body cut off mid-row (its last row has {len(rows[-1])} of {len(header)} fields, "
            f"{len(response.body)} bytes): probably a closed connection"
        )
    return None


def _countries_in(body: bytes) -> set[str]:
    header, rows = read_table(decode(body))
    if "COUNTRY" not in header:
        return set()
    column = header.index("COUNTRY")
    return {row[column] for row in rows if len(row) > column}


def _record_count(
    response: ApiResponse,
    getter: PoliteGetter,
    source: str = SOURCE,
    dataflow: str = DATAFLOW_ID,
) -> tuple[int, str]:
    """Observations in an answer and the file extension to land it under; ApiError if unusable."""
    url = getter.redact(response.url)
    arrived = getter.redact(describe_body(response.content_type, response.body))
    if response.status == 404:
        if is_no_results(response.body):
            return 0, "xml" if response.body.lstrip().startswith(b"<") else "txt"
        raise ApiError(
            f"{source} answered {url} with HTTP 404 that is not 'No Results Found' ({arrived}). "
            f"Check IMF_SDMX_BASE_URL (normally {DEFAULT_IMF_SDMX_BASE_URL}) and whether the "
            f"dataflow {dataflow} still exists."
        )
    try:
        return count_observations(response.body), "csv"
    except NotSdmxCsvError as exc:
        raise ApiError(
            f"{source} answered {url} with something that is not SDMX-CSV ({exc}; {arrived}). "
            "Nothing was loaded; check IMF_SDMX_BASE_URL and whether the API changed its format."
        ) from exc


def _fetch_and_land(
    request: ImfRequest, settings: Settings, getter: PoliteGetter, run: RawZoneRun
) -> LandingRecord:
    url = build_url(settings.imf_base_url, request.path(), request.params())

    def fetch() -> tuple[ApiResponse, int, str]:
        response = getter.get(
            url, accept=CSV_10_MEDIA_TYPE, ok_statuses=(200, 404), check=_body_problem
        )
        return response, *_record_count(response, getter)

    # no observations for republic-years the warehouse holds: asked again, then the run stops
    response, count, extension = answer_checks.imf_ask(request, fetch, settings)
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
    """Make the planned calls, land every answer, then mark the run complete; return a summary.

    If the newest DIP pull had the same plan and is recent (settings.reuse_hours), `run` takes
    it over (run.folder changes): an interrupted pull is resumed, asking only for the chunks it
    lacks; a complete one is reused without a call.

    An ApiError (refused key, unusable answer, retries exhausted) propagates and leaves the run
    without a manifest, so nothing of it is loaded.
    """
    plan = plan_requests(settings.years)
    years = sorted({year for request in plan for year in request.years})
    urls = [build_url(settings.imf_base_url, r.path(), r.params()) for r in plan]
    started = run.begin(
        plan_identity(urls, base_url=settings.imf_base_url, years=list(settings.years)),
        reuse_within=reuse_window(settings.reuse_hours, settings.imf_base_url),
    )
    if started == "complete":
        log.info(
            "IMF DIP: reusing the complete pull %s (%d answers, started within the last %g h) - "
            "no call made; EURASIA_REUSE_HOURS=0 fetches afresh",
            run.folder,
            len(run.landings),
            settings.reuse_hours,
        )
        return {**read_manifest(run.folder)["summary"], "calls_made": 0, "reused_complete": True}
    getter = _getter(settings, session, sleep)
    rows_landed = 0
    answers_reused = 0
    without_results: set[str] = set()
    try:
        for i, (request, url) in enumerate(zip(plan, urls, strict=True), start=1):
            landing = run.answered(url)
            if landing is not None:
                answers_reused += 1
                log.info("IMF DIP call %d/%d: landed before this pull was resumed", i, len(plan))
            else:
                log.info("IMF DIP call %d/%d: %s", i, len(plan), ", ".join(request.countries))
                landing = _fetch_and_land(request, settings, getter, run)
            rows_landed += landing.record_count or 0
            lacking = _lacking(request, landing, settings)
            if lacking:
                # Named, so that a gap in the marts can be traced to the answer that had none.
                log.warning(
                    "IMF DIP call %d/%d: no observations for %s in %d-%d (asked: %s)",
                    i,
                    len(plan),
                    ", ".join(lacking),
                    request.first_year,
                    request.last_year,
                    ", ".join(request.countries),
                )
                without_results.update(lacking)
            log.info(
                "IMF DIP call %d/%d: %d rows (%d landed in all), %.0f s waited for rate limits",
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
        "republics_without_results": sorted(without_results),
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
