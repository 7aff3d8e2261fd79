"""IMF goods-trade shares end to end on REAL data: the bundled DOTS workbooks landed and loaded,
and the same figures pulled over HTTP from the stand-in IMTS API (which re-serves them in US
dollars), loaded into one warehouse and built by dbt (staging and intermediate models only).

Expected shares are the workbooks' own arithmetic, computed here apart from the pipeline: each
sheet read whole (years as columns) and China's or Russia's row divided by the World row of the
same sheet; total = (exports + imports) / (world exports + world imports). For the live path the
expected shares come from the SDMX-CSV bodies the stand-in served.
"""

from __future__ import annotations

import csv
import gzip
import io
import json
from pathlib import Path

import duckdb
import pytest

from eurasia.demo.imf_imts_api import bundled_imts_engine
from eurasia.demo.standin import StandinServer
from eurasia.imf import dots, imts
from eurasia.loader import load_runs
from eurasia.rawzone import RawZoneRun, new_run_id
from eurasia.settings import load_settings

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parent.parent
PROJECT_DIR = ROOT / "dbt_project"
YEARS = range(2000, 2021)
VARS = {"first_year": 2000, "last_year": 2020, "as_of_year": 2025}
REPUBLIC_FILES = {
    "ARM": "DOTS_9.xlsx",
    "AZE": "DOTS_13.xlsx",
    "BLR": "DOTS_18.xlsx",
    "EST": "DOTS_65.xlsx",
    "GEO": "DOTS_76.xlsx",
    "KAZ": "DOTS_103.xlsx",
    "KGZ": "DOTS_109.xlsx",
    "LVA": "DOTS_111.xlsx",
    "LTU": "DOTS_116.xlsx",
    "MDA": "DOTS_129.xlsx",
    "RUS": "DOTS_162.xlsx",
    "TJK": "DOTS_192.xlsx",
    "TKM": "DOTS_201.xlsx",
    "UKR": "DOTS_205.xlsx",
    "UZB": "DOTS_210.xlsx",
}
ROWS = {"World": "WLD", "China, P.R.: Mainland": "CHN", "Russian Federation": "RUS"}
SHEETS = {"Exports, FOB": "export", "Imports, CIF": "import"}


def millions(text: str | None) -> float | None:
    if text is None:
        return None
    return float(text.removesuffix(" e").replace(",", ""))


def workbook_values() -> dict[tuple, float]:
    """(republic, flow, partner, year) -> US$ millions, each sheet read whole by read_xlsx."""
    con = duckdb.connect()
    dots.load_excel_extension(con)
    values = {}
    for republic, name in REPUBLIC_FILES.items():
        for sheet, flow in SHEETS.items():
            table = con.execute(
                f"SELECT * FROM read_xlsx('{dots.BUNDLE_DIR / name}', sheet='{sheet}', "
                "range='B7:BZ400', header=true, all_varchar=true)"
            )
            columns = [d[0] for d in table.description]
            for row in table.fetchall():
                partner = ROWS.get(row[0])
                if partner is None:
                    continue
                for column, cell in zip(columns[1:], row[1:], strict=True):
                    if column.isdigit() and int(column) in YEARS and cell is not None:
                        values[republic, flow, partner, int(column)] = millions(cell)
    con.close()
    return values


def shares_from(values: dict[tuple, float]) -> dict[tuple, float | None]:
    """(republic, year, flow, partner) -> share: partner / World of the same sheet."""
    shares = {}
    for republic in REPUBLIC_FILES:
        for year in YEARS:
            for partner in ("CHN", "RUS"):
                if partner == republic:
                    continue
                parts = {}
                for flow in SHEETS.values():
                    p, w = (
                        values.get((republic, flow, partner, year)),
                        values.get((republic, flow, "WLD", year)),
                    )
                    parts[flow] = (p, w)
                    shares[republic, year, flow, partner] = p / w if p is not None and w else None
                ps = [p for p, _ in parts.values()]
                ws = [w for _, w in parts.values()]
                complete = None not in ps and None not in ws
                shares[republic, year, "total", partner] = sum(ps) / sum(ws) if complete else None
    return shares


def run_dbt(warehouse: Path, target: Path) -> None:
    import os

    from dbt.adapters.duckdb.connections import DuckDBConnectionManager
    from dbt.cli.main import dbtRunner

    old = os.environ.get("EURASIA_WAREHOUSE")
    os.environ["EURASIA_WAREHOUSE"] = str(warehouse)
    try:
        result = dbtRunner().invoke(
            [
                "build",
                "--select",
                "+int_imf_trade_shares_computed",
                # only the tests whose every parent is built here (not the marts' tests)
                "--indirect-selection",
                "cautious",
                "--project-dir",
                str(PROJECT_DIR),
                "--profiles-dir",
                str(PROJECT_DIR),
                "--target-path",
                str(target),
                "--log-path",
                str(target / "logs"),
                "--vars",
                json.dumps(VARS),
                "--quiet",
            ]
        )
    finally:
        DuckDBConnectionManager.close_all_connections()
        if old is None:
            os.environ.pop("EURASIA_WAREHOUSE", None)
        else:
            os.environ["EURASIA_WAREHOUSE"] = old
    failed = [r.node.name for r in result.result or [] if str(r.status) in ("error", "fail")]
    assert result.success and not failed, failed or result.exception


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("imf_trade")
    settings = load_settings(
        {
            "EURASIA_SOURCE": "live",
            "EURASIA_YEARS": "2000-2020",
            "EURASIA_WAREHOUSE": str(tmp / "w.duckdb"),
            "EURASIA_REQUEST_INTERVAL": "0",
        }
    )
    workbooks = RawZoneRun(settings.raw_zone, dots.SOURCE, dots.DATASET, new_run_id(), dots.VINTAGE)
    dots.extract(workbooks)
    with StandinServer(routes={"/imf": bundled_imts_engine()}) as server:
        live = load_settings(
            {
                "EURASIA_SOURCE": "live",
                "EURASIA_YEARS": "2000-2020",
                "EURASIA_WAREHOUSE": str(tmp / "w.duckdb"),
                "EURASIA_REQUEST_INTERVAL": "0",
                "IMF_SDMX_BASE_URL": server.url + "/imf",
            }
        )
        pulled = RawZoneRun(live.raw_zone, imts.SOURCE, imts.DATASET, new_run_id(), "live")
        imts.extract(live, pulled, sleep=lambda s: None)
    con = duckdb.connect(str(settings.warehouse_path))
    load_runs(con, settings.raw_zone, [workbooks.folder, pulled.folder])
    con.close()
    run_dbt(settings.warehouse_path, tmp / "dbt")
    con = duckdb.connect(str(settings.warehouse_path), read_only=True)
    yield con, settings, pulled
    con.close()


def computed(con, source: str) -> dict[tuple, tuple]:
    """The model's rows of 2000-2020 (it spans every year loaded: the workbooks' from 1992)."""
    rows = con.execute(
        "SELECT republic_iso3, year, flow, partner_iso3, share, value_status, vintage, "
        "is_synthetic FROM intermediate.int_imf_trade_shares_computed WHERE source = ? "
        "AND year BETWEEN 2000 AND 2020",
        [source],
    ).fetchall()
    return {tuple(r[:4]): r[4:] for r in rows}


def assert_same_shares(got: dict[tuple, tuple], expected: dict[tuple, float | None]) -> None:
    assert set(got) == set(expected)
    for key, share in expected.items():
        if share is None:
            assert got[key][0] is None, key
        else:
            assert got[key][0] == pytest.approx(share, rel=1e-12), key


def test_workbook_shares_equal_the_workbooks_own_arithmetic(built):
    con, _, _ = built
    got = computed(con, "imf_dots")
    expected = shares_from(workbook_values())
    # every republic, every year 2000-2020, three flows, China and Russia (Russia not itself)
    assert len(expected) == 15 * 21 * 3 * 2 - 21 * 3
    assert_same_shares(got, expected)
    assert {v[2:] for v in got.values()} == {("imf-dots-2022-02", False)}
    # the one gap: Tajikistan-China 2000 is empty in the workbook - unknown, not zero
    missing = {k for k, v in got.items() if v[1] != "ok"}
    assert missing == {("TJK", 2000, flow, "CHN") for flow in ("export", "import", "total")}
    assert got["KGZ", 2019, "import", "CHN"][0] == pytest.approx(1734.970508 / 4903.803729)


def test_shares_pulled_from_the_stand_in_equal_the_served_values(built):
    con, settings, pulled = built
    served = {}
    for record in pulled.landings:
        body = gzip.decompress((settings.raw_zone / record.body_file).read_bytes()).decode()
        if record.record_count:
            for row in csv.DictReader(io.StringIO(body, newline="")):
                flow = imts.INDICATORS[row["INDICATOR"]]
                partner = (
                    "WLD" if row["COUNTERPART_COUNTRY"] == "G001" else row["COUNTERPART_COUNTRY"]
                )
                served[row["COUNTRY"], flow, partner, int(row["TIME_PERIOD"])] = float(
                    row["OBS_VALUE"]
                )
    got = computed(con, "imf_imts")
    assert_same_shares(got, shares_from(served))
    assert {v[2:] for v in got.values()} == {("live", False)}
    # the stand-in re-serves the workbooks: the two copies give the same shares
    dots_shares = computed(con, "imf_dots")
    assert set(got) == set(dots_shares)
    for key, (share, *_rest) in got.items():
        if share is None:
            assert dots_shares[key][0] is None, key
        else:
            assert share == pytest.approx(dots_shares[key][0], rel=1e-9), key


def test_staged_values_are_us_dollars_with_the_estimate_flag(built):
    con, _, _ = built
    rows = con.execute(
        "SELECT source, value_usd, is_estimate, value_as_received FROM "
        "staging.stg_imf__goods_trade_flows WHERE reporter_iso3 = 'KAZ' "
        "AND partner_iso3 = 'AUT' AND flow = 'export' AND year = 1992 ORDER BY source"
    ).fetchall()
    assert rows == [("imf_dots", pytest.approx(3.81e6), True, "3.81 e")]
    rows = con.execute(
        "SELECT source, value_usd FROM staging.stg_imf__goods_trade_flows "
        "WHERE reporter_iso3 = 'RUS' AND partner_iso3 = 'CHN' AND flow = 'export' "
        "AND year = 2018 ORDER BY source"
    ).fetchall()
    assert rows == [
        ("imf_dots", pytest.approx(56079.088096e6)),
        ("imf_imts", pytest.approx(56079.088096e6)),
    ]
