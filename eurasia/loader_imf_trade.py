"""Load the IMF's goods trade by partner into DuckDB raw tables, as received, with DuckDB's readers.

Two shapes of the same statistics, each in a table of its own (eurasia/loader.py dispatches here
through `target`, and runs them inside its transaction, replacement and row-count checks):

- `raw.imf_dots_values`: the bundled DOTS workbooks (real data, vintage imf-dots-2022-02), one
  row per non-empty value cell, read by DuckDB's excel extension; every column VARCHAR as the cell
  holds it (`value_text` '1734.9705080000001', or '1,023.12 e' for an IMF estimate, in US$
  millions).
- `raw.imf_imts_observations`: live IMTS SDMX-CSV answers, one row per observation, all VARCHAR
  as received (OBS_VALUE in US dollars), like raw.imf_dip_observations.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import duckdb

from eurasia.imf import dots, imts

DOTS_TABLE = "raw.imf_dots_values"
DOTS_COLUMNS = ("sheet", "title", "reporter_name", "unit", "partner_name", "year", "value_text")
IMTS_TABLE = "raw.imf_imts_observations"
IMTS_COLUMNS = (
    "DATAFLOW",
    "COUNTRY",
    "INDICATOR",
    "COUNTERPART_COUNTRY",
    "FREQUENCY",
    "TIME_PERIOD",
    "OBS_VALUE",
    "SCALE",
    "STATUS",
    "OBS_STATUS",
)
# Real published statistics bundled with the project: neither demo nor fetched live, so they may
# sit beside either in a warehouse, labelled by their own vintage (see loader's vintage rule).
PUBLISHED_VINTAGES = frozenset({dots.VINTAGE})


def create_tables(con: duckdb.DuckDBPyConnection) -> None:
    common = "landing_id VARCHAR, dataset VARCHAR, requested_at TIMESTAMPTZ"
    dots_columns = ", ".join(f'"{c}" VARCHAR' for c in DOTS_COLUMNS)
    con.execute(f"CREATE TABLE IF NOT EXISTS {DOTS_TABLE} ({common}, {dots_columns})")
    imts_columns = ", ".join(f'"{c}" VARCHAR' for c in IMTS_COLUMNS)
    con.execute(f"CREATE TABLE IF NOT EXISTS {IMTS_TABLE} ({common}, {imts_columns})")


def target(source: str, dataset: str):
    """(table, year column, its type, insert function) for a run of the IMF's goods trade."""
    if source == dots.SOURCE and dataset == dots.DATASET:
        return DOTS_TABLE, '"year"', "VARCHAR", insert_dots
    if source == imts.SOURCE and dataset == imts.DATASET:
        return IMTS_TABLE, '"TIME_PERIOD"', "VARCHAR", insert_imts
    return None


def _count(con, table: str) -> int:
    return con.execute(
        f"SELECT count(*) FROM {table} WHERE landing_id IN (SELECT landing_id FROM run_landings)"
    ).fetchone()[0]


def _refuse_changed_files(con, bodies: list[str], raw_zone: Path) -> None:
    """A landed workbook must still be the file its sidecar describes."""
    recorded = dict(con.execute("SELECT body_file, body_sha256 FROM run_landings").fetchall())
    for body in bodies:
        relative = str(Path(body).relative_to(raw_zone))
        found = hashlib.sha256(Path(body).read_bytes()).hexdigest()
        if found != recorded.get(relative):
            raise RuntimeError(
                f"{body} is not the file that was landed (SHA-256 {found}, its sidecar says "
                f"{recorded.get(relative)}); the raw zone was changed. Nothing was loaded; "
                "extract again."
            )


def insert_dots(con, bodies: list[str], raw_zone: Path) -> int:
    """Every value cell of the landed workbooks, read by DuckDB's excel extension."""
    if not bodies:
        return 0
    _refuse_changed_files(con, bodies, raw_zone)
    dots.load_excel_extension(con)
    selected = ", ".join(f'c."{c}"' for c in DOTS_COLUMNS)
    con.execute(
        f"""
        INSERT INTO {DOTS_TABLE}
        SELECT l.landing_id, l.dataset, l.requested_at, {selected}
        FROM ({dots.workbook_values_sql(bodies)}) AS c
        JOIN run_landings AS l ON c.filename = ? || '/' || l.body_file
        """,
        [str(raw_zone)],
    )
    unlabelled = con.execute(
        f"SELECT any_value(landing_id), count(*) FROM {DOTS_TABLE} "
        "WHERE year IS NULL AND landing_id IN (SELECT landing_id FROM run_landings)"
    ).fetchone()
    if unlabelled[1]:
        raise RuntimeError(
            f"{unlabelled[1]} values of {unlabelled[0]} stand in a column without a year in row "
            "7: the workbook's layout is not the DOTS layout this loader reads. Nothing was loaded."
        )
    return _count(con, DOTS_TABLE)


def insert_imts(con, bodies: list[str], raw_zone: Path) -> int:
    """Every observation of the landed SDMX-CSV answers, as received."""
    if not bodies:
        return 0
    from eurasia.loader import _imf_column, _sql_list

    # SDMX-CSV quoted attributes may span lines; DuckDB's reader handles quoted newlines.
    source = (
        f"read_csv({_sql_list(bodies)}, all_varchar=true, header=true, union_by_name=true, "
        "filename=true, hive_partitioning=false, delim=',', quote='\"', escape='\"', "
        "max_line_size=10000000)"
    )
    present = {r[0] for r in con.execute(f"DESCRIBE SELECT * FROM {source}").fetchall()}
    select = ", ".join(_imf_column(c, present) for c in IMTS_COLUMNS)
    con.execute(
        f"""
        INSERT INTO {IMTS_TABLE}
        SELECT l.landing_id, l.dataset, l.requested_at, {select}
        FROM {source} AS c
        JOIN run_landings AS l ON c.filename = ? || '/' || l.body_file
        """,
        [str(raw_zone)],
    )
    return _count(con, IMTS_TABLE)
