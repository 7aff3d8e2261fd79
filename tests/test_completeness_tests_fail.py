"""The completeness tests can fail: a republic-year lost from a mart, or left unexplained.

The marts are built from the spine (every republic x year x measure of the years the warehouse
holds), so on a correct build the `covers_spine` tests pass by construction. What they guard is
the code: a join that drops a republic-year, a filter that loses a year. Here they run against a
copy of the demo build in which rows are deleted or emptied of their reason, and must fail,
naming the row. (Missing data, as opposed to missing rows, is caught upstream: a reporter-year
released but not landed is an extraction gap, see tests/test_comtrade_availability.py.)
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


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    return published_demo(tmp_path_factory)


def test_completeness_tests_pass_on_the_build_and_fail_on_a_lost_or_silent_republic_year(
    built, tmp_path
):
    # the same file name: the intermediate views name their catalog, which is the file's stem
    copy = tmp_path / "copy" / built.warehouse_path.name
    copy.parent.mkdir()
    shutil.copy(built.warehouse_path, copy)
    assert dbt_test(copy, tmp_path / "ok", COMPLETENESS_TESTS) == dict.fromkeys(
        COMPLETENESS_TESTS, "pass"
    )

    with duckdb.connect(str(copy)) as con:
        lost = {
            "trade_shares": "republic_iso3 = 'KAZ' and year = 2015 and flow = 'export'",
            "fdi_shares": "republic_iso3 = 'ARM' and year = 2012",
            "china_vs_russia": "republic_iso3 = 'GEO' and year = 2018 and measure = 'total'",
            "coverage": "republic_iso3 = 'MDA' and year = 2010 and measure = 'import'",
        }
        for mart, where in lost.items():
            deleted = con.execute(f"delete from marts.{mart} where {where}").fetchone()[0]
            assert deleted > 0, (mart, where)
        # a gap left without its reason: present, but silent
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
    assert dbt_test(copy, tmp_path / "broken", COMPLETENESS_TESTS) == dict.fromkeys(
        COMPLETENESS_TESTS, "fail"
    )
