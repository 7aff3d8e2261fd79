"""How a warehouse after a fault differs from one built by a clean run.

Published marts are compared row by row on their natural keys: a key the clean copy has and the
other lacks is a row lost, a key there more than once a row duplicated, and a row whose values
differ (or that the clean copy does not have) a wrong row published. Raw tables, which have no
natural key, are compared as multisets: a half-done load shows as rows lost or duplicated.
Provenance (landing ids, request and load times) differs between any two runs and is left out.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from pathlib import Path

import duckdb
import yaml

# The natural key of each mart is the grain its `*_grain_unique` test declares in
# dbt_project/models/marts/_marts__models.yml: read from there, so a grain that gains a column
# (a source, say) is compared on it at once instead of being taken for duplicated rows.
MARTS_YAML = Path(__file__).resolve().parents[2] / "dbt_project/models/marts/_marts__models.yml"


@functools.cache
def mart_keys() -> dict[str, tuple[str, ...]]:
    keys = {}
    for model in yaml.safe_load(MARTS_YAML.read_text())["models"]:
        for test in model.get("data_tests") or []:
            grain = isinstance(test, dict) and test.get("unique_combination_of_columns")
            if grain and grain.get("name", "").endswith("_grain_unique"):
                keys[model["name"]] = tuple(grain["arguments"]["combination_of_columns"])
    return keys


# One row per landed response, and histories across runs: they differ between runs by design.
NOT_COMPARED = {"landed_responses", "share_versions", "share_changes"}
# Raw bookkeeping rather than data: responses, releases listed and loaded, records set aside.
RAW_NOT_COMPARED = re.compile(
    r"^(landings|comtrade_availability|comtrade_releases_loaded)$|_quarantine$"
)
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


def _compare_mart(con, table: str, excused: frozenset[str] = frozenset()) -> Difference:
    clean_cols = _columns(con, "clean", "marts", table)
    got_cols = _columns(con, "got", "marts", table)
    where = ""
    if excused:
        if "republic_iso3" not in clean_cols:
            return Difference()  # a summary over all republics: it changes with any of them
        names = ", ".join(f"'{iso3}'" for iso3 in sorted(excused))
        where = f"where republic_iso3 not in ({names})"
    if not got_cols:
        lost = con.execute(f'select count(*) from clean.marts."{table}" {where}').fetchone()[0]
        return Difference(lost=lost)
    compared = [c for c in clean_cols if c in got_cols and not PROVENANCE.search(c)]
    key = [c for c in mart_keys().get(table, compared) if c in compared] or compared
    key_expr = " || '|' || ".join(f"coalesce(\"{c}\"::varchar, '∅')" for c in key)
    row_expr = " || '|' || ".join(f"coalesce({_value(c, clean_cols[c])}, '∅')" for c in compared)
    sql = f"""
        with c as (select {key_expr} as k, {row_expr} as r from clean.marts."{table}" {where}),
             g as (select {key_expr} as k, {row_expr} as r from got.marts."{table}" {where})
        select
            (select count(*) from (select distinct k from c) where k not in (select k from g)),
            (select coalesce(sum(n - 1), 0) from (select count(*) as n from g group by k)),
            (select count(*) from (select distinct k, r from g)
             where (k, r) not in (select (k, r) from c))
    """
    lost, duplicated, wrong = con.execute(sql).fetchone()
    return Difference(int(lost), int(duplicated), int(wrong))


def _compare_raw(con, table: str, excused: frozenset[str] = frozenset()) -> Difference:
    cols = _columns(con, "clean", "raw", table)
    got_cols = _columns(con, "got", "raw", table)
    compared = [c for c in cols if c in got_cols and not PROVENANCE.search(c) and c != "landing_id"]
    if not compared:
        return Difference()
    row = ", ".join(_value(c, cols[c]) for c in compared)
    where = ""
    if excused and "reporterISO" in cols:
        where = "where reporterISO not in (" + ", ".join(f"'{i}'" for i in sorted(excused)) + ")"
    clean_rows = f'select {row} from clean.raw."{table}" {where}'
    got_rows = f'select {row} from got.raw."{table}" {where}'
    lost = con.execute(f"select count(*) from ({clean_rows} except all {got_rows})").fetchone()[0]
    extra = con.execute(f"select count(*) from ({got_rows} except all {clean_rows})").fetchone()[0]
    return Difference(lost=int(lost), duplicated=int(extra))


def compare_marts(clean: Path, got: Path, excused: frozenset[str] = frozenset()) -> Difference:
    """Published marts of `got` against those of `clean`, leaving out the `excused` republics
    (whose cells a fault made unknown by design) and the summaries over all republics."""
    with duckdb.connect() as con:
        con.execute(f"attach '{clean}' as clean (read_only)")
        con.execute(f"attach '{got}' as got (read_only)")
        total = Difference()
        for table in sorted(_tables(con, "clean", "marts") - NOT_COMPARED):
            total += _compare_mart(con, table, excused)
        return total


def compare_raw(clean: Path, got: Path, excused: frozenset[str] = frozenset()) -> Difference:
    """Raw tables (landings aside) of the build warehouse `got` against `clean`'s, leaving out
    the records the `excused` republics reported."""
    with duckdb.connect() as con:
        con.execute(f"attach '{clean}' as clean (read_only)")
        con.execute(f"attach '{got}' as got (read_only)")
        total = Difference()
        for table in sorted(
            t for t in _tables(con, "clean", "raw") if not RAW_NOT_COMPARED.search(t)
        ):
            total += _compare_raw(con, table, excused)
        return total
