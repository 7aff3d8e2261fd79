"""The IMF IMTS client (goods trade by partner) against a local SDMX-CSV stand-in on 127.0.0.1:
planned requests, answers landed as received, retries, refusals; the IMTS raw table's load; the
stand-in engine that re-serves the bundled real workbooks in US dollars."""

from __future__ import annotations

import hashlib
import json

import duckdb
import pytest
from imf_standin import RecordingEngine, imf_settings, landed_body

from eurasia.demo.imf_imts_api import ImfDataflows, ImfImtsEngine, bundled_imts_engine
from eurasia.demo.standin import Fault, StandinServer
from eurasia.http import ApiError
from eurasia.imf import imts
from eurasia.loader import load_runs
from eurasia.rawzone import MANIFEST, RawZoneRun, new_run_id

REPUBLICS = ["ARM", "AZE", "BLR", "EST", "GEO", "KAZ", "KGZ", "LTU", "LVA", "MDA", "RUS", "TJK"]
REPUBLICS += ["TKM", "UKR", "UZB"]


def observation(country, indicator, counterpart, year, value, status=""):
    return {
        "DATAFLOW": "IMF.STA:IMTS",
        "COUNTRY": country,
        "INDICATOR": indicator,
        "COUNTERPART_COUNTRY": counterpart,
        "FREQUENCY": "A",
        "TIME_PERIOD": str(year),
        "OBS_VALUE": value,
        "STATUS": status,
    }


# Small hand-made answers: Kyrgyzstan and Georgia for 2019-2020, China's imports from Kyrgyzstan.
ROWS = [
    observation("KGZ", "MG_CIF_USD", "G001", 2019, "4903803729"),
    observation("KGZ", "MG_CIF_USD", "CHN", 2019, "1734970508"),
    observation("KGZ", "MG_CIF_USD", "RUS", 2019, "1399000000"),
    observation("KGZ", "XG_FOB_USD", "G001", 2019, "1968000000"),
    observation("KGZ", "XG_FOB_USD", "CHN", 2019, "81469047", "E"),
    observation("KGZ", "MG_CIF_USD", "G001", 2020, "3720000000"),
    observation("GEO", "XG_FOB_USD", "G001", 2020, "3342000000"),
    observation("KGZ", "MG_FOB_USD", "G001", 2019, "4500000000"),  # not asked for
    observation("CHN", "MG_CIF_USD", "KGZ", 2019, "63000000"),
]


@pytest.fixture
def engine():
    return RecordingEngine(ImfImtsEngine(ROWS))


@pytest.fixture
def server(engine):
    with StandinServer(routes={"/imf": engine}) as server:
        yield server


def settings_for(tmp_path, base_url, **env):
    return imf_settings(tmp_path, base_url, "2019-2020", EURASIA_SOURCE="live", **env)


def run_extract(settings):
    sleeps: list[float] = []
    run = RawZoneRun(settings.raw_zone, imts.SOURCE, imts.DATASET, new_run_id(), "live")
    summary = imts.extract(settings, run, sleep=sleeps.append)
    return run, summary, sleeps


def test_the_plan_asks_each_republic_for_world_china_russia_and_china_for_each_republic():
    plan = imts.plan_requests(range(2000, 2026))
    assert [r.key() for r in plan] == [
        "ARM+AZE+BLR+EST+GEO.XG_FOB_USD+MG_CIF_USD.G001+CHN+RUS.A",
        "KAZ+KGZ+LTU+LVA+MDA.XG_FOB_USD+MG_CIF_USD.G001+CHN+RUS.A",
        "RUS+TJK+TKM+UKR+UZB.XG_FOB_USD+MG_CIF_USD.G001+CHN+RUS.A",
        "CHN.XG_FOB_USD+MG_CIF_USD." + "+".join(REPUBLICS) + ".A",
    ]
    assert {(r.first_year, r.last_year) for r in plan} == {(2000, 2025)}
    assert plan[0].path().startswith("data/IMF.STA,IMTS/")
    assert plan[0].params() == {"startPeriod": 2000, "endPeriod": 2025}


def test_extract_lands_every_answer_as_served(tmp_path, server, engine):
    settings = settings_for(tmp_path, server.url + "/imf")
    run, summary, sleeps = run_extract(settings)
    # GEO+... 1 row (GEO), KAZ+KGZ+... 5 rows of KGZ inside the key (not MG_FOB_USD), the third
    # chunk nothing (404 No Results Found, landed as such), China's 1 row.
    assert [r.record_count for r in run.landings] == [1, 6, 0, 1]
    assert summary["calls_planned"] == summary["calls_made"] == 4
    assert summary["rows_landed"] == 8 and sleeps == []
    for record, served in zip(run.landings, engine.bodies, strict=True):
        assert landed_body(settings, record) == served
        assert record.body_sha256 == hashlib.sha256(served).hexdigest()
        assert record.years == [2019, 2020] and record.vintage == "live"
    assert run.landings[2].http_status == 404 and run.landings[2].body_file.endswith(".xml.gz")
    first = server.seen[0]
    assert (
        first.path
        == "/imf/data/IMF.STA,IMTS/ARM+AZE+BLR+EST+GEO.XG_FOB_USD+MG_CIF_USD.G001+CHN+RUS.A"
    )
    assert first.query == {"startPeriod": ["2019"], "endPeriod": ["2020"]}
    assert "csv" in first.headers["Accept"]
    manifest = json.loads((run.folder / MANIFEST).read_text())
    assert manifest["source"] == "imf_imts" and manifest["years"] == [2019, 2020]


def test_transient_failures_are_retried(tmp_path, server):
    server.fail_next(
        Fault(429, b"Rate limit is exceeded. Try again in 7 seconds.", {"Retry-After": "7"}),
        Fault(503, b"Service Unavailable"),
    )
    run, summary, sleeps = run_extract(settings_for(tmp_path, server.url + "/imf"))
    assert sleeps[0] == 7.0 and len(sleeps) == 2
    assert summary["calls_made"] == 6 and summary["landings"] == 4
    assert (run.folder / MANIFEST).exists()


def test_a_maintenance_page_is_retried_and_a_lasting_one_stops_without_a_manifest(tmp_path, server):
    page = Fault(200, b"<html>maintenance</html>", {"Content-Type": "text/html"})
    server.fail_next(page)
    settings = settings_for(tmp_path / "once", server.url + "/imf")
    run, summary, sleeps = run_extract(settings)
    assert summary["calls_made"] == 5 and summary["landings"] == 4 and len(sleeps) == 1
    bodies = [landed_body(settings, r) for r in run.landings]
    assert not any(b"maintenance" in body for body in bodies)

    server.fail_next(*[page] * 6)  # every attempt of the first call
    settings = settings_for(tmp_path / "lasting", server.url + "/imf")
    run = RawZoneRun(settings.raw_zone, imts.SOURCE, imts.DATASET, new_run_id(), "live")
    with pytest.raises(ApiError, match="maintenance"):
        imts.extract(settings, run, sleep=lambda s: None)
    assert not (run.folder / MANIFEST).exists() and run.landings == []


def test_a_refused_key_stops_and_never_shows_the_key(tmp_path):
    with StandinServer(routes={"/imf": ImfImtsEngine(ROWS, api_key="right-key")}) as server:
        settings = settings_for(tmp_path, server.url + "/imf", IMF_API_KEY="wrong-key-0123")
        run = RawZoneRun(settings.raw_zone, imts.SOURCE, imts.DATASET, new_run_id(), "live")
        with pytest.raises(ApiError, match="HTTP 401") as raised:
            imts.extract(settings, run, sleep=lambda s: None)
    assert "wrong-key-0123" not in str(raised.value)
    assert not (run.folder / MANIFEST).exists() and run.landings == []


def test_landed_answers_load_as_received_and_idempotently(tmp_path, server):
    settings = settings_for(tmp_path, server.url + "/imf")
    run, _, _ = run_extract(settings)
    con = duckdb.connect(str(tmp_path / "w.duckdb"))
    first = load_runs(con, settings.raw_zone, [run.folder])[0]
    again = load_runs(con, settings.raw_zone, [run.folder])[0]
    assert first.rows_loaded == again.rows_loaded == again.rows_replaced == 8
    rows = con.execute(
        'SELECT "COUNTRY", "INDICATOR", "COUNTERPART_COUNTRY", "TIME_PERIOD", "OBS_VALUE", '
        '"STATUS", "SCALE" FROM raw.imf_imts_observations ORDER BY ALL'
    ).fetchall()
    assert ("KGZ", "XG_FOB_USD", "CHN", "2019", "81469047", "E", None) in rows
    assert ("CHN", "MG_CIF_USD", "KGZ", "2019", "63000000", "", None) in rows or (
        "CHN",
        "MG_CIF_USD",
        "KGZ",
        "2019",
        "63000000",
        None,
        None,
    ) in rows
    assert len(rows) == 8
    con.close()


def test_one_base_url_serves_both_dataflows():
    imts_engine, dip_engine = ImfImtsEngine(ROWS), RecordingEngine(ImfImtsEngine([]))
    router = ImfDataflows({"IMF.STA,IMTS": imts_engine}, default=dip_engine)
    status, _, body = router.answer("/data/IMF.STA,IMTS/KGZ.XG_FOB_USD.CHN.A", {}, {})
    assert status == 200 and b"81469047" in body
    router.answer("/data/IMF.STA,DIP/KGZ.O.X.CHN.A", {}, {})
    assert len(dip_engine.bodies) == 1


def test_the_stand_in_re_serves_the_real_workbooks_in_us_dollars():
    engine = bundled_imts_engine()
    status, _, body = engine.answer(
        "/data/IMF.STA,IMTS/KGZ+RUS.MG_CIF_USD+XG_FOB_USD.CHN.A",
        {"startPeriod": ["2018"], "endPeriod": ["2019"]},
        {},
    )
    assert status == 200
    lines = body.decode().splitlines()
    # Workbook cells (US$ millions) 1734.9705080000001, 56079.088095999999, 52167.592203 x 10^6.
    assert "IMF.STA:IMTS,KGZ,MG_CIF_USD,CHN,A,2019,1734970508," in lines
    assert "IMF.STA:IMTS,RUS,XG_FOB_USD,CHN,A,2018,56079088096," in lines
    assert "IMF.STA:IMTS,RUS,MG_CIF_USD,CHN,A,2018,52167592203," in lines
    status, _, body = engine.answer(
        "/data/IMF.STA,IMTS/KAZ.XG_FOB_USD.AUT.A",
        {"startPeriod": ["1992"], "endPeriod": ["1992"]},
        {},
    )
    assert body.decode().splitlines()[1] == "IMF.STA:IMTS,KAZ,XG_FOB_USD,AUT,A,1992,3810000,E"


def test_an_interrupted_pull_is_resumed_asking_only_what_it_lacks(tmp_path, server):
    settings = settings_for(tmp_path, server.url + "/imf")
    # the third call fails for good (every attempt): the pull stops after two landings
    server.fail_next(*[Fault(503, b"down", path_prefix="/imf/data/IMF.STA,IMTS/RUS")] * 6)
    first = RawZoneRun(settings.raw_zone, imts.SOURCE, imts.DATASET, new_run_id(), "live")
    with pytest.raises(ApiError):
        imts.extract(settings, first, sleep=lambda s: None)
    assert len(first.landings) == 2 and not (first.folder / MANIFEST).exists()
    seen = len(server.seen)

    run, summary, _ = run_extract(settings)
    assert run.folder == first.folder  # taken over, not started afresh
    assert summary["answers_reused"] == 2 and summary["calls_made"] == 2
    assert [s.path.split("/")[-1][:3] for s in server.seen[seen:]] == ["RUS", "CHN"]
    assert [r.record_count for r in run.landings] == [1, 6, 0, 1]
    assert (run.folder / MANIFEST).exists()

    again, summary, _ = run_extract(settings)  # complete and recent: reused without a call
    assert again.folder == first.folder and summary["calls_made"] == 0
    assert len(server.seen) == seen + 2
