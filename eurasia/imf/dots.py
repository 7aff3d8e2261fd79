"""The bundled IMF DOTS workbooks (real data, February 2022): checked, landed, and read by DuckDB.

The 16 workbooks in eurasia/bundled/imf_dots/ are the offline copy of the IMF's goods trade by
partner (see ATTRIBUTION.md there). An offline run lands them in the raw zone as they are - the
.xlsx files themselves, with a sidecar each - after checking them against SHA256SUMS, and the
loader reads them with DuckDB's excel extension, loaded from the duckdb-extension-excel package
on disk (nothing is downloaded at run time).

Layout of a sheet (`Exports, FOB` and `Imports, CIF`): B2 title, B4 reporting economy, B5 unit,
row 7 the years from column C, from row 8 one row per partner (IMF name in column B).
"""

from __future__ import annotations

import hashlib
import logging
import time
from pathlib import Path

import duckdb

from eurasia.rawzone import RawZoneRun

log = logging.getLogger("eurasia.imf")

BUNDLE_DIR = Path(__file__).resolve().parent.parent / "bundled" / "imf_dots"
CHECKSUMS = BUNDLE_DIR / "SHA256SUMS"
SOURCE = "imf_dots"
DATASET = "dots"
# Real published data: never 'live' (not fetched by this run) and never 'demo-...'.
VINTAGE = "imf-dots-2022-02"
ORIGIN = (
    "github.com/SamLeBlanc/Direction-of-Trade-Map, data/DOTS/, "
    "commit a0b40afbac7cefc59a4b35c1ebe541ac546aafad"
)
XLSX_MEDIA_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
# Sheet name -> flow, valuation.
SHEETS = {"Exports, FOB": ("export", "FOB"), "Imports, CIF": ("import", "CIF")}
# The widest sheet (China's, from 1961) ends at column AT; CZ leaves room, and a value in a
# column without a year above it is refused by the loader rather than dropped.
LAST_COLUMN = "CZ"
FIRST_DATA_ROW = 8


class BundleError(RuntimeError):
    """A bundled workbook is missing or not the file that was bundled."""


def expected_checksums() -> dict[str, str]:
    """File name -> SHA-256, in the order of SHA256SUMS (`sha256sum` format)."""
    sums = {}
    for line in CHECKSUMS.read_text().splitlines():
        if line.strip():
            digest, name = line.split(maxsplit=1)
            sums[name.lstrip("*")] = digest
    return sums


def verified_workbooks(bundle_dir: Path = BUNDLE_DIR) -> list[Path]:
    """The bundled workbooks, each checked against SHA256SUMS; BundleError if any differs."""
    workbooks = []
    for name, digest in expected_checksums().items():
        path = bundle_dir / name
        if not path.is_file():
            raise BundleError(f"{path} is missing; restore it from git (git checkout {path}).")
        found = hashlib.sha256(path.read_bytes()).hexdigest()
        if found != digest:
            raise BundleError(
                f"{path} is not the bundled IMF DOTS workbook (SHA-256 {found}, expected "
                f"{digest} from {CHECKSUMS.name}); the real data must stay unchanged. Restore it "
                "from git."
            )
        workbooks.append(path)
    return workbooks


def excel_extension_path() -> Path:
    """The excel extension shipped by the duckdb-extension-excel package (pinned in the lock)."""
    import duckdb_extension_excel

    version = duckdb.__version__
    path = (
        Path(duckdb_extension_excel.__file__).parent
        / "extensions"
        / f"v{version}"
        / "excel.duckdb_extension"
    )
    if not path.is_file():
        raise RuntimeError(
            f"DuckDB's excel extension for DuckDB {version} is not at {path}; install the lock "
            "(make run does), whose duckdb-extension-excel matches duckdb."
        )
    return path


def load_excel_extension(con: duckdb.DuckDBPyConnection) -> None:
    con.execute(f"LOAD '{excel_extension_path()}'")


def reader_connection() -> duckdb.DuckDBPyConnection:
    """An in-memory DuckDB that reads workbooks, quietly (no progress bar in task logs)."""
    con = duckdb.connect()
    con.execute("SET enable_progress_bar = false")
    load_excel_extension(con)
    return con


def _quote(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _xlsx(path: str, sheet: str, cells: str, *, stop_at_empty: bool = False) -> str:
    return (
        f"read_xlsx({_quote(path)}, sheet={_quote(sheet)}, range={_quote(cells)}, "
        f"header=false, all_varchar=true, stop_at_empty={str(stop_at_empty).lower()})"
    )


def sheet_values_sql(path: str, sheet: str) -> str:
    """SQL for one sheet's non-empty value cells as received: one row per partner x year.

    Columns: filename, sheet, title, reporter_name, unit, partner_name, year (the text of row 7
    above the cell, NULL if there is none), value_text (the cell as stored: a number's stored
    digits, or text such as '12.39 e').
    """
    last = LAST_COLUMN
    return f"""
        SELECT {_quote(path)} AS filename, {_quote(sheet)} AS sheet,
            (SELECT B FROM {_xlsx(path, sheet, "B2:B2")}) AS title,
            (SELECT B FROM {_xlsx(path, sheet, "B4:B4")}) AS reporter_name,
            (SELECT B FROM {_xlsx(path, sheet, "B5:B5")}) AS unit,
            cells.partner_name, years.year, cells.value_text
        FROM (
            UNPIVOT (
                SELECT * RENAME (B AS partner_name)
                FROM {_xlsx(path, sheet, f"B{FIRST_DATA_ROW}:{last}1048576", stop_at_empty=True)}
            )
            ON COLUMNS(* EXCLUDE (partner_name)) INTO NAME col VALUE value_text
        ) AS cells
        LEFT JOIN (
            UNPIVOT (SELECT * FROM {_xlsx(path, sheet, f"C7:{last}7")})
            ON COLUMNS(*) INTO NAME col VALUE year
        ) AS years USING (col)
    """


def workbook_values_sql(paths: list[str]) -> str:
    """SQL for every value cell of both sheets of the given workbooks (see sheet_values_sql)."""
    return "\nUNION ALL\n".join(sheet_values_sql(p, sheet) for p in paths for sheet in SHEETS)


def workbook_summary(con: duckdb.DuckDBPyConnection, path: Path) -> tuple[int, list[int]]:
    """Value cells in a workbook and the years they are for (what its sidecar records)."""
    count, years = con.execute(
        "SELECT count(*), list_sort(list_distinct(list(try_cast(year AS INTEGER)))) "
        f"FROM ({workbook_values_sql([str(path)])})"
    ).fetchone()
    return count, [y for y in years if y is not None]


def extract(run: RawZoneRun, bundle_dir: Path = BUNDLE_DIR) -> dict:
    """Land every bundled workbook, unchanged, then mark the run complete; return a summary.

    BundleError (a file missing or changed) stops before anything is landed.
    """
    workbooks = verified_workbooks(bundle_dir)
    con = reader_connection()
    try:
        all_years: set[int] = set()
        cells = 0
        for path in workbooks:
            count, years = workbook_summary(con, path)
            run.land(
                # a URL-like name, so that reports show where it came from: the package
                url=f"bundled://eurasia/bundled/imf_dots/{path.name}",
                params={"file": path.name, "copied_from": ORIGIN},
                requested_at=time.time(),
                http_status=None,
                content_type=XLSX_MEDIA_TYPE,
                body=path.read_bytes(),
                extension="xlsx",
                record_count=count,
                years=years,
                compress=False,
            )
            all_years.update(years)
            cells += count
    finally:
        con.close()
    summary = {
        "dataset": DATASET,
        "workbooks": len(workbooks),
        "value_cells": cells,
        "landings": len(run.landings),
        "note": "real IMF data (DOTS, February 2022 vintage), bundled; no network used",
    }
    run.complete(sorted(all_years), summary)
    log.info(
        "IMF DOTS (real, bundled, vintage %s): %d workbooks, %d value cells landed",
        VINTAGE,
        len(workbooks),
        cells,
    )
    return summary
