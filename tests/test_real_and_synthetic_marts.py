"""The real answer beside the synthetic demo, on the build `make run` makes (offline).

The demo build lands the real IMF DOTS workbooks beside the synthetic demo snapshot. Checked
here on that build (tests/published_demo.py runs the whole DAG once per session):
- marts.trade_shares holds IMF shares for all 15 republics, 2000-2020, equal to the workbooks'
  own arithmetic (computed apart from the pipeline, as tests/test_imf_trade_shares.py does);
- every mart row says whether it is real or synthetic, and the dbt tests of the rule fail when
  the rule is broken (a series of mixed kinds, a mixed vintage, a mart without the flag);
- the run summary prints the real answer first and the demo after it, apart and labelled.
"""

from __future__ import annotations

import json
import shutil

import duckdb
import pytest
from published_demo import published_demo
from test_imf_trade_shares import REPUBLIC_FILES, shares_from, workbook_values

from eurasia import demo, report
from eurasia.transform import DBT_PROJECT_DIR

pytestmark = pytest.mark.slow

NO_MIXING_TESTS = [
    "every_mart_row_says_real_or_synthetic",
    "trade_shares_one_kind_per_source",
    "trade_shares_preferred_series_one_kind",
    "china_vs_russia_series_one_kind",
    "china_replacing_russia_one_kind_per_source",
    "trade_sources_compared_no_difference_mixes_real_and_synthetic",
]


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    return published_demo(tmp_path_factory)


@pytest.fixture
def con(built):
    with duckdb.connect(str(built.published_path), read_only=True) as con:
        yield con


def test_imf_shares_in_the_marts_equal_the_workbooks_arithmetic(con):
    rows = con.execute(
        "select republic_iso3, year, flow, partner_iso3, share, row_status, vintage, "
        "is_synthetic, basis, is_preferred from marts.trade_shares "
        "where source = 'imf' and year between 2000 and 2020"
    ).fetchall()
    got = {tuple(r[:4]): r[4:] for r in rows}
    expected = shares_from(workbook_values())
    assert {k[0] for k in got} == set(REPUBLIC_FILES)  # all 15 republics
    assert {k[1] for k in got} == set(range(2000, 2021))
    assert set(got) == set(expected)
    for key, share in expected.items():
        if share is None:
            assert got[key][0] is None, key  # unknown, never 0
        else:
            assert got[key][0] == pytest.approx(share, rel=1e-12), key
    assert {v[2:] for v in got.values()} == {("imf-dots-2022-02", False, "imf", True)}
    # the one empty cell of 2000-2020: Tajikistan-China 2000
    assert {k for k, v in got.items() if v[1] != "ok"} == {
        ("TJK", 2000, flow, "CHN") for flow in ("export", "import", "total")
    }


def test_every_mart_row_says_real_or_synthetic_and_kinds_never_mix(con):
    marts = [
        name
        for (name,) in con.execute(
            "select table_name from information_schema.tables where table_schema = 'marts'"
        ).fetchall()
    ]
    assert "trade_sources_compared" in marts
    for mart in marts:
        nulls = con.execute(f"select count(*) from marts.{mart} where is_synthetic is null")
        assert nulls.fetchone() == (0,), mart
    kinds = con.execute(
        "select source, list(distinct is_synthetic) from marts.china_vs_russia group by 1"
    ).fetchall()
    assert dict(kinds) == {"imf": [False], "comtrade": [True], "imf_dip": [True]}
    # the claim is counted per source, each of one kind
    claims = con.execute(
        "select source, is_synthetic, summary from marts.china_replacing_russia_summary"
    ).fetchall()
    assert {(s, k) for s, k, _ in claims} == {("imf", False), ("comtrade", True), ("imf_dip", True)}
    assert all(summary.startswith("SYNTHETIC DEMO DATA") == k for _, k, summary in claims)
    # demo UN Comtrade beside the real IMF: side by side, never subtracted
    mixed = con.execute(
        "select count(*), count(reported_minus_imf_usd), count(mirror_minus_imf_pp), "
        "count(reported_minus_mirror_usd) from marts.trade_sources_compared "
        "where mixes_real_and_synthetic"
    ).fetchone()
    assert mixed[0] > 1000 and mixed[1:3] == (0, 0) and mixed[3] > 0


def dbt_test(warehouse, target, select: list[str]) -> dict[str, str]:
    """Run the named dbt tests against a warehouse; their statuses by name."""
    import os

    from dbt.adapters.duckdb.connections import DuckDBConnectionManager
    from dbt.cli.main import dbtRunner

    old = os.environ.get("EURASIA_WAREHOUSE")
    os.environ["EURASIA_WAREHOUSE"] = str(warehouse)
    try:
        result = dbtRunner().invoke(
            [
                "test",
                "--select",
                *select,
                "--project-dir",
                str(DBT_PROJECT_DIR),
                "--profiles-dir",
                str(DBT_PROJECT_DIR),
                "--target-path",
                str(target),
                "--log-path",
                str(target / "logs"),
                "--vars",
                json.dumps({"as_of_date": demo.SNAPSHOT_AS_OF}),
                "--quiet",
            ]
        )
    finally:
        DuckDBConnectionManager.close_all_connections()
        if old is None:
            os.environ.pop("EURASIA_WAREHOUSE", None)
        else:
            os.environ["EURASIA_WAREHOUSE"] = old
    assert result.exception is None, result.exception
    return {r.node.name: str(r.status) for r in result.result}


def test_the_no_mixing_tests_pass_on_the_build_and_fail_when_the_rule_is_broken(built, tmp_path):
    copy = tmp_path / "broken.duckdb"
    shutil.copy(built.warehouse_path, copy)
    assert set(dbt_test(copy, tmp_path / "ok", NO_MIXING_TESTS).values()) == {"pass"}

    with duckdb.connect(str(copy)) as con:
        # one year of a real IMF series passed off as synthetic: the series mixes kinds
        con.execute(
            "update marts.trade_shares set is_synthetic = true "
            "where source = 'imf' and republic_iso3 = 'KAZ' and year = 2010"
        )
        con.execute(
            "update marts.trade_shares_preferred set is_synthetic = true "
            "where source = 'imf' and republic_iso3 = 'KAZ' and year = 2010"
        )
        # a China-vs-Russia value made of a demo and a real row
        con.execute(
            "update marts.china_vs_russia set vintage = 'demo-synthetic-v1, imf-dots-2022-02' "
            "where source = 'imf' and republic_iso3 = 'UZB' and year = 2015"
        )
        # a claim of one source counted across kinds
        con.execute(
            "update marts.china_replacing_russia set is_synthetic = not is_synthetic "
            "where source = 'imf' and republic_iso3 = 'ARM'"
        )
        # a difference computed between demo and real values
        con.execute(
            "update marts.trade_sources_compared set reported_minus_imf_usd = 1 "
            "where mixes_real_and_synthetic and republic_iso3 = 'GEO' and year = 2012"
        )
        # a mart without the flag
        con.execute("alter table marts.coverage drop column is_synthetic")
    statuses = dbt_test(copy, tmp_path / "broken", NO_MIXING_TESTS)
    assert statuses == dict.fromkeys(NO_MIXING_TESTS, "fail")


def test_the_run_summary_prints_the_real_answer_first(built, con):
    text = report.run_summary(built)
    real = text.index("REAL DATA - the IMF's goods trade by partner")
    assert real < text.index("DEMO DATA") < text.index("China vs Russia (SYNTHETIC DEMO")
    assert "vintage imf-dots-2022-02" in text[real : text.index("DEMO DATA")]
    lines = text[real : text.index("DEMO DATA")].splitlines()
    rows = {line.split()[0]: line.split() for line in lines if line[:3] in REPUBLIC_FILES}
    assert set(rows) == set(REPUBLIC_FILES)
    # the printed shares are the workbooks' own arithmetic (total trade, %, one decimal)
    expected = shares_from(workbook_values())
    for iso3, cells in rows.items():
        if iso3 == "RUS":
            continue
        for i, year in enumerate(report.REAL_ANSWER_YEARS):
            china = expected[iso3, year, "total", "CHN"]
            russia = expected[iso3, year, "total", "RUS"]
            assert cells[1 + i] == ("-" if china is None else f"{100 * china:.1f}%"), iso3
            assert cells[4 + i] == f"{100 * russia:.1f}%", iso3
    # the year China first led: from the mart, which the recomputation test checks
    first = dict(
        con.execute(
            "select distinct republic_iso3, first_year_china_led from marts.china_vs_russia "
            "where source = 'imf' and measure = 'total'"
        ).fetchall()
    )
    assert rows["TKM"][-1] == str(first["TKM"]) and rows["BLR"][-1] == "never"
    assert "REAL DATA (IMF goods trade" in text[real : text.index("DEMO DATA")]
