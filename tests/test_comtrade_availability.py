"""Comtrade data availability (getDA): the client against a stand-in on 127.0.0.1, the plan, and
the offline snapshot landing what it serves."""

from __future__ import annotations

import copy
import gzip
import json
import logging
from pathlib import Path

import pytest

from eurasia import pipeline
from eurasia.comtrade import availability, client, plan
from eurasia.demo.comtrade_api import ComtradeEngine
from eurasia.demo.snapshot_engines import snapshot_routes
from eurasia.demo.standin import Fault, StandinServer
from eurasia.http import ApiError
from eurasia.rawzone import MANIFEST, RawZoneRun, new_run_id
from eurasia.settings import load_settings

CHN_ARG_DEU = (
    Path(__file__).parent
    / "fixtures"
    / "comtrade"
    / "comtrade_v1_get_C_A_HS_reporter156_partners32-276_2010_TOTAL.json"
)
KEY = "test-availability-key-7c1e"
KEY_HEADER = "Ocp-Apim-Subscription-Key"
YEARS_2000_2025 = list(range(2000, 2026))


def fixture_records(path: Path) -> list[dict]:
    return json.loads(path.read_bytes())["data"]


def no_sleep(seconds: float) -> None:
    raise AssertionError(f"asked to sleep {seconds} s with a request interval of 0")


def reporter_years(count: int, years) -> list[dict]:
    """Records of `count` synthetic reporters, one per reporter-year, shaped like a real one."""
    template = fixture_records(CHN_ARG_DEU)[0]
    records = []
    for year in years:
        for i in range(count):
            record = copy.deepcopy(template)
            record.update(
                reporterCode=2000 + i,
                reporterISO=f"S{i:03d}",
                reporterDesc=f"Synthetic reporter {i}",
                refYear=year,
                period=str(year),
                refPeriodId=year * 10_000 + 101,
            )
            records.append(record)
    return records


def settings_for(server, tmp_path, key=None, years="2010-2011"):
    return load_settings(
        {
            "EURASIA_SOURCE": "live",
            "EURASIA_YEARS": years,
            "EURASIA_WAREHOUSE": str(tmp_path / "w.duckdb"),
            "COMTRADE_BASE_URL": server.url + "/comtrade",
            "COMTRADE_API_KEY": key or "",
            "EURASIA_REQUEST_INTERVAL": "0",
        }
    )


def new_run(settings) -> RawZoneRun:
    return RawZoneRun(settings.raw_zone, "comtrade", "availability", new_run_id(), "live")


def landed(settings, run) -> list[dict]:
    rows = []
    for landing in run.landings:
        payload = json.loads(gzip.decompress((settings.raw_zone / landing.body_file).read_bytes()))
        assert payload["count"] == len(payload["data"]) == landing.record_count
        rows += payload["data"]
    return sorted(rows, key=lambda r: (r["period"], r["reporterCode"]))


def served(engine, path="/public/v1/getDA/C/A/HS", headers=None) -> list[dict]:
    status, _, body = engine.answer(path, {}, headers or {})
    assert status == 200
    return json.loads(body)["data"]


# --- plan ---------------------------------------------------------------------------------------


def test_plan_covers_every_year_once_under_the_cap():
    bound = client.reporters_bound(YEARS_2000_2025)
    assert bound == 226
    keyless = availability.plan_requests(YEARS_2000_2025, plan.PREVIEW_CAP, bound)
    keyed = availability.plan_requests(YEARS_2000_2025, plan.KEYED_CAP, bound)
    assert [len(r.years) for r in keyless] == [2] * 13  # 2 x 226 = 452 <= 500
    assert [len(r.years) for r in keyed] == [9, 9, 8]  # at most 12 periods a call
    for requests in (keyless, keyed):
        assert sorted(y for r in requests for y in r.years) == YEARS_2000_2025
        assert all(r.reporters is None for r in requests)  # all reporters, always
        assert all(len(r.years) * bound <= plan.PREVIEW_CAP for r in keyless)
    assert keyless[0].params() == {"period": "2000,2001"}


def test_split_halves_years_then_the_reporter_codes_in_use():
    first, second = availability.AvailabilityRequest((2010, 2011, 2012)).split()
    assert (first.years, second.years) == ((2010, 2011), (2012,))
    low, high = availability.AvailabilityRequest((2012,)).split()
    in_use = availability.reporter_codes_in_use(2012)
    assert (
        low.reporters + high.reporters == in_use
        and abs(len(low.reporters) - len(high.reporters)) <= 1
    )
    assert 156 in in_use and 643 in in_use and 810 not in in_use  # the USSR code expired in 1991
    assert low.params()["reporterCode"] == ",".join(map(str, low.reporters))


# --- client against the stand-in ----------------------------------------------------------------


def test_keyless_lands_every_reporter_year_of_the_years(tmp_path, caplog):
    caplog.set_level(logging.INFO, logger="eurasia")
    records = reporter_years(30, range(2008, 2013)) + fixture_records(CHN_ARG_DEU)
    engine = ComtradeEngine(records, api_key=KEY)
    with StandinServer(routes={"/comtrade": engine}) as server:
        settings = settings_for(server, tmp_path, years="2009-2011")
        run = new_run(settings)
        summary = availability.extract(settings, run, sleep=no_sleep)
        seen = list(server.seen)

    want = [r for r in served(engine) if r["period"] in ("2009", "2010", "2011")]
    assert len(want) == 3 * 30 + 1  # China 2010 too
    assert landed(settings, run) == want
    assert summary["calls_planned"] == summary["calls_made"] == 2  # 2009-2010, 2011
    assert summary["reporter_years_listed"] == len(want) and summary["requests_split"] == 0
    assert [s.path for s in seen] == ["/comtrade/public/v1/getDA/C/A/HS"] * 2
    assert [s.query for s in seen] == [{"period": ["2009,2010"]}, {"period": ["2011"]}]
    assert all(KEY_HEADER.lower() not in map(str.lower, s.headers) for s in seen)
    manifest = json.loads((run.folder / MANIFEST).read_text())
    assert manifest["years"] == [2009, 2010, 2011] and manifest["dataset"] == "availability"
    sidecar = json.loads((run.folder / "00001.request.json").read_text())
    assert sidecar["years"] == [2009, 2010] and sidecar["params"] == {"period": "2009,2010"}
    assert "comtrade availability: 2 calls planned on the preview endpoint" in caplog.text


def test_keyed_sends_the_key_only_in_the_header(tmp_path, caplog):
    caplog.set_level(logging.DEBUG)
    engine = ComtradeEngine(reporter_years(5, range(2000, 2026)), api_key=KEY)
    with StandinServer(routes={"/comtrade": engine}) as server:
        settings = settings_for(server, tmp_path, key=KEY, years="2000-2025")
        run = new_run(settings)
        summary = availability.extract(settings, run, sleep=no_sleep)
        seen = list(server.seen)

    assert landed(settings, run) == served(engine)
    assert (summary["endpoint"], summary["calls_made"]) == ("keyed", 3)
    assert {s.path for s in seen} == {"/comtrade/data/v1/getDA/C/A/HS"}
    assert all(
        {k.lower(): v for k, v in s.headers.items()}[KEY_HEADER.lower()] == KEY for s in seen
    )
    assert all("reporterCode" not in s.query for s in seen)
    assert all(KEY not in v for s in seen for vs in s.query.values() for v in vs)
    raw = b"".join(p.read_bytes() for p in settings.raw_zone.rglob("*") if p.is_file())
    assert KEY.encode() not in raw and KEY not in caplog.text


def test_a_wrong_key_stops_with_advice_and_completes_nothing(tmp_path):
    with StandinServer(routes={"/comtrade": ComtradeEngine([], api_key=KEY)}) as server:
        settings = settings_for(server, tmp_path, key="not-the-key")
        run = new_run(settings)
        with pytest.raises(ApiError, match="COMTRADE_API_KEY"):
            availability.extract(settings, run, sleep=no_sleep)
    assert not (run.folder / MANIFEST).exists()


def test_an_answer_cut_at_the_cap_is_split_and_nothing_is_lost(tmp_path):
    # 300 reporters a year: more than the 226 codes the plan assumes, so a two-year keyless
    # answer (600) is cut at 500; the client asks again a year at a time.
    records = reporter_years(300, (2010, 2011))
    engine = ComtradeEngine(records)
    with StandinServer(routes={"/comtrade": engine}) as server:
        settings = settings_for(server, tmp_path)
        run = new_run(settings)
        summary = availability.extract(settings, run, sleep=no_sleep)

    assert landed(settings, run) == served(
        ComtradeEngine(records, api_key=KEY), "/data/v1/getDA/C/A/HS", {KEY_HEADER: KEY}
    )
    assert len(landed(settings, run)) == 600
    assert (summary["calls_planned"], summary["requests_split"], summary["calls_made"]) == (1, 1, 3)
    assert all(landing.record_count < plan.PREVIEW_CAP for landing in run.landings)


def test_a_year_with_nothing_released_lands_an_empty_answer(tmp_path):
    with StandinServer(routes={"/comtrade": ComtradeEngine(reporter_years(3, [2010]))}) as server:
        settings = settings_for(server, tmp_path, years="2011")
        run = new_run(settings)
        summary = availability.extract(settings, run, sleep=no_sleep)
    assert summary["reporter_years_listed"] == 0
    assert [landing.record_count for landing in run.landings] == [0]
    assert (run.folder / MANIFEST).exists()


# --- offline snapshot ---------------------------------------------------------------------------


def test_snapshot_availability_lists_exactly_the_reporter_years_it_serves(tmp_path, monkeypatch):
    monkeypatch.setenv("EURASIA_SOURCE", "snapshot")
    monkeypatch.setenv("EURASIA_WAREHOUSE", str(tmp_path / "w.duckdb"))
    monkeypatch.delenv("EURASIA_YEARS", raising=False)
    folder = pipeline.extract_comtrade_availability("2000-2025")

    run_landings = sorted((tmp_path / "raw").glob("comtrade/availability/run=*/*.json.gz"))
    assert str(run_landings[0].parent) == folder
    listed = {}
    for path in run_landings:
        for r in json.loads(gzip.decompress(path.read_bytes()))["data"]:
            listed[(r["reporterISO"], int(r["period"]))] = r["totalRecords"]
    engine = dict(snapshot_routes())["comtrade"]
    counts: dict[tuple[str, int], int] = {}
    for r in engine_records(engine):
        key = (r["reporterISO"], r["refYear"])
        counts[key] = counts.get(key, 0) + 1
    assert listed == counts
    assert not [key for key in listed if key[0] == "TKM"]
    assert not [key for key in listed if key[0] == "RUS" and key[1] >= 2022]
    assert not [key for key in listed if key[0] == "UZB" and key[1] < 2017]


def engine_records(engine) -> list[dict]:
    return [json.loads(encoded) for encoded in engine._encoded]


def test_a_rerun_after_a_stop_asks_only_for_what_is_missing(tmp_path):
    engine = ComtradeEngine(reporter_years(4, range(2000, 2026)))
    quota = Fault(
        403,
        b'{ "statusCode": 403, "message": "Out of call volume quota. '
        b'Quota will be replenished in 05:23:11." }',
        {"Content-Type": "application/json"},
    )
    with StandinServer(routes={"/comtrade": engine}) as server:
        settings = settings_for(server, tmp_path, years="2000-2025")
        first = new_run(settings)
        calls = {"n": 0}
        real_dispatch = server.dispatch

        def dispatch(path, query, headers):  # four calls answered, then the quota is used up
            calls["n"] += 1
            if calls["n"] >= 5:
                return quota.status, quota.headers, quota.body
            return real_dispatch(path, query, headers)

        server.dispatch = dispatch
        with pytest.raises(ApiError, match="resumes"):
            availability.extract(settings, first, sleep=no_sleep)
        assert not (first.folder / MANIFEST).exists() and len(first.landings) == 4

        server.dispatch = real_dispatch
        server.seen.clear()
        second = new_run(settings)
        summary = availability.extract(settings, second, sleep=no_sleep)
        asked_again = [s.query["period"][0] for s in server.seen]

    assert second.folder == first.folder  # the interrupted run, taken over
    assert summary["calls_made"] == 13 - 4 and summary["answers_reused"] == 4
    assert asked_again[0] == "2008,2009"  # from the fifth call on
    assert landed(settings, second) == served(engine)
