"""The IMF SDMX API as every dataflow's client meets it: one getter, one judgement of an answer.

The DIP and IMTS clients ask the same API, with the same key, pace and retries, and get the same
kinds of answer back (SDMX-CSV, or a 404 "No Results Found"), so both use these functions; only
the names in messages (`source`, `dataflow`) differ.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable
from typing import ClassVar

import requests

from eurasia.http import ApiError, ApiResponse, PoliteGetter
from eurasia.imf.sdmx_csv import (
    NotSdmxCsvError,
    count_observations,
    decode,
    describe_body,
    flavour,
    is_no_results,
    read_table,
)
from eurasia.settings import DEFAULT_IMF_SDMX_BASE_URL, Settings

KEY_HEADER = "Ocp-Apim-Subscription-Key"
DEFAULT_INTERVAL_SECONDS = 1.0
AUTH_HINT = (
    "Check IMF_API_KEY: it must be an active subscription key from the IMF Data API portal "
    "(linked from data.imf.org), sent only as the Ocp-Apim-Subscription-Key header; "
    "or leave IMF_API_KEY unset to use the public, unkeyed access."
)


class SeriesKeyRequest(ABC):
    """One data request of a dataflow: a series key over a span of years.

    Mixed into each plan's frozen dataclass, which gives `dataflow_id`, `first_year`, `last_year`
    and the key's dimensions in the data structure's order.
    """

    dataflow_id: ClassVar[str]
    first_year: int
    last_year: int

    @abstractmethod
    def key_dimensions(self) -> tuple[tuple[str, ...], ...]:
        """The key's dimensions in the data structure's order (each dataflow names its own)."""

    def key(self) -> str:
        """Series key in the data structure's order; '+' joins alternatives of one dimension."""
        return ".".join("+".join(values) for values in self.key_dimensions())

    def path(self) -> str:
        return f"data/{self.dataflow_id}/{self.key()}"

    def params(self) -> dict[str, int]:
        return {"startPeriod": self.first_year, "endPeriod": self.last_year}

    @property
    def years(self) -> list[int]:
        return list(range(self.first_year, self.last_year + 1))


def imf_getter(
    settings: Settings,
    session: requests.Session | None,
    sleep: Callable[[float], None],
    source: str,
) -> PoliteGetter:
    """The IMF API's getter; `source` names the dataflow's client in messages."""
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


def body_problem(response: ApiResponse) -> str | None:
    """What is wrong with a 200 that is not whole SDMX-CSV (retried like a 5xx), else None."""
    if response.status != 200:
        return None  # a 404 is judged by record_count: No Results Found, or a wrong URL
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


def record_count(
    response: ApiResponse, getter: PoliteGetter, source: str, dataflow: str
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
