"""Pull annual TOTAL trade from UN Comtrade v1 into the raw zone.

With COMTRADE_API_KEY set, the keyed endpoint `/data/v1/get/C/A/HS` is used (100,000 records per
call, the key sent only in the `Ocp-Apim-Subscription-Key` header); without it, the keyless
preview `/public/v1/preview/C/A/HS` (500 records per call). Requests are planned under the cap
(eurasia.comtrade.plan); an answer that still reaches the cap was cut by the API, so it is not
landed and its request is asked again in smaller parts.
"""

from __future__ import annotations

import json
import logging
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass

import requests

from eurasia import reference
from eurasia.comtrade import plan
from eurasia.comtrade.plan import CannotSplitError, ComtradeRequest
from eurasia.http import ApiError, ApiResponse, PoliteGetter, build_url
from eurasia.rawzone import RawZoneRun
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
        auth_hint=endpoint.auth_hint,
        session=session,
        sleep=sleep,
    )


def _records(response: ApiResponse, getter: PoliteGetter) -> list[dict]:
    """The `data` array of an answer; ApiError if the answer is not a successful data answer."""
    try:
        payload = json.loads(response.body)
    except ValueError:
        snippet = getter.redact(response.body[:200].decode("utf-8", "replace"))
        raise ApiError(
            f"UN Comtrade answered {response.url} with something that is not JSON: {snippet!r}. "
            "The service may be under maintenance; run again later."
        ) from None
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

    def run_all(self) -> None:
        while self.queue:
            self._ask(self.queue.popleft())

    def _ask(self, request: ComtradeRequest) -> None:
        params = request.params(max_records=self.endpoint.cap)
        url = build_url(self.base_url, self.endpoint.path, params)
        response = self.getter.get(url, accept="application/json")
        records = _records(response, self.getter)
        self.calls_done += 1
        if len(records) >= self.endpoint.cap:
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
) -> dict:
    """Land one Comtrade dataset ('reporter' or 'mirror') for settings.years; return a summary.

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
    planned = plan_requests(dataset, years, endpoint.cap)
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
    getter = _getter(settings, endpoint, session, sleep)
    extraction = _Extraction(dataset, endpoint, settings.comtrade_base_url, getter, run, planned)
    try:
        extraction.run_all()
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
        "seconds_waited_for_rate_limits": getter.seconds_waited_for_rate_limits,
    }
    run.complete(years, summary)
    log.info("comtrade %s: complete: %s", dataset, summary)
    return summary
