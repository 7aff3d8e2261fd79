"""Pull annual TOTAL trade from UN Comtrade v1 into the raw zone.

With COMTRADE_API_KEY set, the keyed endpoint `/data/v1/get/C/A/HS` is used (100,000 records per
call, the key sent only in the `Ocp-Apim-Subscription-Key` header); without it, the keyless
preview `/public/v1/preview/C/A/HS` (500 records per call). Requests are planned under the cap
(eurasia.comtrade.plan); an answer that still reaches the cap was cut by the API, so it is not
landed and its request is asked again in smaller parts.

A pull stopped midway (a used-up quota, an outage) is resumed by the next pull of the same plan:
the answers already landed are not asked again (eurasia.rawzone, RawZoneRun.begin).
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import re
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import requests

from eurasia import answer_checks, reference
from eurasia.comtrade import plan, releases
from eurasia.comtrade.plan import CannotSplitError, ComtradeRequest
from eurasia.http import ApiError, ApiResponse, PoliteGetter, build_url
from eurasia.rawzone import RawZoneRun, plan_identity, read_manifest, reuse_window
from eurasia.settings import Settings

log = logging.getLogger("eurasia.comtrade")

SOURCE = "comtrade"
DATASETS = ("reporter", "mirror")
KEY_HEADER = "Ocp-Apim-Subscription-Key"
SNAPSHOT_SCHEME = "snapshot://"  # offline runs; see eurasia.demo.adapter

KEYED_HINT = (
    "Check COMTRADE_API_KEY: it must be the primary or secondary key of an active UN Comtrade "
    "subscription (comtradeapi.un.org). If the key is right, the call quota may be used up; it "
    "resets daily, so run again later. Or unset COMTRADE_API_KEY to use the keyless preview "
    "endpoint, which is capped at 500 records per call and so needs many more calls."
)
PREVIEW_HINT = (
    "The keyless preview endpoint refused the request; its limits reset daily, so run again "
    "later, or set COMTRADE_API_KEY to a UN Comtrade subscription key to use the keyed endpoint."
)
# As UN Comtrade answered keyless calls from December 2024 to March 2025.
REFUSED_BY_POLICY = re.compile(r"rejected by policy", re.IGNORECASE)
POLICY_HINT_PREVIEW = (
    "The keyless preview endpoint is refusing all calls (UN Comtrade has switched it off before, "
    "e.g. from December 2024 to March 2025); this is not a limit that resets, so running again "
    "will not help. A free UN Comtrade key fixes it: register at comtradeplus.un.org, subscribe "
    "to the free 'comtrade - v1' product and set COMTRADE_API_KEY to its primary key."
)
POLICY_HINT_KEYED = (
    "UN Comtrade is refusing all calls by policy, even keyed ones: check the subscription of "
    "COMTRADE_API_KEY at comtradeplus.un.org, and the API's announcements."
)
QUOTA_REPLENISHED_IN = re.compile(r"[Rr]eplenished in (\d+):(\d\d):(\d\d)")


@dataclass(frozen=True)
class Endpoint:
    name: str  # 'keyed' | 'preview'
    path: str
    cap: int  # records per answer; an answer this long was probably cut
    default_interval_seconds: float
    auth_hint: str


KEYED = Endpoint("keyed", "data/v1/get/C/A/HS", plan.KEYED_CAP, 1.0, KEYED_HINT)
# The keyless endpoint is shared by everyone, so it is asked more gently.
PREVIEW = Endpoint("preview", "public/v1/preview/C/A/HS", plan.PREVIEW_CAP, 2.0, PREVIEW_HINT)


def endpoint_for(settings: Settings) -> Endpoint:
    return KEYED if settings.comtrade_keyed else PREVIEW


def reporters_bound(years: list[int]) -> int:
    """Most reporters an all-reporters answer can hold: the codes in use during these years.

    The ceiling is read at call time, so a test can model more reporters than the bound assumes.
    """
    return min(plan.REPORTERS_UPPER_BOUND, reference.reporters_active(min(years), max(years)))


def plan_requests(dataset: str, years: list[int], cap: int) -> list[ComtradeRequest]:
    republic_codes = [e.m49_code for e in reference.republics()]
    if dataset == "reporter":
        partner_codes = [e.m49_code for e in reference.partners()]
        return plan.plan_reporter_side(republic_codes, partner_codes, years=years, cap=cap)
    if dataset == "mirror":
        return plan.plan_mirror_side(republic_codes, years, cap, reporters_bound(years))
    raise ValueError(f"unknown Comtrade dataset {dataset!r}; expected one of {DATASETS}")


def plan_changed(dataset: str, changed: list[tuple[int, int]], cap: int) -> list[ComtradeRequest]:
    """Requests for only these (reporter, year) pairs: a release-aware pull."""
    if dataset == "reporter":
        partner_codes = [e.m49_code for e in reference.partners()]
    elif dataset == "mirror":  # that reporter's declarations about every republic
        partner_codes = [e.m49_code for e in reference.republics()]
    else:
        raise ValueError(f"unknown Comtrade dataset {dataset!r}; expected one of {DATASETS}")
    return plan.plan_reporter_years(changed, partner_codes, cap)


def refusal_advice(endpoint: Endpoint, now: Callable[[], dt.datetime] | None = None):
    """Advice on a 401/403 from what the body says: refused by policy, quota used up, or else."""
    now = now or (lambda: dt.datetime.now(dt.UTC))

    def advise(status: int, body: str) -> str:
        if REFUSED_BY_POLICY.search(body):
            return POLICY_HINT_PREVIEW if endpoint.name == PREVIEW.name else POLICY_HINT_KEYED
        quota = QUOTA_REPLENISHED_IN.search(body)
        if quota:
            hours, minutes, seconds = (int(part) for part in quota.groups())
            at = now() + dt.timedelta(hours=hours, minutes=minutes, seconds=seconds)
            return (
                f"The call quota is used up; UN Comtrade replenishes it in "
                f"{hours:02d}:{minutes:02d}:{seconds:02d}, at about {at:%Y-%m-%d %H:%M} UTC. "
                "Run again after that: the rerun resumes and asks only for what is still missing."
            )
        return endpoint.auth_hint

    return advise


def _getter(
    settings: Settings,
    endpoint: Endpoint,
    session: requests.Session | None,
    sleep: Callable[[float], None],
) -> PoliteGetter:
    interval = settings.request_interval_seconds
    # By name: the availability endpoints (eurasia.comtrade.availability) take the key too.
    keyed = endpoint.name == KEYED.name
    return PoliteGetter(
        source="UN Comtrade",
        interval_seconds=endpoint.default_interval_seconds if interval is None else interval,
        secret_headers={KEY_HEADER: settings.comtrade_api_key} if keyed else None,
        auth_hint=refusal_advice(endpoint),
        url_setting="COMTRADE_BASE_URL",
        deadline_seconds=settings.request_deadline_seconds,
        session=session,
        sleep=sleep,
    )


def _body_problem(response: ApiResponse) -> str | None:
    """What is wrong with a 200 that is not a whole JSON answer (retried like a 5xx), else None.

    A maintenance page comes as HTML with HTTP 200; a body cut off by a closed connection that
    announced no Content-Length arrives "complete" as far as HTTP can tell, but is not JSON.
    """
    preview = response.body[:120].decode("utf-8", "replace").replace("\n", " ").strip()
    if "html" in response.content_type.lower() or response.body.lstrip()[:1] == b"<":
        return (
            f"an HTML page instead of JSON (a maintenance or error page?), "
            f"{response.content_type or 'no Content-Type'}, starting {preview!r}"
        )
    try:
        json.loads(response.body)
    except ValueError:
        ending = response.body[-60:].decode("utf-8", "replace").replace("\n", " ")
        return (
            f"a body that is not whole JSON ({len(response.body)} bytes, ending {ending!r}): "
            "probably cut off by a closed connection"
        )
    return None


def _records(response: ApiResponse, getter: PoliteGetter) -> list[dict]:
    """The `data` array of an answer; ApiError if the answer is not a successful data answer.
    (The getter has already retried answers that are not JSON: see _body_problem.)"""
    payload = json.loads(response.body)
    if not isinstance(payload, dict) or not isinstance(payload.get("data"), list):
        raise ApiError(
            f"UN Comtrade answered {response.url} without a data array; the API may have "
            "changed. Nothing was loaded."
        )
    if payload.get("error"):
        raise ApiError(
            f"UN Comtrade reported an error for {response.url}: "
            f"{getter.redact(str(payload['error']))}"
        )
    return payload["data"]


class _Extraction:
    """The state of one extraction run: a queue of requests and what has been landed."""

    def __init__(
        self,
        dataset: str,
        endpoint: Endpoint,
        base_url: str,
        getter: PoliteGetter,
        run: RawZoneRun,
        planned: list[ComtradeRequest],
    ) -> None:
        self.dataset = dataset
        self.endpoint = endpoint
        self.base_url = base_url
        self.getter = getter
        self.run = run
        self.queue: deque[ComtradeRequest] = deque(planned)
        self.calls_known = len(planned)  # grows when a cut answer is asked again in parts
        self.calls_done = 0
        self.requests_split = 0
        self.rows_landed = 0
        self._last_progress = time.monotonic()

        self.answers_reused = 0
        self.check = answer_checks.comtrade_check(dataset, run.root)

    def run_all(self) -> None:
        while self.queue:
            self._ask(self.queue.popleft())

    def _ask(self, request: ComtradeRequest) -> None:
        params = request.params(max_records=self.endpoint.cap)
        url = build_url(self.base_url, self.endpoint.path, params)
        landed = self.run.answered(url)
        if landed is not None:  # landed before this pull was resumed
            self.calls_done += 1
            self.answers_reused += 1
            self.rows_landed += landed.record_count or 0
            return
        if self.run.was_cut(url):  # its answer reached the cap before: ask for its parts
            self._split(request, self.endpoint.cap)
            return

        def fetch() -> tuple[ApiResponse, list[dict]]:
            response = self.getter.get(url, accept="application/json", check=_body_problem)
            return response, _records(response, self.getter)

        # an answer lacking reporter-years the availability lists is asked again, then stops
        response, records = self.check.ask(request, fetch)
        self.calls_done += 1
        if len(records) >= self.endpoint.cap:
            self.run.note_cut(url)
            self._split(request, len(records))
            return
        self.run.land(
            url=response.url,
            params=params,
            requested_at=response.requested_at,
            http_status=response.status,
            content_type=response.content_type,
            body=response.body,
            extension="json",
            record_count=len(records),
            years=list(request.years),
        )
        self.rows_landed += len(records)
        if self._progress_due():
            log.info(
                "comtrade %s: call %d/%d planned, %d rows landed, %.0f s waited for rate limits",
                self.dataset,
                self.calls_done,
                self.calls_known,
                self.rows_landed,
                self.getter.seconds_waited_for_rate_limits,
            )

    def _progress_due(self) -> bool:
        """About twenty progress lines a pull, and at least one every 30 s of a slow one."""
        step = max(1, self.calls_known // 20)
        now = time.monotonic()
        due = (
            self.calls_done in (1, self.calls_known)
            or self.calls_done % step == 0
            or now - self._last_progress >= 30
        )
        if due:
            self._last_progress = now
        return due

    def _split(self, request: ComtradeRequest, count: int) -> None:
        try:
            parts = request.split()
        except CannotSplitError:
            raise ApiError(
                f"UN Comtrade's {self.endpoint.name} endpoint returned {count} records, its cap, "
                f"for {request.describe()}, so the answer was cut, and that request cannot be "
                "split further. "
                + (
                    "Set COMTRADE_API_KEY to use the keyed endpoint (100,000 records per call)."
                    if self.endpoint.name == "preview"
                    else "Nothing was loaded."
                )
            ) from None
        self.requests_split += 1
        self.calls_known += len(parts)
        # Asked next, in order, so that the landings keep the plan's order.
        self.queue.extendleft(reversed(parts))
        log.warning(
            "comtrade %s: call %d/%d planned returned %d records, the %s endpoint's cap, so it was "
            "probably cut; not landed, asking again in %d smaller requests (%s)",
            self.dataset,
            self.calls_done,
            self.calls_known,
            count,
            self.endpoint.name,
            len(parts),
            request.describe(),
        )


def extract(
    settings: Settings,
    dataset: str,
    run: RawZoneRun,
    session: requests.Session | None = None,
    sleep: Callable[[float], None] = time.sleep,
    availability_run: Path | None = None,
) -> dict:
    """Land one Comtrade dataset ('reporter' or 'mirror') for settings.years; return a summary.

    Release-aware (eurasia.comtrade.releases): only the reporter-years whose release in the
    availability run (default: the newest landed) differs from the one loaded last are asked,
    unless settings.full_refresh or no release was loaded yet; the manifest's summary records
    them ("reporter_years", None for whole years) and their releases ("releases").

    If the newest pull of this dataset had the same plan and is recent (settings.reuse_hours),
    `run` takes it over (run.folder changes): an interrupted pull is resumed, asking only for
    what it lacks; a complete one is reused without a call.

    Raises ApiError (with what to do) when the API refuses or keeps failing; the run is then
    left without its manifest, so nothing of it is loaded.
    """
    if dataset not in DATASETS:
        raise ValueError(f"unknown Comtrade dataset {dataset!r}; expected one of {DATASETS}")
    if (run.source, run.dataset) != (SOURCE, dataset):
        raise ValueError(f"run is for {run.source}/{run.dataset}, not {SOURCE}/{dataset}")
    if settings.comtrade_base_url.startswith(SNAPSHOT_SCHEME) and session is None:
        raise ValueError(
            f"{settings.comtrade_base_url} is served in-process: pass "
            "session=eurasia.demo.adapter.snapshot_session({'comtrade': ComtradeEngine(...)})"
        )
    endpoint = endpoint_for(settings)
    years = list(settings.years)
    selection = releases.select(
        dataset,
        run.root,
        years,
        full_refresh=settings.full_refresh,
        availability_run=availability_run,
    )
    log.info("comtrade %s: asking for %s", dataset, selection.describe())
    if selection.changed is None:
        planned = plan_requests(dataset, years, endpoint.cap)
    else:
        planned = plan_changed(dataset, selection.changed, endpoint.cap)
    outline = plan.plan_summary(planned, reporters_bound(years))
    log.info(
        "comtrade %s: %d calls planned on the %s endpoint (cap %d records per call, at most %d "
        "records per answer) for %s",
        dataset,
        outline["requests"],
        endpoint.name,
        endpoint.cap,
        outline["largest_answer_bound"],
        settings.years,
    )
    urls = [
        build_url(settings.comtrade_base_url, endpoint.path, r.params(max_records=endpoint.cap))
        for r in planned
    ]
    started = run.begin(
        plan_identity(
            urls, endpoint=endpoint.name, base_url=settings.comtrade_base_url, years=years
        ),
        reuse_within=reuse_window(settings.reuse_hours, settings.comtrade_base_url),
    )
    if started == "complete":
        log.info(
            "comtrade %s: reusing the complete pull %s (%d answers, started within the last "
            "%g h) - no call made; EURASIA_REUSE_HOURS=0 fetches afresh",
            dataset,
            run.folder,
            len(run.landings),
            settings.reuse_hours,
        )
        return {**read_manifest(run.folder)["summary"], "calls_made": 0, "reused_complete": True}
    if started == "resumed":
        log.info(
            "comtrade %s: resuming the interrupted pull %s: %d answers already landed are kept",
            dataset,
            run.folder,
            run.resumed_from,
        )
    getter = _getter(settings, endpoint, session, sleep)
    extraction = _Extraction(dataset, endpoint, settings.comtrade_base_url, getter, run, planned)
    try:
        extraction.run_all()
    except ApiError as exc:
        exc.add_note_to_message(run.resume_note(extraction.calls_known))
        raise
    finally:
        if session is None:  # ours to close; a caller's session is the caller's
            getter.close()
    summary = {
        "dataset": dataset,
        "endpoint": endpoint.name,
        "calls_planned": len(planned),
        "calls_made": getter.calls_made,
        "requests_split": extraction.requests_split,
        "rows_landed": extraction.rows_landed,
        "landings": len(run.landings),
        "answers_reused": extraction.answers_reused,
        "seconds_waited_for_rate_limits": getter.seconds_waited_for_rate_limits,
    }
    # Before the manifest: what the loader replaces and the releases it records as loaded.
    releases.write_selection(run.folder, selection)
    run.complete(years, summary)
    log.info("comtrade %s: complete: %s", dataset, summary)
    return summary
