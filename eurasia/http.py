"""A polite HTTP getter shared by the source clients.

It keeps a minimum interval between calls, retries what is transient (429 after Retry-After,
5xx, connection failures, a call that outlives its deadline, and a 200 whose body is not what
the API speaks - a maintenance page, a body cut off - with exponential backoff) and stops at
once, with a message saying what to do, on what is not (401/403, other 4xx, TLS failures, an
unknown host). Secrets travel only in headers and are scrubbed from every message this module
produces.

Every call has a total deadline, not only a per-read socket timeout: a server that sends one
byte every 50 s never trips a 120 s read timeout, yet never finishes. The call runs in a worker
thread while this one watches the clock, logs a line whenever the call has been silent for a
while, and at the deadline closes the connection and counts the attempt as failed.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import email.utils
import logging
import re
import socket
import threading
import time
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass
from urllib.parse import urlencode, urlsplit

import requests

log = logging.getLogger(__name__)

# Failures that another attempt may not meet: the connection could not be made, broke off
# mid-answer, or timed out. (TLS errors are a ConnectionError too, but they are not transient.)
TRANSIENT_ERRORS = (
    requests.ConnectionError,
    requests.Timeout,
    requests.exceptions.ChunkedEncodingError,
    requests.exceptions.ContentDecodingError,
)
RETRY_AFTER_IN_BODY = re.compile(r"[Tt]ry again in (\d+(?:\.\d+)?) seconds?")
DEFAULT_DEADLINE_SECONDS = 180.0
# A call silent this long gets a line in the log, and another each time as long again passes.
SILENCE_REPORT_SECONDS = 30.0


class ApiError(RuntimeError):
    """The API answered in a way that retrying will not fix. The message says what to do."""

    def add_note_to_message(self, note: str) -> None:
        """Append what the caller knows (e.g. what a rerun will reuse) to the one-line message."""
        if note:
            self.args = (f"{self.args[0] if self.args else ''} {note}".strip(), *self.args[1:])


class ApiUnavailableError(ApiError):
    """Transient failures outlasted the retry budget."""


class CallDeadlineExceeded(requests.Timeout):
    """A call got no complete answer within its total deadline (transient: retried)."""


# A body check returns None for a usable answer, else what is wrong with it ("an HTML page ...");
# such an answer is retried like a 5xx (see PoliteGetter.get).
BodyCheck = Callable[["ApiResponse"], str | None]
# Advice on a 401/403 from its status and (redacted) body; a plain string for one advice for all.
RefusalAdvice = str | Callable[[int, str], str]


@dataclass(frozen=True)
class ApiResponse:
    url: str  # as requested, never containing a secret
    status: int
    content_type: str
    body: bytes
    requested_at: float  # epoch seconds when the successful attempt was sent
    attempts: int


def build_url(base_url: str, path: str, params: Mapping[str, object]) -> str:
    """Encode parameters ourselves so that the URL logged and landed is exactly the one sent."""
    query = urlencode({k: v for k, v in params.items() if v is not None}, safe=",+:")
    return f"{base_url.rstrip('/')}/{path.lstrip('/')}" + (f"?{query}" if query else "")


def retry_after_seconds(response: requests.Response) -> float | None:
    header = response.headers.get("Retry-After")
    if header:
        header = header.strip()
        if header.replace(".", "", 1).isdigit():
            return float(header)
        try:
            parsed = email.utils.parsedate_to_datetime(header) if header else None
        except (TypeError, ValueError):
            parsed = None  # unparseable: fall back to the body, then to backoff
        if parsed is not None:
            if parsed.tzinfo is None:  # "-0000" means UTC without a stated zone (RFC 5322)
                parsed = parsed.replace(tzinfo=dt.UTC)
            return max(0.0, parsed.timestamp() - time.time())
    match = RETRY_AFTER_IN_BODY.search(response.text[:500])
    return float(match.group(1)) if match else None


def unresolvable_host(exc: BaseException) -> socket.gaierror | None:
    """The DNS error behind a connection failure, if the host name could not be resolved.

    requests wraps it several levels deep (ConnectionError > MaxRetryError > NameResolutionError
    > gaierror). "Temporary failure in name resolution" (EAI_AGAIN) is a resolver that did not
    answer, which another attempt may cure, so it is not reported here.
    """
    seen: set[int] = set()
    pending: list[BaseException | None] = [exc]
    while pending:
        current = pending.pop()
        if current is None or id(current) in seen:
            continue
        seen.add(id(current))
        if isinstance(current, socket.gaierror):
            return None if current.errno == socket.EAI_AGAIN else current
        pending.extend([current.__cause__, current.__context__, getattr(current, "reason", None)])
        pending.extend(arg for arg in current.args if isinstance(arg, BaseException))
    return None


def failure_cause(exc: BaseException) -> str:
    """The cause of a connection failure, without the wrapper's long preamble.

    requests says "HTTPConnectionPool(host=..., port=...): Max retries exceeded with url: <the
    whole URL> (Caused by ...)": with a long URL the cause itself would be cut from a message.
    """
    reason = exc.args[0] if exc.args else None
    reason = getattr(reason, "reason", reason)  # urllib3's MaxRetryError carries the cause
    if isinstance(reason, BaseException):
        return f"{type(reason).__name__}: {reason}"
    return str(exc)


def _abort(response: requests.Response | None) -> None:
    """Close a response's connection from another thread, waking a read blocked on it."""
    if response is None:
        return
    # A fake or already closed response has nothing to wake.
    with contextlib.suppress(Exception):
        response.raw.shutdown()  # urllib3 >= 2.3: shuts the socket down under a blocked read
    with contextlib.suppress(Exception):
        response.close()


class PoliteGetter:
    def __init__(
        self,
        *,
        source: str,
        interval_seconds: float,
        secret_headers: Mapping[str, str] | None = None,
        headers: Mapping[str, str] | None = None,
        auth_hint: RefusalAdvice = "",
        url_setting: str = "the API base URL",
        max_attempts: int = 6,
        backoff_seconds: float = 2.0,
        max_wait_seconds: float = 300.0,
        timeout_seconds: float = 120.0,
        deadline_seconds: float = DEFAULT_DEADLINE_SECONDS,
        session: requests.Session | None = None,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.source = source
        self.interval_seconds = interval_seconds
        self._secret_headers = dict(secret_headers or {})
        self._secrets = [v for v in self._secret_headers.values() if v]
        self._headers = dict(headers or {})
        self.auth_hint = auth_hint
        self.url_setting = url_setting
        self.max_attempts = max_attempts
        self.backoff_seconds = backoff_seconds
        self.max_wait_seconds = max_wait_seconds
        # The socket timeout (per connect, per read) never outlasts the call's total deadline.
        self.timeout_seconds = min(timeout_seconds, deadline_seconds)
        self.deadline_seconds = deadline_seconds
        self.silence_report_seconds = min(SILENCE_REPORT_SECONDS, deadline_seconds / 2)
        self._session = session or requests.Session()
        self._sleep = sleep
        self._clock = clock
        self._last_call: float | None = None
        self.calls_made = 0
        self.seconds_waited_for_rate_limits = 0.0

    def close(self) -> None:
        self._session.close()

    def redact(self, text: str) -> str:
        for secret in self._secrets:
            text = text.replace(secret, "***")
        return text

    def _pace(self) -> None:
        if self._last_call is not None:
            remaining = self.interval_seconds - (self._clock() - self._last_call)
            if remaining > 0:
                self._sleep(remaining)
        self._last_call = self._clock()

    def _wait(self, seconds: float, why: str) -> None:
        seconds = min(seconds, self.max_wait_seconds)
        log.warning("%s: %s; waiting %.0f s before retrying", self.source, why, seconds)
        self._sleep(seconds)

    def _send(self, url: str, headers: Mapping[str, str]) -> requests.Response:
        """One attempt, its body read whole, within the deadline; logs while it stays silent."""
        outcome: dict[str, object] = {}
        finished = threading.Event()

        def call() -> None:
            try:
                # Redirects are not followed: requests would carry the key header to whatever
                # host a redirect names, and the landed URL would not be the one that answered.
                response = self._session.get(
                    url,
                    headers=headers,
                    timeout=self.timeout_seconds,
                    allow_redirects=False,
                    stream=True,
                )
                outcome["response"] = response
                response.content  # noqa: B018 - reads the whole body here, under the watch
            except BaseException as exc:  # noqa: BLE001 - handed to the watching thread
                outcome["error"] = exc
            finally:
                finished.set()

        started = time.monotonic()
        threading.Thread(target=call, name=f"{self.source} call", daemon=True).start()
        while True:
            waited = time.monotonic() - started
            remaining = self.deadline_seconds - waited
            if remaining <= 0:
                break
            if finished.wait(min(self.silence_report_seconds, remaining)):
                break
            waited = time.monotonic() - started
            if waited < self.deadline_seconds:
                log.warning(
                    "%s: no complete answer yet after %.0f s from %s; giving up at %.0f s",
                    self.source,
                    waited,
                    self.redact(url),
                    self.deadline_seconds,
                )
        if not finished.is_set():
            # The worker thread is left to end on its own; its connection is closed under it.
            _abort(outcome.get("response"))  # type: ignore[arg-type]
            raise CallDeadlineExceeded(
                f"no complete answer within the {self.deadline_seconds:g} s deadline of a "
                "call (a server that stalls or trickles)"
            )
        if "error" in outcome:
            raise outcome["error"]  # type: ignore[misc]
        return outcome["response"]  # type: ignore[return-value]

    def _refusal_advice(self, status: int, snippet: str) -> str:
        if callable(self.auth_hint):
            return self.auth_hint(status, snippet)
        return self.auth_hint

    def get(
        self,
        url: str,
        *,
        accept: str | None = None,
        ok_statuses: Collection[int] = (200,),
        check: BodyCheck | None = None,
    ) -> ApiResponse:
        """GET with pacing and retries. A status in ok_statuses is returned, not raised: some
        APIs answer an empty query with a 4xx (SDMX: 404 No Results Found) that is a result.

        `check` sees every such answer; one it finds wrong (a maintenance page served with 200,
        a body cut off by a closed connection) is retried like a 5xx."""
        headers = {**self._headers, **self._secret_headers}
        if accept:
            headers["Accept"] = accept
        last_problem = ""
        for attempt in range(1, self.max_attempts + 1):
            self._pace()
            sent_at = time.time()
            self.calls_made += 1
            backoff = self.backoff_seconds * 2 ** (attempt - 1)
            try:
                response = self._send(url, headers)
            except requests.exceptions.SSLError as exc:
                raise ApiError(
                    f"{self.source}: TLS failed for {self.redact(url)} "
                    f"({self.redact(str(exc))[:200]}). This is not transient: check the base URL "
                    "and the machine's CA certificates."
                ) from None
            except TRANSIENT_ERRORS as exc:
                dns_error = unresolvable_host(exc)
                if dns_error is not None:
                    raise ApiError(
                        f"{self.source}: the host {urlsplit(url).hostname!r} is unknown (DNS: "
                        f"{dns_error.strerror or dns_error}). This is not transient: check "
                        f"{self.url_setting} for a typo, and the machine's network and DNS."
                    ) from None
                last_problem = f"{type(exc).__name__} ({self.redact(failure_cause(exc))[:300]})"
                if attempt < self.max_attempts:
                    self._wait(backoff, last_problem)
                continue
            status = response.status_code
            if status in ok_statuses:
                answer = ApiResponse(
                    url=url,
                    status=status,
                    content_type=response.headers.get("Content-Type", ""),
                    body=response.content,
                    requested_at=sent_at,
                    attempts=attempt,
                )
                problem = check(answer) if check else None
                if problem is None:
                    return answer
                last_problem = f"HTTP {status} but {self.redact(problem)}"
                if attempt < self.max_attempts:
                    self._wait(backoff, last_problem)
                continue
            snippet = self.redact(response.text[:300]).strip()
            if status == 429:
                wait = retry_after_seconds(response)
                last_problem = f"HTTP 429 rate limited: {snippet}"
                if wait is not None and wait > self.max_wait_seconds:
                    # A quota exhausted for hours: retrying within this run cannot succeed.
                    raise ApiError(
                        f"{self.source} is rate limiting for {wait:.0f} s ({snippet}), longer "
                        f"than this run waits ({self.max_wait_seconds:.0f} s). The quota is "
                        "probably used up; run again after it resets."
                    )
                if attempt < self.max_attempts:
                    wait = backoff if wait is None else wait
                    self.seconds_waited_for_rate_limits += min(wait, self.max_wait_seconds)
                    self._wait(wait, "rate limited (HTTP 429)")
                continue
            if 300 <= status < 400:
                raise ApiError(
                    f"{self.source} redirected {self.redact(url)} (HTTP {status}) to "
                    f"{self.redact(response.headers.get('Location', '?'))}. Redirects are not "
                    "followed, so that the key is never sent elsewhere: set the base URL to the "
                    "address the API now answers at."
                )
            if status >= 500 or status == 408:
                last_problem = f"HTTP {status}: {snippet}"
                if attempt < self.max_attempts:
                    self._wait(backoff, f"server error HTTP {status}")
                continue
            if status in (401, 403):
                raise ApiError(
                    f"{self.source} refused the request with HTTP {status} ({snippet}). "
                    f"{self._refusal_advice(status, snippet)}".strip()
                )
            raise ApiError(
                f"{self.source} rejected {self.redact(url)} with HTTP {status}: {snippet}. "
                "This is not transient; check the request parameters and settings."
            )
        raise ApiUnavailableError(
            f"{self.source} still failing after {self.max_attempts} attempts at "
            f"{self.redact(url)}: {last_problem}. Nothing was loaded; run the pipeline again later."
        )
