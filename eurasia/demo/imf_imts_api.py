"""An engine answering IMF SDMX 2.1 data queries for dataflow IMF.STA,IMTS as SDMX-CSV 1.0.

It serves `/data/IMF.STA,IMTS/<key>` (also `IMF.STA:IMTS` and a trailing version), the key being
COUNTRY.INDICATOR.COUNTERPART_COUNTRY.FREQUENCY, '+' joining alternatives, an empty part matching
everything; `startPeriod`/`endPeriod` filter by year. Like the DIP engine it answers a query that
matches nothing with HTTP 404 "No Results Found" and, built with an api_key, refuses a request
without the key header with the gateway's 401.

`bundled_imts_engine()` serves REAL data, not synthetic: the bundled IMF DOTS workbooks (February
2022 vintage) re-served in the live API's shape - US dollars (the workbooks' millions x 10^6,
scaled exactly in decimal), ISO3 codes from dbt_project/seeds/imf_partner_names.csv, the world as
G001, `12.39 e` estimates with STATUS 'E'. Regional aggregates other than the world have no code
here and are not served. A rehearsal of `make run-live` against it therefore builds IMF shares
equal to the workbooks' own.

`ImfDataflows` puts this engine and the DIP engine behind one base URL, as the real API has them.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Iterable, Mapping
from functools import cached_property

from eurasia.demo.imf_api import (
    CSV_CONTENT_TYPE,
    KEY_HEADER,
    NO_RESULTS_BODY,
    UNAUTHORIZED_BODY,
    Answer,
    _text,
    _year,
)
from eurasia.imf import dots
from eurasia.imf.imts import DIMENSIONS, INDICATORS
from eurasia.settings import PROJECT_ROOT

HEADER = ("DATAFLOW", *DIMENSIONS, "TIME_PERIOD", "OBS_VALUE", "STATUS")
DATAFLOW_VALUE = "IMF.STA:IMTS"
PARTNER_SEED = PROJECT_ROOT / "dbt_project" / "seeds" / "imf_partner_names.csv"
WORLD_CODE = "G001"


def _flow_ref(path_part: str) -> str:
    """'IMF.STA,IMTS,1.0.0' or 'IMF.STA:IMTS' -> 'IMF.STA,IMTS'."""
    return ",".join(path_part.replace(":", ",").split(",")[:2])


class ImfImtsEngine:
    def __init__(
        self,
        rows: Iterable[Mapping[str, str]] | Callable[[], Iterable[Mapping[str, str]]],
        *,
        api_key: str | None = None,
    ):
        # A callable is read on the first request: the bundled rows take a second to build and
        # most processes that hold this engine (an offline DIP extract) never ask it anything.
        self._source = rows
        self.api_key = api_key

    @cached_property
    def rows(self) -> list[tuple[str, ...]]:
        source = self._source() if callable(self._source) else self._source
        return [tuple("" if row.get(c) is None else str(row[c]) for c in HEADER) for row in source]

    def answer(self, path: str, query: dict[str, list[str]], headers: Mapping[str, str]) -> Answer:
        lowered = {name.lower(): value for name, value in headers.items()}
        if self.api_key is not None and lowered.get(KEY_HEADER) != self.api_key:
            return _text(401, UNAUTHORIZED_BODY, "application/json")
        parts = [p for p in path.split("/") if p]
        if len(parts) < 3 or parts[0] != "data" or _flow_ref(parts[1]) != "IMF.STA,IMTS":
            return _text(
                404, f"Resource not found: {path} (serves /data/IMF.STA,IMTS/<key>)".encode()
            )
        accept = lowered.get("accept", "*/*")
        if "csv" not in accept and "*/*" not in accept:
            return _text(406, f"Not Acceptable: {accept}; this stand-in serves SDMX-CSV".encode())
        key = parts[2].split(".")
        if len(key) != len(DIMENSIONS):
            return _text(400, f"Semantic error: the key needs parts {DIMENSIONS}".encode())
        accepted = [set(part.split("+")) if part else None for part in key]
        try:
            first, last = _year(query.get("startPeriod")), _year(query.get("endPeriod"))
        except ValueError:
            return _text(400, b"Syntax error: startPeriod/endPeriod must start with a year")
        matches = [row for row in self.rows if _matches(row, accepted, first, last)]
        if not matches:
            return _text(404, NO_RESULTS_BODY, "application/xml; charset=utf-8")
        out = io.StringIO(newline="")
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(HEADER)
        writer.writerows(matches)
        return 200, {"Content-Type": CSV_CONTENT_TYPE}, out.getvalue().encode("utf-8")


def _matches(row: tuple[str, ...], accepted, first: int | None, last: int | None) -> bool:
    # Dimensions are columns 1..4 of HEADER, TIME_PERIOD column 5.
    for value, codes in zip(row[1:5], accepted, strict=True):
        if codes is not None and value not in codes:
            return False
    year = int(row[5][:4])
    return (first is None or year >= first) and (last is None or year <= last)


class ImfDataflows:
    """Routes /data/<dataflow>/... to the engine of that dataflow; anything else to `default`."""

    def __init__(self, engines: Mapping[str, object], default: object):
        self.engines = dict(engines)  # e.g. {"IMF.STA,IMTS": ImfImtsEngine(...)}
        self.default = default

    def answer(self, path: str, query: dict[str, list[str]], headers: Mapping[str, str]) -> Answer:
        parts = [p for p in path.split("/") if p]
        flow = _flow_ref(parts[1]) if len(parts) > 1 else ""
        return self.engines.get(flow, self.default).answer(path, query, headers)


def bundled_observations() -> list[dict[str, str]]:
    """The bundled DOTS workbooks as IMTS observations (REAL data, re-served), read by DuckDB."""
    workbooks = [str(path) for path in dots.verified_workbooks()]
    indicator = {flow: code for code, flow in INDICATORS.items()}
    flows = {sheet: indicator[flow] for sheet, (flow, _valuation) in dots.SHEETS.items()}
    con = dots.reader_connection()
    try:
        cursor = con.execute(
            f"""
            WITH cells AS ({dots.workbook_values_sql(workbooks)}),
            names AS (
                SELECT imf_name, CASE kind WHEN 'world' THEN '{WORLD_CODE}' ELSE iso3 END AS code
                FROM read_csv(?, header=true, all_varchar=true)
            ),
            -- millions -> US dollars. A cell holds a double written with 17 significant
            -- digits (56079.088095999999); its shortest form (56079.088096) is the figure,
            -- scaled exactly in decimal. Estimates are text such as '1,023.12 e'.
            scaled AS (
                SELECT reporter.code AS country, partner.code AS counterpart, cells.sheet,
                    cells.year, cells.value_text LIKE '% e' AS is_estimate,
                    CAST(CAST(CAST(CAST(
                        regexp_replace(replace(cells.value_text, ',', ''), '\\s*e$', '')
                        AS DOUBLE) AS VARCHAR) AS DECIMAL(38, 12)) * 1000000 AS VARCHAR) AS usd
                FROM cells
                JOIN names AS reporter ON reporter.imf_name = cells.reporter_name
                JOIN names AS partner ON partner.imf_name = cells.partner_name
                WHERE partner.code IS NOT NULL
            )
            SELECT DISTINCT country, counterpart, sheet, year,
                regexp_replace(regexp_replace(usd, '(\\.[0-9]*?)0+$', '\\1'), '\\.$', '') AS usd,
                is_estimate
            FROM scaled
            ORDER BY ALL
            """,
            [str(PARTNER_SEED)],
        )
        rows = cursor.fetchall()
    finally:
        con.close()
    return [
        {
            "DATAFLOW": DATAFLOW_VALUE,
            "COUNTRY": country,
            "INDICATOR": flows[sheet],
            "COUNTERPART_COUNTRY": counterpart,
            "FREQUENCY": "A",
            "TIME_PERIOD": year,
            "OBS_VALUE": usd,
            "STATUS": "E" if is_estimate else "",
        }
        for country, counterpart, sheet, year, usd, is_estimate in rows
    ]


def bundled_imts_engine(api_key: str | None = None) -> ImfImtsEngine:
    return ImfImtsEngine(bundled_observations, api_key=api_key)
