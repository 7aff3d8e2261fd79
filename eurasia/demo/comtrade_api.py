"""Answer UN Comtrade v1 data requests from an in-memory list of records, in the API's format.

Mimics what a client can observe of https://comtradeapi.un.org for annual goods data:

- `/public/v1/preview/C/A/HS` (keyless) answers at most 500 records;
- `/data/v1/get/C/A/HS` answers at most 100,000 records and 401 without the subscription key
  in the `Ocp-Apim-Subscription-Key` header, with the body the API gateway (APIM) sends;
- an answer longer than the cap (or than `maxRecords`) is cut silently: `count` is the number
  of records returned, not the number that matched;
- no match is still HTTP 200 with `count: 0, data: []`;
- `/public/v1/getDA/C/A/HS` (keyless) and `/data/v1/getDA/C/A/HS` (keyed) answer the data
  availability: one record per released reporter-year, consistent with the records served (a
  reporter-year is listed iff it has records; `totalRecords` is their count; the checksum is
  derived from their bytes, so it changes when they do; release times are derived from the
  reporter and year, never after the engine's `as_of`, unless `releases` sets them).

Filters take comma lists; an absent parameter does not filter (reporterCode absent = all
reporters). Parameter names are matched case-insensitively, as the API does.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections import defaultdict
from collections.abc import Iterable, Mapping

from eurasia.demo import SNAPSHOT_AS_OF

PREVIEW_PATH = "/public/v1/preview/C/A/HS"
KEYED_PATH = "/data/v1/get/C/A/HS"
PREVIEW_DA_PATH = "/public/v1/getDA/C/A/HS"
KEYED_DA_PATH = "/data/v1/getDA/C/A/HS"
# No cap is documented for getDA; the stand-in applies the data endpoints' caps, the bound the
# client plans under (eurasia.comtrade.availability), so that cutting and splitting are exercised.
CAPS = {PREVIEW_PATH: 500, KEYED_PATH: 100_000, PREVIEW_DA_PATH: 500, KEYED_DA_PATH: 100_000}
KEYED_PATHS = (KEYED_PATH, KEYED_DA_PATH)
DA_FILTERS = {"reportercode": "reporterCode", "period": "period"}
KEY_HEADER = "Ocp-Apim-Subscription-Key"
# Query parameter -> record field it filters on.
FILTERS = {
    "reportercode": "reporterCode",
    "partnercode": "partnerCode",
    "flowcode": "flowCode",
    "period": "period",
    "cmdcode": "cmdCode",
    "customscode": "customsCode",
    "motcode": "motCode",
    "partner2code": "partner2Code",
}
JSON_TYPE = "application/json; charset=utf-8"
MISSING_KEY = (
    "Access denied due to missing subscription key. "
    "Make sure to include subscription key when making requests to an API."
)
INVALID_KEY = (
    "Access denied due to invalid subscription key. "
    "Make sure to provide a valid key for an active subscription."
)


def _norm(value: object) -> str:
    """One spelling per code, so that 156, "156" and "0156" compare equal."""
    text = str(value).strip()
    return str(int(text)) if text.isdigit() else text.upper()


def _gateway_error(status: int, message: str) -> tuple[int, dict[str, str], bytes]:
    # APIM's own error bodies are spaced like this, unlike the data answers.
    body = f'{{ "statusCode": {status}, "message": "{message}" }}'.encode()
    return status, {"Content-Type": JSON_TYPE}, body


Releases = Mapping[tuple[int, int], tuple[str, str]]


class ComtradeEngine:
    """`releases` sets (firstReleased, lastReleased) per (reporterCode, year), e.g. to model a
    revision; other reporter-years get release times derived from reporter and year."""

    def __init__(
        self,
        records: Iterable[dict],
        *,
        api_key: str | None = None,
        as_of: str = SNAPSHOT_AS_OF,
        releases: Releases | None = None,
    ) -> None:
        self.api_key = api_key
        self.as_of = dt.datetime.fromisoformat(as_of)
        self.releases = dict(releases or {})
        records = list(records)
        # Serialised once: hundreds of answers over ~30k records would otherwise spend their
        # time in json.dumps.
        self._encoded = [
            json.dumps(r, separators=(",", ":"), ensure_ascii=False).encode() for r in records
        ]
        self._keys = [{f: _norm(r.get(f)) for f in FILTERS.values()} for r in records]
        self._periods = sorted({k["period"] for k in self._keys})
        self._by_reporter_period = self._index("reporterCode")
        self._by_partner_period = self._index("partnerCode")
        self._availability: list[tuple[dict[str, str], bytes]] | None = None

    def _index(self, field: str) -> dict[tuple[str, str], list[int]]:
        index: dict[tuple[str, str], list[int]] = defaultdict(list)
        for position, keys in enumerate(self._keys):
            index[(keys[field], keys["period"])].append(position)
        return dict(index)

    def answer(
        self, path: str, query: Mapping[str, list[str]], headers: Mapping[str, str]
    ) -> tuple[int, dict[str, str], bytes]:
        path = path.rstrip("/")
        if path not in CAPS:
            return _gateway_error(404, "Resource not found")
        if path in KEYED_PATHS:
            refused = self._check_key(headers)
            if refused:
                return refused
        params = {name.lower(): values for name, values in query.items()}
        limit = min(CAPS[path], _max_records(params.get("maxrecords")) or CAPS[path])
        if path in (PREVIEW_DA_PATH, KEYED_DA_PATH):
            selected = self._select_availability(_wanted(params, DA_FILTERS))[:limit]
        else:
            encoded = self._encoded
            selected = [encoded[i] for i in self._select(_wanted(params, FILTERS))[:limit]]
        body = (
            b'{"elapsedTime":"0.01 secs","count":%d,"data":[' % len(selected)
            + b",".join(selected)
            + b'],"error":""}'
        )
        return 200, {"Content-Type": JSON_TYPE}, body

    def _select_availability(self, wanted: dict[str, set[str]]) -> list[bytes]:
        if self._availability is None:
            self._availability = self._build_availability()
        return [
            encoded
            for keys, encoded in self._availability
            if all(keys[field] in allowed for field, allowed in wanted.items())
        ]

    def _build_availability(self) -> list[tuple[dict[str, str], bytes]]:
        """One getDA record per reporter-year with records, sorted by period and reporter."""
        by_reporter_year = sorted(
            self._by_reporter_period.items(), key=lambda item: (item[0][1], int(item[0][0]))
        )
        out = []
        for (reporter, period), positions in by_reporter_year:
            first = json.loads(self._encoded[positions[0]])
            digest = hashlib.sha256(b"\n".join(self._encoded[i] for i in positions)).digest()
            released = self.releases.get((int(reporter), int(period)))
            record = availability_record(
                first,
                total_records=len(positions),
                checksum=int.from_bytes(digest[:8]) >> 1,  # a positive 63-bit number
                released=released or derived_release(int(reporter), int(period), self.as_of),
            )
            keys = {"reporterCode": reporter, "period": period}
            out.append((keys, json.dumps(record, separators=(",", ":")).encode()))
        return out

    def _check_key(self, headers: Mapping[str, str]) -> tuple[int, dict[str, str], bytes] | None:
        sent = {name.lower(): value for name, value in headers.items()}.get(KEY_HEADER.lower())
        if not sent:
            return _gateway_error(401, MISSING_KEY)
        if self.api_key is None or sent != self.api_key:
            return _gateway_error(401, INVALID_KEY)
        return None

    def _candidates(self, wanted: dict[str, set[str]]) -> Iterable[int]:
        """Positions that may match, from the cheaper of the two indexes; all if neither fits."""
        periods = wanted.get("period", self._periods)
        options = []
        for field, index in (
            ("reporterCode", self._by_reporter_period),
            ("partnerCode", self._by_partner_period),
        ):
            if field in wanted:
                lists = [index.get((c, p), []) for c in wanted[field] for p in periods]
                options.append((sum(map(len, lists)), lists))
        if not options:
            return range(len(self._keys))
        _, lists = min(options, key=lambda option: option[0])
        # Sorted so that answers, and where they are cut, follow the dataset's order.
        return sorted(position for positions in lists for position in positions)

    def _select(self, wanted: dict[str, set[str]]) -> list[int]:
        checks = list(wanted.items())
        return [
            i
            for i in self._candidates(wanted)
            if all(self._keys[i][field] in allowed for field, allowed in checks)
        ]


def _wanted(params: Mapping[str, list[str]], filters: Mapping[str, str]) -> dict[str, set[str]]:
    """Allowed values per record field, from comma lists; an absent parameter does not filter."""
    return {
        field: {_norm(v) for value in params[name] for v in value.split(",") if v.strip()}
        for name, field in filters.items()
        if name in params
    }


def derived_release(reporter: int, year: int, as_of: dt.datetime) -> tuple[str, str]:
    """Plausible, deterministic (firstReleased, lastReleased) of a reporter-year: first published
    2 to 12 months after the year ends, revised for about two in three reporter-years within
    the following year and a half; never after as_of (the snapshot's date)."""
    digest = hashlib.sha256(f"release|{reporter}|{year}".encode()).digest()
    lag, revision, revised = (int.from_bytes(digest[i : i + 4]) for i in (0, 4, 8))
    year_end = dt.datetime(year + 1, 1, 1)
    first = year_end + dt.timedelta(days=45 + lag % 320, seconds=lag % 86_400)
    if first > as_of:  # released by the snapshot's date, as its records show
        first = max(year_end, as_of - dt.timedelta(days=1 + lag % 60, seconds=lag % 86_400))
    last = first
    if revised % 3:
        revised_at = first + dt.timedelta(days=20 + revision % 540, seconds=revision % 86_400)
        last = max(first, min(as_of, revised_at))
    return first.isoformat(), last.isoformat()


def availability_record(
    first: Mapping, *, total_records: int, checksum: int, released: tuple[str, str]
) -> dict:
    """A getDA record, fields in the API's order; `first` is one of the reporter-year's records."""
    year, reporter = int(first["period"]), int(first["reporterCode"])
    return {
        "datasetCode": int(f"{year}{reporter:04d}01"),
        "typeCode": first["typeCode"],
        "freqCode": first["freqCode"],
        "period": str(first["period"]),
        "reporterCode": reporter,
        "reporterISO": first["reporterISO"],
        "reporterDesc": first["reporterDesc"],
        "classificationCode": first["classificationCode"],
        "classificationSearchCode": "HS",
        "isOriginalClassification": True,
        "isExtendedFlowCode": False,
        "isExtendedPartnerCode": False,
        "isExtendedPartner2Code": False,
        "isExtendedCmdCode": False,
        "isExtendedCustomsCode": False,
        "isExtendedMotCode": False,
        "totalRecords": total_records,
        "datasetChecksum": checksum,
        "firstReleased": released[0],
        "lastReleased": released[1],
    }


def _max_records(values: list[str] | None) -> int | None:
    if not values:
        return None
    try:
        number = int(values[-1])
    except ValueError:
        return None
    return number if number > 0 else None
