"""Answer UN Comtrade v1 data requests from an in-memory list of records, in the API's format.

Mimics what a client can observe of https://comtradeapi.un.org for annual goods data:

- `/public/v1/preview/C/A/HS` (keyless) answers at most 500 records;
- `/data/v1/get/C/A/HS` answers at most 100,000 records and 401 without the subscription key
  in the `Ocp-Apim-Subscription-Key` header, with the body the API gateway (APIM) sends;
- an answer longer than the cap (or than `maxRecords`) is cut silently: `count` is the number
  of records returned, not the number that matched;
- no match is still HTTP 200 with `count: 0, data: []`.

Filters take comma lists; an absent parameter does not filter (reporterCode absent = all
reporters). Parameter names are matched case-insensitively, as the API does.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Iterable, Mapping

PREVIEW_PATH = "/public/v1/preview/C/A/HS"
KEYED_PATH = "/data/v1/get/C/A/HS"
CAPS = {PREVIEW_PATH: 500, KEYED_PATH: 100_000}
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


class ComtradeEngine:
    def __init__(self, records: Iterable[dict], *, api_key: str | None = None) -> None:
        self.api_key = api_key
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
        if path == KEYED_PATH:
            refused = self._check_key(headers)
            if refused:
                return refused
        params = {name.lower(): values for name, values in query.items()}
        wanted = {
            field: {_norm(v) for value in params[name] for v in value.split(",") if v.strip()}
            for name, field in FILTERS.items()
            if name in params
        }
        limit = min(CAPS[path], _max_records(params.get("maxrecords")) or CAPS[path])
        selected = self._select(wanted)[:limit]
        body = (
            b'{"elapsedTime":"0.01 secs","count":%d,"data":[' % len(selected)
            + b",".join(self._encoded[i] for i in selected)
            + b'],"error":""}'
        )
        return 200, {"Content-Type": JSON_TYPE}, body

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


def _max_records(values: list[str] | None) -> int | None:
    if not values:
        return None
    try:
        number = int(values[-1])
    except ValueError:
        return None
    return number if number > 0 else None
