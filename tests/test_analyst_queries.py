"""The README's example queries (dbt_project/analyses/*.sql) and `make sql` on published demo data.

Each analysis runs as an analyst runs it, through the pinned DuckDB CLI on the published copy
read-only, and its answer is checked against the marts' own values recomputed here.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
from collections import Counter
from pathlib import Path

import duckdb
import pytest
from published_demo import published_demo, settings_env

from eurasia.analyst_tools import DUCKDB_CLI
from eurasia.demo import SNAPSHOT_YEARS
from eurasia.settings import PROJECT_ROOT

pytestmark = pytest.mark.slow

ANALYSES = PROJECT_ROOT / "dbt_project" / "analyses"
ROUNDING = 0.05 + 1e-9  # answers rounded to one decimal


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    return published_demo(tmp_path_factory)


@pytest.fixture(scope="module")
def marts(demo):
    con = duckdb.connect(str(demo.published_path), read_only=True)
    yield lambda sql, params=None: con.execute(sql, params or []).fetchall()
    con.close()


def run_analysis(demo, name: str) -> list[dict]:
    sql = (ANALYSES / f"{name}.sql").read_text()
    result = subprocess.run(
        [str(DUCKDB_CLI), "-readonly", "-json", str(demo.published_path)],
        input=sql,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0 and not result.stderr, result.stderr
    return json.loads(result.stdout or "[]")


def check_china_share_of_kazakhstan_imports(rows, marts):
    expected = marts(
        "select source, year, partner_value_usd / nullif(world_value_usd, 0), basis, row_status "
        "from marts.trade_shares where is_preferred and republic_iso3 = 'KAZ' "
        "and flow = 'import' and partner_iso3 = 'CHN' order by is_synthetic, source, year"
    )
    assert [(r["source"], r["year"]) for r in rows] == [(src, year) for src, year, *_ in expected]
    # the real IMF series first, then the synthetic demo one, each labelled
    assert rows[0]["source"] == "imf" and rows[0]["is_synthetic"] is False
    assert {r["is_synthetic"] for r in rows if r["source"] == "comtrade"} == {True}
    assert len(rows) >= 40
    for row, (_, _, share, basis, status) in zip(rows, expected, strict=True):
        assert row["basis"] == basis
        if status == "ok":
            assert abs(row["china_share_pct"] - 100 * share) <= ROUNDING
        else:
            assert row["china_share_pct"] is None


def check_year_china_first_led_total_trade(rows, marts):
    shares = marts(
        "select source, republic_iso3, year, china_share, russia_share "
        "from marts.china_vs_russia where measure = 'total'"
    )
    first_led = {(src, iso3): None for src, iso3, *_ in shares}
    for src, iso3, year, china, russia in sorted(shares, key=lambda r: r[2]):
        if china is not None and russia is not None and china - russia > 1e-9:
            first_led[src, iso3] = first_led[src, iso3] or year
    assert {(r["source"], r["republic_iso3"]): r["china_first_led"] for r in rows} == first_led
    assert len(rows) == 30 and first_led["imf", "RUS"] is None  # 15 per source
    assert [r["source"] for r in rows] == ["imf"] * 15 + ["comtrade"] * 15  # the real one first
    for source in ("imf", "comtrade"):
        years = [r["china_first_led"] for r in rows if r["source"] == source]
        known = [year for year in years if year is not None]
        assert known == sorted(known) and known, "earliest first, never last"


def check_leader_in_latest_year(rows, marts):
    shares = marts(
        "select source, republic_iso3, measure, year, china_share, russia_share "
        "from marts.china_vs_russia where china_share is not null"
    )
    latest = {}
    for source, iso3, measure, year, china, russia in shares:
        key = source, iso3, measure
        if key not in latest or year > latest[key][0]:
            latest[key] = (year, china, russia)
    # 15 republics x (3 IMF trade measures + 3 UN Comtrade ones + FDI)
    assert len(rows) == len(latest) == 105
    for row in rows:
        year, china, russia = latest[row["source"], row["republic_iso3"], row["measure"]]
        assert row["year"] == year
        if russia is None:
            assert row["leader"] is None and row["lead_pp"] is None
        else:
            assert row["leader"] == ("China" if china > russia else "Russia")
            assert abs(row["lead_pp"] - 100 * (china - russia)) <= ROUNDING


def check_china_share_of_inward_fdi(rows, marts):
    positions = {
        (iso3, year): (partner, world)
        for iso3, year, partner, world in marts(
            "select republic_iso3, year, partner_position_usd, world_position_usd "
            "from marts.fdi_shares where partner_iso3 = 'CHN'"
        )
    }
    assert len(rows) == len(positions) and len({r["republic_iso3"] for r in rows}) == 15
    computed = 0
    for row in rows:
        partner, world = positions[row["republic_iso3"], row["year"]]
        if row["share"] is None:
            assert row["value_status"] != "ok"
        else:
            assert row["value_status"] == "ok" and world > 0
            assert row["share"] == pytest.approx(partner / world, rel=1e-9, abs=1e-12)
            computed += 1
    assert computed > len(rows) / 2


def check_largest_reported_mirror_gaps(rows, marts):
    gaps = marts(
        "select abs(reported_value_usd - mirror_value_usd) from marts.trade_asymmetries "
        "where partner_iso3 = 'CHN' and reported_value_usd is not null "
        "and mirror_value_usd is not null"
    )
    assert len(rows) == 20
    assert {r["partner_iso3"] for r in rows} == {"CHN"}
    for row in rows:
        assert row["gap_usd"] == pytest.approx(
            row["reported_value_usd"] - row["mirror_value_usd"], rel=1e-9
        )
    sizes = [abs(r["gap_usd"]) for r in rows]
    assert sizes == sorted(sizes, reverse=True)
    assert sizes[0] == pytest.approx(max(g for (g,) in gaps), rel=1e-9)
    assert sizes[-1] == pytest.approx(sorted((g for (g,) in gaps), reverse=True)[19], rel=1e-9)


def check_not_reported_by_the_republics(rows, marts):
    # Known answers of the demo build: UN Comtrade only, one row per republic-year-measure.
    assert rows and {r["source_id"] for r in rows} == {"comtrade"}
    by_key = {(r["republic_iso3"], r["year"], r["measure"]): r for r in rows}
    assert len(by_key) == len(rows)
    assert {r["status"] for r in rows} == {"mirror", "not yet released", "unknown"}
    assert all(r["reason"] for r in rows)
    # Turkmenistan never reports to UN Comtrade: every year held, every measure.
    first, last = (int(y) for y in SNAPSHOT_YEARS.split("-"))
    assert {k for k in by_key if k[0] == "TKM"} == {
        ("TKM", y, m) for y in range(first, last + 1) for m in ("export", "import", "total")
    }
    # From 2022 the partner-side world lacks Russia, although China declares: unknown.
    tkm = by_key[("TKM", 2022, "total")]
    assert tkm["status"] == "unknown"
    assert "lacks Russian Federation" in tkm["reason"]
    assert "China's and Russia's shares stay unknown" in tkm["reason"]
    assert "no side declares" not in tkm["reason"]
    uzb = by_key[("UZB", 2010, "export")]
    assert uzb["status"] == "mirror"
    assert uzb["reason"].startswith("republic did not report to UN Comtrade for this year")
    # Republics that report every year to the last released one are not listed.
    assert {r["republic_iso3"] for r in rows} == {
        "AZE",
        "BLR",
        "KGZ",
        "LVA",
        "RUS",
        "TJK",
        "TKM",
        "UKR",
        "UZB",
    }


def check_the_claim(rows, marts):
    counts = marts(
        "select source, measure, republics_china_share_rose_russia_share_fell, "
        "republics_compared, republics_china_value_rose from marts.china_replacing_russia_summary"
    )
    expected = Counter((replacing, of, nominal) for _, _, replacing, of, nominal in counts)
    found = Counter()
    for row in rows:
        match = re.search(
            r"China's share of .* rose and Russia's fell in (\d+) of (\d+) republics .*"
            r"China's value rose in (\d+) of them",
            row["summary"],
        )
        assert match, row["summary"]
        found[tuple(int(g) for g in match.groups())] += 1
    # per source: IMF and UN Comtrade trade (3 measures each), IMF direct investment
    assert found == expected and len(rows) == 7
    # the real IMF lines first, total trade leading; the synthetic demo ones labelled
    assert rows[0]["summary"].startswith("IMF goods trade: China's share of the republics' trade")
    assert all(r["summary"].startswith("SYNTHETIC DEMO DATA") for r in rows[3:])


CHECKS = {name.removeprefix("check_"): fn for name, fn in globals().items() if name[:6] == "check_"}


def test_every_analysis_has_a_check_of_its_answer():
    assert sorted(CHECKS) == sorted(p.stem for p in ANALYSES.glob("*.sql"))


@pytest.mark.parametrize("name", sorted(CHECKS))
def test_analysis_answers_on_the_published_demo_copy(demo, marts, name):
    CHECKS[name](run_analysis(demo, name), marts)


def test_make_sql_runs_piped_sql_on_the_published_copy_and_exits(demo):
    result = subprocess.run(
        ["make", "-s", "sql"],
        input=".mode csv\nselect count(*) as republics from marts.coverage where year = 2010 "
        "and measure = 'total' and source_id = 'comtrade';\n",
        capture_output=True,
        text=True,
        cwd=PROJECT_ROOT,
        env=settings_env(demo),
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["republics", "15"]


def test_make_sql_is_read_only(demo):
    result = subprocess.run(
        ["make", "-s", "sql"],
        input="create table marts.scratch as select 1;\n",
        capture_output=True,
        text=True,
        cwd=PROJECT_ROOT,
        env=settings_env(demo),
        timeout=60,
    )
    assert "read-only" in (result.stdout + result.stderr).lower()
    with duckdb.connect(str(demo.published_path), read_only=True) as con:
        tables = con.execute("select table_name from duckdb_tables() where schema_name = 'marts'")
        assert "scratch" not in {name for (name,) in tables.fetchall()}


def test_make_sql_without_a_published_copy_says_what_to_do(tmp_path):
    env = {**os.environ, "EURASIA_SOURCE": "snapshot"}
    env["EURASIA_WAREHOUSE"] = str(tmp_path / "eurasia.duckdb")
    env.pop("EURASIA_PUBLISHED", None)
    result = subprocess.run(
        ["make", "-s", "sql"],
        input="select 1;\n",
        capture_output=True,
        text=True,
        cwd=PROJECT_ROOT,
        env=env,
        timeout=60,
    )
    assert result.returncode != 0
    assert "does not exist yet; run `make run` first" in result.stderr
    assert not Path(tmp_path / "published").exists()
