"""Release-aware runs against stand-in APIs on 127.0.0.1, through the pipeline's own steps.

1. a first live run fetches everything;
2. a second one, with nothing new at the source, asks for nothing but the data availability,
   loads nothing and changes no mart row;
3. the source then revises one reporter-year (Kazakhstan 2014: new values, so a new checksum,
   and a later lastReleased) and releases another (Kyrgyzstan 2013, withheld until then): the
   run asks for exactly those two, on both sides, the marts equal the served data, and
   marts.share_changes lists what moved, old and new as the served arithmetic gives them;
4. the full_refresh Param asks for everything again.
"""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import duckdb
import pytest

from eurasia import pipeline, reference
from eurasia.demo.comtrade_api import ComtradeEngine
from eurasia.demo.snapshot_engines import COMTRADE_SNAPSHOT, snapshot_routes
from eurasia.demo.standin import StandinServer

pytestmark = pytest.mark.slow

KAZ, KGZ, CHN, RUS, WORLD, EU = 398, 417, 156, 643, 0, 97
REVISED, RELEASED = (KAZ, 2014), (KGZ, 2013)
YEARS = "2013-2014"
REVISION_FACTOR = 1.25
REVISED_PARTNERS = (CHN, KGZ)  # Kazakhstan's declared trade with China and with Kyrgyzstan
DATA_PATHS = ("/comtrade/public/v1/preview/C/A/HS",)
AVAILABILITY_PATH = "/comtrade/public/v1/getDA/C/A/HS"
TABLES_WITH_RUN_HISTORY = ("landed_responses",)  # lists every landing, availability included


def snapshot_records() -> list[dict]:
    with gzip.open(COMTRADE_SNAPSHOT, "rt") as f:
        return json.load(f)["data"]


def first_records() -> list[dict]:
    """What the source serves at first: everything but Kyrgyzstan's 2013 declarations."""
    return [r for r in snapshot_records() if (r["reporterCode"], r["refYear"]) != RELEASED]


def revised_records() -> list[dict]:
    """Kazakhstan 2014 revised (its trade with China and Kyrgyzstan), Kyrgyzstan 2013 released."""
    out = []
    for record in snapshot_records():
        if (record["reporterCode"], record["refYear"]) == REVISED and (
            record["partnerCode"] in REVISED_PARTNERS
        ):
            record = {**record, "primaryValue": record["primaryValue"] * REVISION_FACTOR}
        out.append(record)
    return out


def served(records: list[dict]) -> dict[tuple[int, int, str, int], float]:
    return {
        (r["reporterCode"], r["partnerCode"], r["flowCode"], r["refYear"]): r["primaryValue"]
        for r in records
    }


def reported_share(values, reporter: int, partner: int, flow: str, year: int) -> float:
    return values[(reporter, partner, flow, year)] / values[(reporter, WORLD, flow, year)]


def mirror_export_share(values, republic: int, partner: int, year: int) -> float:
    """The republic's exports to `partner` as its partners declare them (their imports, CIF,
    divided by the CIF/FOB factor on both sides of the share, so it cancels)."""
    world = sum(
        value
        for (reporter, p, flow, y), value in values.items()
        if p == republic and flow == "M" and y == year and reporter not in (EU, republic)
    )
    return values[(partner, republic, "M", year)] / world


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    """Four pipeline runs against one stand-in; what each asked and what the marts held."""
    root = tmp_path_factory.mktemp("release_aware")
    warehouse = root / "eurasia.duckdb"
    routes = {f"/{name}": engine for name, engine in snapshot_routes().items()}
    routes["/comtrade"] = ComtradeEngine(first_records())
    outcome = {"warehouse": warehouse}
    with StandinServer(routes) as server, pytest.MonkeyPatch.context() as env:
        for name, value in {
            "EURASIA_SOURCE": "live",
            "EURASIA_WAREHOUSE": str(warehouse),
            "EURASIA_YEARS": YEARS,
            "EURASIA_REQUEST_INTERVAL": "0",
            "EURASIA_REUSE_HOURS": "0",
            "COMTRADE_BASE_URL": server.url + "/comtrade",
            "IMF_SDMX_BASE_URL": server.url + "/imf",
            pipeline.PIPELINE_RUN_ENV: "",
        }.items():
            env.setenv(name, value)
        for name in ("COMTRADE_API_KEY", "IMF_API_KEY", "EURASIA_FULL_REFRESH"):
            env.delenv(name, raising=False)

        def run(run_id: str, full_refresh: bool = False) -> dict:
            server.seen.clear()
            availability = pipeline.extract_comtrade_availability(None, full_refresh)
            folders = [
                availability,
                pipeline.extract_comtrade("reporter", None, availability, full_refresh),
                pipeline.extract_comtrade("mirror", None, availability, full_refresh),
                pipeline.extract_fdi(None, full_refresh),
                pipeline.extract_imf_goods_trade(None, full_refresh),
            ]
            loaded = pipeline.load_runs(folders, None, full_refresh, run_id)
            pipeline.build_marts(None, run_id)
            pipeline.publish_warehouse(None)
            return {
                "seen": list(server.seen),
                "loaded": loaded,
                "marts": marts(warehouse),
                "summary": pipeline.summarise(None, run_id),
            }

        outcome["first"] = run("scheduled__first")
        outcome["nothing_new"] = run("scheduled__nothing_new")
        server.routes["/comtrade"] = ComtradeEngine(
            revised_records(), releases={REVISED: ("2016-03-01T00:00:00", "2026-11-20T00:00:00")}
        )
        outcome["revised"] = run("scheduled__revised")
        outcome["full"] = run("manual__full_refresh", full_refresh=True)
    return outcome


def marts(warehouse: Path) -> dict[str, list]:
    with duckdb.connect(str(warehouse), read_only=True) as con:
        names = [
            row[0]
            for row in con.execute(
                "select table_name from information_schema.tables "
                "where table_schema = 'marts' order by 1"
            ).fetchall()
        ]
        return {
            name: sorted(
                con.execute(f'select * from marts."{name}"').fetchall(),
                key=lambda row: tuple(str(v) for v in row),
            )
            for name in names
        }


def query(warehouse: Path, sql: str, params=None) -> list[tuple]:
    with duckdb.connect(str(warehouse), read_only=True) as con:
        return con.execute(sql, params or []).fetchall()


def asked_reporter_years(seen) -> set[tuple[int, int]]:
    """(reporter, year) pairs the data requests asked for; reporter None when all were asked."""
    pairs = set()
    for request in seen:
        if request.path not in DATA_PATHS:
            continue
        reporters = request.query.get("reporterCode", [None])[0]
        for year in request.query["period"][0].split(","):
            for reporter in reporters.split(",") if reporters else [None]:
                pairs.add((None if reporter is None else int(reporter), int(year)))
    return pairs


def share_change(warehouse, iso3, year, measure, partner, basis):
    rows = query(
        warehouse,
        "select old_share, new_share, difference, releases from marts.share_changes "
        "where pipeline_run = 'scheduled__revised' and republic_iso3 = ? and year = ? "
        "and measure = ? and partner_iso3 = ? and basis = ?",
        [iso3, year, measure, partner, basis],
    )
    assert len(rows) == 1, (iso3, year, measure, partner, basis, rows)
    return rows[0]


def test_first_run_fetches_everything(runs):
    seen = runs["first"]["seen"]
    asked = asked_reporter_years(seen)
    republics = {economy.m49_code for economy in reference.republics()}
    assert {(r, y) for r in republics for y in (2013, 2014)} <= asked
    assert (None, 2013) in asked and (None, 2014) in asked  # the partner side: all reporters
    assert any(request.path.startswith("/imf") for request in seen)
    assert runs["first"]["marts"]["share_changes"] == []  # the baseline lists nothing


def test_nothing_new_makes_no_data_request_and_changes_no_mart_row(runs):
    seen = runs["nothing_new"]["seen"]
    assert seen, "the data availability is asked every run"
    assert {request.path for request in seen} == {AVAILABILITY_PATH}
    loaded = {(r["source"], r["dataset"]): r for r in runs["nothing_new"]["loaded"]}
    assert loaded[("comtrade", "reporter")]["rows_loaded"] == 0
    assert loaded[("comtrade", "reporter")]["rows_replaced"] == 0
    assert loaded[("comtrade", "mirror")]["rows_replaced"] == 0
    assert ("imf_dip", "dip") not in loaded  # the same IMF pull, not loaded again
    before, after = runs["first"]["marts"], runs["nothing_new"]["marts"]
    assert before.keys() == after.keys()
    for name in before:
        if name not in TABLES_WITH_RUN_HISTORY:
            assert after[name] == before[name], name
    assert "none in this run (scheduled__nothing_new)" in runs["nothing_new"]["summary"]


def test_a_revision_and_a_release_are_all_that_is_asked(runs):
    seen = runs["revised"]["seen"]
    assert {request.path for request in seen} == {AVAILABILITY_PATH, *DATA_PATHS}
    assert asked_reporter_years(seen) == {REVISED, RELEASED}
    # both sides: the republics' own pull and the partner-side pull each asked for the two
    partners = {request.query["partnerCode"][0] for request in seen if request.path in DATA_PATHS}
    assert len(partners) == 2
    assert not any(request.path.startswith("/imf") for request in seen)


def test_marts_equal_the_served_data_after_the_revision(runs):
    warehouse, values = runs["warehouse"], served(revised_records())
    for iso3, code, year in (("KAZ", KAZ, 2014), ("KGZ", KGZ, 2013), ("KAZ", KAZ, 2013)):
        for flow, flow_code in (("export", "X"), ("import", "M")):
            (got,) = query(
                warehouse,
                "select share from marts.trade_shares where republic_iso3 = ? and year = ? "
                "and flow = ? and partner_iso3 = 'CHN' and basis = 'reported'",
                [iso3, year, flow],
            )
            assert got[0] == pytest.approx(reported_share(values, code, CHN, flow_code, year))
    (got,) = query(
        warehouse,
        "select share from marts.trade_shares where republic_iso3 = 'KGZ' and year = 2014 "
        "and flow = 'export' and partner_iso3 = 'CHN' and basis = 'mirror'",
    )
    assert got[0] == pytest.approx(mirror_export_share(values, KGZ, CHN, 2014))
    # the raw tables hold the revised values, once
    (count,) = query(
        warehouse,
        "select count(*) from raw.comtrade_records where reporterCode = 398 and refYear = 2014 "
        "and partnerCode = 156 and flowCode = 'X' and dataset = 'reporter'",
    )
    assert count == (1,)


def test_share_changes_lists_what_moved_with_the_served_arithmetic(runs):
    warehouse = runs["warehouse"]
    old_values, new_values = served(first_records()), served(revised_records())
    old, new, difference, releases = share_change(
        warehouse, "KAZ", 2014, "export", "CHN", "reported"
    )
    assert old == pytest.approx(reported_share(old_values, KAZ, CHN, "X", 2014))
    assert new == pytest.approx(reported_share(new_values, KAZ, CHN, "X", 2014))
    assert difference == pytest.approx(new - old)
    assert "KAZ 2014 reporter side (lastReleased 2026-11-20 00:00:00, checksum " in releases
    # Kazakhstan's revised declarations about Kyrgyzstan move Kyrgyzstan's partner-side shares
    old, new, _, releases = share_change(warehouse, "KGZ", 2014, "export", "CHN", "mirror")
    assert old == pytest.approx(mirror_export_share(old_values, KGZ, CHN, 2014))
    assert new == pytest.approx(mirror_export_share(new_values, KGZ, CHN, 2014))
    assert "KAZ 2014 partner side" in releases
    # Kyrgyzstan's 2013 declarations, released now, give it reported shares
    old, new, _, releases = share_change(warehouse, "KGZ", 2013, "import", "CHN", "reported")
    assert new == pytest.approx(reported_share(new_values, KGZ, CHN, "M", 2013))
    assert "KGZ 2013 reporter side" in releases
    # nothing else moved: every change is of those reporter-years
    moved = query(
        warehouse,
        "select distinct republic_iso3, year, basis from marts.share_changes "
        "where pipeline_run = 'scheduled__revised' order by all",
    )
    assert {(iso3, year) for iso3, year, _ in moved} <= {
        ("KAZ", 2014),
        ("KGZ", 2013),
        ("KGZ", 2014),
        # Kyrgyzstan's 2013 declarations about the other republics: their mirror shares
        *((e.iso3, 2013) for e in reference.republics()),
    }
    assert (
        "Share changes (marts.share_changes): this run (scheduled__revised) moved"
        in (runs["revised"]["summary"])
    )


def test_the_releases_each_run_loaded_are_recorded(runs):
    rows = query(
        runs["warehouse"],
        "select dataset, reporterCode, period from raw.comtrade_releases_loaded "
        "where pipeline_run = 'scheduled__revised' order by all",
    )
    assert rows == [
        ("mirror", KAZ, "2014"),
        ("mirror", KGZ, "2013"),
        ("reporter", KAZ, "2014"),
        ("reporter", KGZ, "2013"),
    ]
    assert query(
        runs["warehouse"],
        "select count(*) from raw.comtrade_releases_loaded "
        "where pipeline_run = 'scheduled__nothing_new'",
    ) == [(0,)]


def test_full_refresh_asks_for_everything_again_and_changes_nothing(runs):
    seen = runs["full"]["seen"]
    asked = asked_reporter_years(seen)
    republics = {economy.m49_code for economy in reference.republics()}
    assert {(r, y) for r in republics for y in (2013, 2014)} <= asked
    assert (None, 2013) in asked and (None, 2014) in asked
    assert any(request.path.startswith("/imf") for request in seen)
    assert query(
        runs["warehouse"],
        "select count(*) from marts.share_changes where pipeline_run = 'manual__full_refresh'",
    ) == [(0,)]
