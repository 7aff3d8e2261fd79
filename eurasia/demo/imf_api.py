"""An engine answering IMF SDMX 2.1 data queries for dataflow IMF.STA,DIP as SDMX-CSV 1.0.

It serves `/data/IMF.STA,DIP/<key>` (also `IMF.STA:DIP` and a trailing version such as
`IMF.STA,DIP,12.0.1`), where the key is COUNTRY.DV_TYPE.INDICATOR.COUNTERPART_COUNTRY.FREQUENCY,
'+' joins alternatives and an empty part matches everything; `startPeriod`/`endPeriod` filter by
year. Like the real service it answers a query that matches nothing with HTTP 404 "No Results
Found" (SDMX error code 100), and, when built with an api_key, refuses a request without the
`Ocp-Apim-Subscription-Key` header with the API gateway's 401.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Mapping

from eurasia.imf.sdmx_csv import DIMENSIONS, decode, read_table

CSV_CONTENT_TYPE = "application/vnd.sdmx.data+csv; version=1.0.0; charset=utf-8"
KEY_HEADER = "ocp-apim-subscription-key"
DATAFLOW_NAMES = {"IMF.STA,DIP", "IMF.STA:DIP"}

NO_RESULTS_BODY = b"""<?xml version="1.0" encoding="utf-8"?>
<message:Error xmlns:message="http://www.sdmx.org/resources/sdmxml/schemas/v2_1/message" \
xmlns:common="http://www.sdmx.org/resources/sdmxml/schemas/v2_1/common">
  <message:ErrorMessage code="100">
    <common:Text xml:lang="en">NoResultsFound: No Results Found</common:Text>
  </message:ErrorMessage>
</message:Error>
"""
# What Azure API Management, in front of api.imf.org, says about a missing or wrong key.
UNAUTHORIZED_BODY = (
    b'{ "statusCode": 401, "message": "Access denied due to invalid subscription key. '
    b'Make sure to provide a valid key for an active subscription." }'
)

Answer = tuple[int, dict[str, str], bytes]


def _text(status: int, body: bytes, content_type: str = "text/plain; charset=utf-8") -> Answer:
    return status, {"Content-Type": content_type}, body


def _rows_from(csv_text_or_rows: str | Iterable[Mapping[str, str]]):
    if isinstance(csv_text_or_rows, str):
        return read_table(csv_text_or_rows)
    dicts = list(csv_text_or_rows)
    header = list(dicts[0]) if dicts else ["DATAFLOW", *DIMENSIONS, "TIME_PERIOD", "OBS_VALUE"]
    return header, [[_field(d.get(name)) for name in header] for d in dicts]


def _field(value: object) -> str:
    return "" if value is None else str(value)


def _parse_key(key: str) -> list[set[str] | None] | None:
    """One set of accepted codes per dimension (None = any); None if the key is malformed."""
    if key in ("", "all", "ALL"):
        return [None] * len(DIMENSIONS)
    parts = key.split(".")
    if len(parts) != len(DIMENSIONS):
        return None
    return [set(part.split("+")) if part else None for part in parts]


def _year(values: list[str] | None) -> int | None:
    """Year of a startPeriod/endPeriod such as 2009 or 2009-01; raises ValueError if not one."""
    if not values or not values[0]:
        return None
    return int(values[0][:4])


class ImfDipEngine:
    def __init__(
        self,
        csv_text_or_rows: str | bytes | Iterable[Mapping[str, str]],
        *,
        api_key: str | None = None,
    ):
        if isinstance(csv_text_or_rows, bytes):
            csv_text_or_rows = decode(csv_text_or_rows)
        self.header, self.rows = _rows_from(csv_text_or_rows)
        missing = [c for c in (*DIMENSIONS, "TIME_PERIOD") if c not in self.header]
        if missing:
            raise ValueError(f"the observations lack the columns {missing}")
        ragged = [i for i, row in enumerate(self.rows, start=2) if len(row) != len(self.header)]
        if ragged:
            raise ValueError(f"records {ragged[:5]} do not have {len(self.header)} fields")
        self._dim_index = [self.header.index(name) for name in DIMENSIONS]
        self._time_index = self.header.index("TIME_PERIOD")
        self.api_key = api_key

    def answer(self, path: str, query: dict[str, list[str]], headers: Mapping[str, str]) -> Answer:
        lowered = {name.lower(): value for name, value in headers.items()}
        parts = [p for p in path.split("/") if p]
        refusal = self._refusal(path, parts, lowered)
        if refusal:
            return refusal
        key = _parse_key(parts[2] if len(parts) > 2 else "")
        if key is None:
            return _text(
                400,
                f"Semantic error: the key needs {len(DIMENSIONS)} parts "
                f"({'.'.join(DIMENSIONS)})".encode(),
            )
        try:
            first, last = _year(query.get("startPeriod")), _year(query.get("endPeriod"))
        except ValueError:
            return _text(400, b"Syntax error: startPeriod/endPeriod must start with a year")
        matches = [row for row in self.rows if self._matches(row, key, first, last)]
        if not matches:
            return _text(404, NO_RESULTS_BODY, "application/xml; charset=utf-8")
        return 200, {"Content-Type": CSV_CONTENT_TYPE}, self._csv(matches)

    def _refusal(self, path: str, parts: list[str], headers: dict[str, str]) -> Answer | None:
        """The gateway's key check first (it guards every path), then path and Accept."""
        if self.api_key is not None and headers.get(KEY_HEADER) != self.api_key:
            return _text(401, UNAUTHORIZED_BODY, "application/json")
        if len(parts) < 2 or parts[0] != "data" or not self._is_dip(parts[1]):
            return _text(
                404,
                f"Resource not found: {path} (this stand-in serves only "
                "/data/IMF.STA,DIP/<key>)".encode(),
            )
        accept = headers.get("accept", "*/*")
        if "csv" not in accept and "*/*" not in accept:
            return _text(406, f"Not Acceptable: {accept}; this stand-in serves SDMX-CSV".encode())
        return None

    @staticmethod
    def _is_dip(flow_ref: str) -> bool:
        # A flow reference may carry a version: IMF.STA,DIP,12.0.1 or IMF.STA,DIP,latest.
        parts = flow_ref.replace(":", ",").split(",")
        return ",".join(parts[:2]) in DATAFLOW_NAMES

    def _matches(self, row, key, first: int | None, last: int | None) -> bool:
        for index, accepted in zip(self._dim_index, key, strict=True):
            if accepted is not None and row[index] not in accepted:
                return False
        year = int(row[self._time_index][:4])
        return (first is None or year >= first) and (last is None or year <= last)

    def _csv(self, rows: list[list[str]]) -> bytes:
        out = io.StringIO(newline="")
        # The csv module quotes any field holding a comma, quote or newline, so multi-line
        # attribute texts come out intact.
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(self.header)
        writer.writerows(rows)
        return out.getvalue().encode("utf-8")
