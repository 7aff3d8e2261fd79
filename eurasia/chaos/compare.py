"""How a warehouse after a fault differs from one built by a clean run.

Published marts are compared row by row on their natural keys: a key the clean copy has and the
other lacks is a row lost, a key there more than once a row duplicated, and a row whose values
differ (or that the clean copy does not have) a wrong row published. Raw tables, which have no
natural key, are compared as multisets: a half-done load shows as rows lost or duplicated.
Provenance (landing ids, request and load times) differs between any two runs and is left out.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import duckdb

# One row per these columns, as dbt_project/models/marts/_marts__models.yml describes each mart.
MART_KEYS = {
    "trade_shares": ("republic_iso3", "year", "flow", "partner_iso3", "basis"),
    "trade_shares_preferred": ("republic_iso3", "year", "flow", "partner_iso3"),
    "trade_asymmetries": ("republic_iso3", "year", "flow", "partner_iso3"),
    "fdi_shares": ("republic_iso3", "year", "partner_iso3"),
    "china_vs_russia": ("republic_iso3", "year", "measure"),
    "coverage": ("republic_iso3", "year", "measure"),
    "china_growth": ("republic_iso3", "partner_iso3", "measure"),
    "china_growth_summary": ("partner_iso3", "measure"),
}
# One row per landed response: it differs between any two runs by design.
NOT_COMPARED = {"landed_responses"}
PROVENANCE = re.compile(r"landing_ids?$|_at$|^run_id$|^body_\w+$|^url$|^years$")
FLOATS = {"DOUBLE", "FLOAT", "REAL"}


@dataclass(frozen=True)
class Difference:
    lost: int = 0
    duplicated: int = 0
    wrong: int = 0

    def __add__(self, other: Difference) -> Difference:
        return Difference(
            self.lost + other.lost, self.duplicated + other.duplicated, self.wrong + other.wrong
        )


def _columns(con, db: str, schema: str, table: str) -> dict[str, str]:
    rows = con.execute(
        "select column_name, data_type from information_schema.columns "
        "where table_catalog = ? and table_schema = ? and table_name = ? order by ordinal_position",
        [db, schema, table],
    ).fetchall()
    return dict(rows)


def _tables(con, db: str, schema: str) -> set[str]:
    rows = con.execute(
        "select table_name from information_schema.tables where table_catalog = ? "
        "and table_schema = ?",
        [db, schema],
    ).fetchall()
    return {name for (name,) in rows}


def _value(column: str, data_type: str) -> str:
    # Sums over many rows may differ in the last bits between two builds of the same data.
    if data_type in FLOATS:
        return f"printf('%.9g', \"{column}\")"
    return f'"{column}"::varchar'


def _compare_mart(con, table: str) -> Difference:
    clean_cols = _columns(con, "clean", "marts", table)
    got_cols = _columns(con, "got", "marts", table)
    if not got_cols:
        return Difference(
            lost=con.execute(f'select count(*) from clean.marts."{table}"').fetchone()[0]
        )
    compared = [c for c in clean_cols if c in got_cols and not PROVENANCE.search(c)]
    key = [c for c in MART_KEYS.get(table, compared) if c in compared] or compared
    key_expr = " || '|' || ".join(f"coalesce(\"{c}\"::varchar, '∅')" for c in key)
    row_expr = " || '|' || ".join(f"coalesce({_value(c, clean_cols[c])}, '∅')" for c in compared)
    sql = f"""
        with c as (select {key_expr} as k, {row_expr} as r from clean.marts."{table}"),
             g as (select {key_expr} as k, {row_expr} as r from got.marts."{table}")
        select
            (select count(*) from (select distinct k from c) where k not in (select k from g)),
            (select coalesce(sum(n - 1), 0) from (select count(*) as n from g group by k)),
            (select count(*) from (select distinct k, r from g)
             where (k, r) not in (select (k, r) from c))
    """
    lost, duplicated, wrong = con.execute(sql).fetchone()
    return Difference(int(lost), int(duplicated), int(wrong))


def _compare_raw(con, table: str) -> Difference:
    cols = _columns(con, "clean", "raw", table)
    got_cols = _columns(con, "got", "raw", table)
    compared = [c for c in cols if c in got_cols and not PROVENANCE.search(c) and c != "landing_id"]
    if not compared:
        return Difference()
    row = ", ".join(_value(c, cols[c]) for c in compared)
    lost = con.execute(
        f'select count(*) from (select {row} from clean.raw."{table}" '
        f'except all select {row} from got.raw."{table}")'
    ).fetchone()[0]
    extra = con.execute(
        f'select count(*) from (select {row} from got.raw."{table}" '
        f'except all select {row} from clean.raw."{table}")'
    ).fetchone()[0]
    return Difference(lost=int(lost), duplicated=int(extra))


def compare_marts(clean: Path, got: Path) -> Difference:
    """Published marts of `got` against those of `clean`."""
    with duckdb.connect() as con:
        con.execute(f"attach '{clean}' as clean (read_only)")
        con.execute(f"attach '{got}' as got (read_only)")
        total = Difference()
        for table in sorted(_tables(con, "clean", "marts") - NOT_COMPARED):
            total += _compare_mart(con, table)
        return total


def compare_raw(clean: Path, got: Path) -> Difference:
    """Raw tables (landings aside) of the build warehouse `got` against `clean`'s."""
    with duckdb.connect() as con:
        con.execute(f"attach '{clean}' as clean (read_only)")
        con.execute(f"attach '{got}' as got (read_only)")
        total = Difference()
        for table in sorted(_tables(con, "clean", "raw") - {"landings"}):
            total += _compare_raw(con, table)
        return total
