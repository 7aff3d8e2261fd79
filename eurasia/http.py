"""A polite HTTP getter shared by the source clients.

It keeps a minimum interval between calls, retries what is transient (429 after Retry-After,
5xx and connection failures with exponential backoff) and stops at once, with a message saying
what to do, on what is not (401/403 and other 4xx). Secrets travel only in headers and are
scrubbed from every message this module produces.
"""

from __future__ import annotations

import datetime as dt
import email.utils
import logging
import re
import time
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass
from urllib.parse import urlencode

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


class ApiError(RuntimeError):
    """The API answered in a way that retrying will not fix. The message says what to do."""


class ApiUnavailableError(ApiError):
    """Transient failures outlasted the retry budget."""


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


class PoliteGetter:
    def __init__(
        self,
        *,
        source: str,
        interval_seconds: float,
        secret_headers: Mapping[str, str] | None = None,
        headers: Mapping[str, str] | None = None,
        auth_hint: str = "",
        max_attempts: int = 6,
        backoff_seconds: float = 2.0,
        max_wait_seconds: float = 300.0,
        timeout_seconds: float = 120.0,
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
        self.max_attempts = max_attempts
        self.backoff_seconds = backoff_seconds
        self.max_wait_seconds = max_wait_seconds
        self.timeout_seconds = timeout_seconds
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

    def get(
        self, url: str, *, accept: str | None = None, ok_statuses: Collection[int] = (200,)
    ) -> ApiResponse:
        """GET with pacing and retries. A status in ok_statuses is returned, not raised: some
        APIs answer an empty query with a 4xx (SDMX: 404 No Results Found) that is a result."""
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
                # Redirects are not followed: requests would carry the key header to whatever
                # host a redirect names, and the landed URL would not be the one that answered.
                response = self._session.get(
                    url, headers=headers, timeout=self.timeout_seconds, allow_redirects=False
                )
            except requests.exceptions.SSLError as exc:
                raise ApiError(
                    f"{self.source}: TLS failed for {self.redact(url)} "
                    f"({self.redact(str(exc))[:200]}). This is not transient: check the base URL "
                    "and the machine's CA certificates."
                ) from None
            except TRANSIENT_ERRORS as exc:
                last_problem = f"{type(exc).__name__} ({self.redact(str(exc))[:200]})"
                if attempt < self.max_attempts:
                    self._wait(backoff, last_problem)
                continue
            status = response.status_code
            if status in ok_statuses:
                return ApiResponse(
                    url=url,
                    status=status,
                    content_type=response.headers.get("Content-Type", ""),
                    body=response.content,
                    requested_at=sent_at,
                    attempts=attempt,
                )
            snippet = self.redact(response.text[:300]).strip()
            if status == 429:
                wait = retry_after_seconds(response)
                last_problem = f"HTTP 429 rate limited: {snippet}"
                if wait is not None and wait > self.max_wait_seconds:
                    # A quota exhausted for hours: retrying within this run cannot succeed.
                    raise ApiError(
                        f"{self.source} is rate limiting for {wait:.0f} s ({snippet}), longer "
                        f"than this run waits ({self.max_wait_seconds:.0f} s). The quota is "
                        "probably used up; run again after it resets. Nothing was loaded."
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
                    f"{self.auth_hint}".strip()
                )
            raise ApiError(
                f"{self.source} rejected {self.redact(url)} with HTTP {status}: {snippet}. "
                "This is not transient; check the request parameters and settings."
            )
        raise ApiUnavailableError(
            f"{self.source} still failing after {self.max_attempts} attempts at "
            f"{self.redact(url)}: {last_problem}. Nothing was loaded; run the pipeline again later."
        )
