"""The pull both IMF SDMX clients run: each planned call asked once, its answer landed as received.

A pull starts a raw-zone run, or takes over the newest one of the same plan (eurasia.rawzone,
RawZoneRun.begin): answers already landed are not asked again, and a complete recent pull is
reused without a call. An ApiError (refused key, unusable answer, retries exhausted) propagates,
noting what a rerun will reuse, and leaves the run without a manifest, so nothing of it is loaded.

What differs between the dataflows is passed in: the names in logs and messages (a Dataflow),
the plan and the years it covers, and two checks only the DIP pull makes (see pull).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Protocol

import requests

from eurasia.http import ApiError, ApiResponse, PoliteGetter, build_url
from eurasia.imf.sdmx_api import body_problem, imf_getter, record_count
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


@dataclass(frozen=True)
class Dataflow:
    """How one dataflow's pull names itself."""

    log_name: str  # starts every progress line: "IMF DIP"
    source: str  # names the client in the getter's and the answer checks' errors
    dataflow_id: str  # named when a 404 suggests the dataflow no longer exists
    dataset: str  # the summary's "dataset"
    countries_separator: str  # between a call's republics in its progress line
    # Logged when a complete recent pull is reused; may name {folder}, {answers} and {hours}.
    reuse_message: str


class PlannedRequest(Protocol):
    """One planned call: a chunk of republics over a span of years (ImfRequest, ImtsRequest)."""

    countries: tuple[str, ...]
    first_year: int
    last_year: int

    @property
    def years(self) -> list[int]: ...

    def path(self) -> str: ...

    def params(self) -> dict[str, int]: ...


# Asks the API once: (the answer, its observation count, the extension to land it under).
Fetch = Callable[[], tuple[ApiResponse, int, str]]
Ask = Callable[[PlannedRequest, Fetch], tuple[ApiResponse, int, str]]
RepublicsLacking = Callable[[PlannedRequest, LandingRecord], list[str]]


def ask_once(request: PlannedRequest, fetch: Fetch) -> tuple[ApiResponse, int, str]:
    """The answer as it first comes (the getter has already retried what was not whole)."""
    return fetch()


def pull(
    flow: Dataflow,
    plan: Sequence[PlannedRequest],
    settings: Settings,
    run: RawZoneRun,
    *,
    years: list[int],
    session: requests.Session | None,
    sleep: Callable[[float], None],
    ask: Ask = ask_once,
    republics_lacking: RepublicsLacking | None = None,
    empty_plan_note: str | None = None,
) -> dict:
    """Make the planned calls, land every answer, then mark the run complete; return a summary.

    If the newest pull of the same source had the same plan and is recent (settings.reuse_hours),
    `run` takes it over (run.folder changes): an interrupted pull is resumed, asking only for the
    calls it lacks; a complete one is reused without a call.

    `years` are the years the completed run's manifest covers. `ask` may ask a call again (the
    DIP pull does, while an answer has no observations for republic-years the warehouse holds).
    `republics_lacking`, if given, names the republics of a call its landed answer has nothing
    for: logged, and listed in the summary's republics_without_results. `empty_plan_note` goes
    in the summary of a pull with nothing planned.
    """
    urls = [build_url(settings.imf_base_url, r.path(), r.params()) for r in plan]
    started = run.begin(
        plan_identity(urls, base_url=settings.imf_base_url, years=list(settings.years)),
        reuse_within=reuse_window(settings.reuse_hours, settings.imf_base_url),
    )
    if started == "complete":
        reuse = {"folder": run.folder, "answers": len(run.landings), "hours": settings.reuse_hours}
        log.info("%s", flow.reuse_message.format(**reuse))
        return {**read_manifest(run.folder)["summary"], "calls_made": 0, "reused_complete": True}
    getter = imf_getter(settings, session, sleep, flow.source)
    rows_landed = answers_reused = 0
    without_results: set[str] = set()
    try:
        for i, (request, url) in enumerate(zip(plan, urls, strict=True), start=1):
            landing = run.answered(url)
            if landing is not None:
                answers_reused += 1
                log.info(
                    "%s call %d/%d: landed before this pull was resumed",
                    flow.log_name,
                    i,
                    len(plan),
                )
            else:
                asked = flow.countries_separator.join(request.countries)
                log.info("%s call %d/%d: %s", flow.log_name, i, len(plan), asked)
                landing = _fetch_and_land(flow, request, url, getter, run, ask)
            rows_landed += landing.record_count or 0
            lacking = republics_lacking(request, landing) if republics_lacking else []
            if lacking:
                # Named, so that a gap in the marts can be traced to the answer that had none.
                log.warning(
                    "%s call %d/%d: no observations for %s in %d-%d (asked: %s)",
                    flow.log_name,
                    i,
                    len(plan),
                    ", ".join(lacking),
                    request.first_year,
                    request.last_year,
                    ", ".join(request.countries),
                )
                without_results.update(lacking)
            log.info(
                "%s call %d/%d: %d rows (%d landed in all), %.0f s waited for rate limits",
                flow.log_name,
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
        "dataset": flow.dataset,
        "calls_planned": len(plan),
        "calls_made": getter.calls_made,
        "rows_landed": rows_landed,
        "landings": len(run.landings),
        "answers_reused": answers_reused,
    }
    if republics_lacking is not None:  # only a pull that checks says it found none lacking
        summary["republics_without_results"] = sorted(without_results)
    summary["seconds_waited_for_rate_limits"] = getter.seconds_waited_for_rate_limits
    if not plan and empty_plan_note:
        summary["note"] = empty_plan_note
    run.complete(years, summary)
    log.info(
        "%s: %d rows in %d landings (%d HTTP calls)",
        flow.log_name,
        rows_landed,
        len(run.landings),
        getter.calls_made,
    )
    return summary


def _fetch_and_land(
    flow: Dataflow,
    request: PlannedRequest,
    url: str,
    getter: PoliteGetter,
    run: RawZoneRun,
    ask: Ask,
) -> LandingRecord:
    def fetch() -> tuple[ApiResponse, int, str]:
        # a 200 that is not whole SDMX-CSV (a maintenance page, a cut body) is retried
        response = getter.get(
            url, accept=CSV_10_MEDIA_TYPE, ok_statuses=(200, 404), check=body_problem
        )
        return response, *record_count(response, getter, flow.source, flow.dataflow_id)

    response, count, extension = ask(request, fetch)
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
