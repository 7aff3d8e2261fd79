"""Just enough SDMX-CSV to check and count an IMF answer; the loader reads the rows with DuckDB.

Both flavours the IMF serves are accepted:

- SDMX-CSV 1.0 (what we ask for): `DATAFLOW,<dimensions>,TIME_PERIOD,OBS_VALUE,<attributes>`,
  DATAFLOW like `IMF.STA:DIP(12.0.1)`.
- SDMX-CSV 2.0: `STRUCTURE,STRUCTURE_ID,ACTION,<dimensions>,...`; the IMF writes the first
  column as `STRUCTURE[;]` and multi-valued attributes as `NAME[]`.

Attribute fields are quoted and may span several lines, so rows are counted with the csv module,
never by counting newlines.
"""

from __future__ import annotations

import csv
import io
import re

DATAFLOW_ID = "IMF.STA,DIP"
# Series key order of the DIP data structure.
DIMENSIONS = ("COUNTRY", "DV_TYPE", "INDICATOR", "COUNTERPART_COUNTRY", "FREQUENCY")
REQUIRED_COLUMNS = ("TIME_PERIOD", "OBS_VALUE")
CSV_10_MEDIA_TYPE = "application/vnd.sdmx.data+csv;version=1.0.0"

# SDMX REST answers a query that matches nothing with HTTP 404 and error code 100
# "No Results Found"; implementations spell the text differently.
NO_RESULTS = re.compile(rb"no\s*(?:results|records|data)\s*found", re.IGNORECASE)


class NotSdmxCsvError(ValueError):
    """The body is not SDMX-CSV; the message says what it looks like instead."""


def decode(body: bytes) -> str:
    try:
        # utf-8-sig drops a byte-order mark, which some SDMX servers put before the header.
        return body.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise NotSdmxCsvError(f"body is not UTF-8 text ({exc})") from exc


def read_table(text: str) -> tuple[list[str], list[list[str]]]:
    """Header and data rows; blank lines are skipped. newline='' keeps newlines inside quotes."""
    rows = [row for row in csv.reader(io.StringIO(text, newline="")) if row]
    if not rows:
        return [], []
    return rows[0], rows[1:]


def check_header(header: list[str]) -> None:
    missing = [name for name in REQUIRED_COLUMNS if name not in header]
    if missing:
        shown = ",".join(header)[:200] or "(empty)"
        raise NotSdmxCsvError(f"no {' and '.join(missing)} column in the first line: {shown!r}")


def flavour(header: list[str]) -> str:
    """'1.0' or '2.0' from the first column; raises NotSdmxCsvError for anything else."""
    check_header(header)
    first = header[0] if header else ""
    if first == "DATAFLOW":
        return "1.0"
    if first.startswith("STRUCTURE"):
        return "2.0"
    raise NotSdmxCsvError(f"first column is {first!r}, expected DATAFLOW or STRUCTURE")


def count_observations(body: bytes) -> int:
    """Number of observations (data rows) in an SDMX-CSV body; checks that it is SDMX-CSV."""
    header, rows = read_table(decode(body))
    flavour(header)
    return len(rows)


def is_no_results(body: bytes) -> bool:
    return bool(NO_RESULTS.search(body[:2000]))


def describe_body(content_type: str, body: bytes) -> str:
    """A short, printable description of what arrived, for error messages."""
    preview = body[:160].decode("utf-8", errors="replace").replace("\n", " ").strip()
    return f"{content_type or 'no Content-Type'}, {len(body)} bytes, starting {preview!r}"
