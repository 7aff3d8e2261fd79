"""The completeness tests can fail: a republic-year lost from a mart, or left unexplained.

The marts are built from the spine (every republic x year x measure of the years the warehouse
holds), so on a correct build the `covers_spine` tests pass by construction. What they guard is
the code: a join that drops a republic-year, a filter that loses a year. Here they run against a
copy of the demo build in which rows are deleted or emptied of their reason, and must fail,
naming the row. Each mutation gets its own copy and run, and exactly the tests it should break
fail, so each test is seen failing for its own mutation (not masked by another's). A mart holding
rows of several sources is covered per source: UN Comtrade's rows of a key deleted, the IMF's
left in place, still fails. (Missing data, as opposed to missing rows, is caught upstream: a
reporter-year released but not landed is an extraction gap, see
tests/test_comtrade_availability.py.)
"""

from __future__ import annotations

import shutil

import duckdb
import pytest
from published_demo import published_demo
from test_real_and_synthetic_marts import dbt_test

pytestmark = pytest.mark.slow

COMPLETENESS_TESTS = [
    "trade_shares_has_every_republic_year_flow",
    "fdi_shares_has_every_republic_year",
    "china_vs_russia_has_every_republic_year_measure",
    "coverage_has_a_row_for_every_republic_year_measure",
    "coverage_non_reported_status_has_reason",
    "trade_shares_unknown_share_says_why",
]

# one key per mart: (where, its source column)
KEYS = {
    "trade_shares": ("republic_iso3 = 'KAZ' and year = 2015 and flow = 'export'", "source"),
    "fdi_shares": ("republic_iso3 = 'ARM' and year = 2012", None),
    "china_vs_russia": ("republic_iso3 = 'GEO' and year = 2018 and measure = 'total'", "source"),
    "coverage": ("republic_iso3 = 'MDA' and year = 2010 and measure = 'import'", "source_id"),
}


def lose_every_row(con) -> None:
    """A republic-year(-measure) lost from each mart, all sources."""
    for mart, (where, _) in KEYS.items():
        deleted = con.execute(f"delete from marts.{mart} where {where}").fetchone()[0]
        assert deleted > 0, (mart, where)


def lose_comtrade_rows_only(con) -> None:
    """UN Comtrade's rows of a key lost, the IMF's rows of the same key left in place."""
    for mart, (where, source_column) in KEYS.items():
        if source_column is None:
            continue
        deleted = con.execute(
            f"delete from marts.{mart} where {where} and {source_column} = 'comtrade'"
        ).fetchone()[0]
        assert deleted > 0, (mart, where)
        left = con.execute(
            f"select count(*) from marts.{mart} where {where} and {source_column} = 'imf'"
        ).fetchone()[0]
        assert left > 0, (mart, where, "no IMF row left to mask the loss")


def silence_reasons(con) -> None:
    """A gap left without its reason: present, but silent."""
    emptied = con.execute(
        "update marts.coverage set reason = null where source_id = 'comtrade' "
        "and republic_iso3 = 'TKM' and year = 2022 and measure = 'total'"
    ).fetchone()[0]
    assert emptied == 1
    emptied = con.execute(
        "update marts.trade_shares set notes = null "
        "where share is null and republic_iso3 = 'UZB' and year = 2010"
    ).fetchone()[0]
    assert emptied > 0


def keep_only_the_header(con) -> None:
    """Null shares whose notes keep only their conversion (mirror) or source (IMF) header:
    notes, but no reason."""
    for where in (
        "source = 'comtrade' and basis = 'mirror' and row_status = 'world_incomplete'",
        "source = 'imf' and row_status = 'partner_missing'",
    ):
        emptied = con.execute(
            "update marts.trade_shares set notes = split_part(notes, '; ', 1) "
            f"where share is null and {where} and notes like '%; %'"
        ).fetchone()[0]
        assert emptied > 0, where


MUTATIONS = {
    "lose_every_row": (
        lose_every_row,
        {
            "trade_shares_has_every_republic_year_flow",
            "fdi_shares_has_every_republic_year",
            "china_vs_russia_has_every_republic_year_measure",
            "coverage_has_a_row_for_every_republic_year_measure",
        },
    ),
    "lose_comtrade_rows_only": (
        lose_comtrade_rows_only,
        {
            "trade_shares_has_every_republic_year_flow",
            "china_vs_russia_has_every_republic_year_measure",
            "coverage_has_a_row_for_every_republic_year_measure",
        },
    ),
    "silence_reasons": (
        silence_reasons,
        {"coverage_non_reported_status_has_reason", "trade_shares_unknown_share_says_why"},
    ),
    "keep_only_the_header": (keep_only_the_header, {"trade_shares_unknown_share_says_why"}),
}


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    return published_demo(tmp_path_factory)


def copy_of(built, folder):
    # the same file name: the intermediate views name their catalog, which is the file's stem
    copy = folder / "copy" / built.warehouse_path.name
    copy.parent.mkdir(parents=True)
    shutil.copy(built.warehouse_path, copy)
    return copy


def test_completeness_tests_pass_on_the_build(built, tmp_path):
    copy = copy_of(built, tmp_path)
    assert dbt_test(copy, tmp_path / "ok", COMPLETENESS_TESTS) == dict.fromkeys(
        COMPLETENESS_TESTS, "pass"
    )


@pytest.mark.parametrize("mutation", list(MUTATIONS))
def test_completeness_tests_fail_on_a_lost_or_silent_republic_year(built, tmp_path, mutation):
    mutate, failing = MUTATIONS[mutation]
    copy = copy_of(built, tmp_path)
    with duckdb.connect(str(copy)) as con:
        mutate(con)
    assert dbt_test(copy, tmp_path / "broken", COMPLETENESS_TESTS) == {
        name: "fail" if name in failing else "pass" for name in COMPLETENESS_TESTS
    }
