"""The Comtrade client against a stand-in API on 127.0.0.1 serving real recorded records.

The dataset is the records of two real answers (China with Argentina and Germany 2010, USA with
Japan 2023), plus records re-labelled from them for some republics, so that the planned requests
find something. Nothing sleeps for real: the request interval is 0 and sleep is a stub.
"""

from __future__ import annotations

import copy
import dataclasses
import datetime as dt
import gzip
import json
import logging
from pathlib import Path

import pytest

from eurasia import reference
from eurasia.comtrade import plan
from eurasia.comtrade.client import KEYED as KEYED_ENDPOINT
from eurasia.comtrade.client import PREVIEW as PREVIEW_ENDPOINT
from eurasia.comtrade.client import extract, plan_requests, refusal_advice
from eurasia.demo.adapter import snapshot_session
from eurasia.demo.comtrade_api import ComtradeEngine
from eurasia.demo.standin import Fault, StandinServer
from eurasia.http import ApiError, ApiUnavailableError
from eurasia.rawzone import MANIFEST, RawZoneRun, new_run_id
from eurasia.settings import load_settings

FIXTURES = Path(__file__).parent / "fixtures" / "comtrade"
USA_JPN = "comtrade_public_v1_preview_C_A_HS_reporter842_partner392_2023_TOTAL.json"
CHN_ARG_DEU = "comtrade_v1_get_C_A_HS_reporter156_partners32-276_2010_TOTAL.json"
KEY = "test-comtrade-key-5f3a9c"
KEY_HEADER = "Ocp-Apim-Subscription-Key"
REPUBLICS = {e.m49_code for e in reference.republics()}
PARTNERS = {e.m49_code for e in reference.partners()}
YEARS = (2010, 2011)

KAZ = (398, "KAZ", "Kazakhstan")
KGZ = (417, "KGZ", "Kyrgyzstan")
UZB = (860, "UZB", "Uzbekistan")
WLD = (0, "W00", "World")
CHN = (156, "CHN", "China")
RUS = (643, "RUS", "Russian Federation")
DEU = (276, "DEU", "Germany")
USA = (842, "USA", "USA")


def fixture_records(name: str) -> list[dict]:
    return json.loads((FIXTURES / name).read_bytes())["data"]


def template(flow: str) -> dict:
    return next(r for r in fixture_records(CHN_ARG_DEU) if r["flowCode"] == flow)


def relabel(flow, reporter, partner, year, value) -> dict:
    """A real record with other reporter, partner, year and value: same fields, same types."""
    record = copy.deepcopy(template(flow))
    record.update(
        reporterCode=reporter[0],
        reporterISO=reporter[1],
        reporterDesc=reporter[2],
        partnerCode=partner[0],
        partnerISO=partner[1],
        partnerDesc=partner[2],
        refYear=year,
        period=str(year),
        refPeriodId=year * 10_000 + 101,
        primaryValue=float(value),
        cifvalue=float(value) if flow == "M" else None,
    )
    return record


def dataset() -> list[dict]:
    records = fixture_records(CHN_ARG_DEU) + fixture_records(USA_JPN)
    value = 1_000_000
    for reporter in (KAZ, KGZ):  # the republics' own reports (reporter side)
        for partner in (WLD, CHN, RUS, DEU):
            for year in (2009, *YEARS):
                for flow in ("M", "X"):
                    value += 1_234_567
                    records.append(relabel(flow, reporter, partner, year, value))
    for reporter in (CHN, USA, DEU):  # other economies' reports on the republics (mirror)
        for partner in (KAZ, UZB):
            for year in YEARS:
                for flow in ("M", "X"):
                    value += 7_654_321
                    records.append(relabel(flow, reporter, partner, year, value))
    return records


def expected(records: list[dict], dataset_name: str) -> list[dict]:
    """What the plan asks for, worked out here without the engine."""

    def wanted(r):
        if r["flowCode"] not in ("M", "X") or r["refYear"] not in YEARS:
            return False
        if dataset_name == "reporter":
            return r["reporterCode"] in REPUBLICS and r["partnerCode"] in PARTNERS
        return r["partnerCode"] in REPUBLICS

    return sorted(filter(wanted, records), key=record_key)


def record_key(r: dict) -> tuple:
    return (r["reporterCode"], r["partnerCode"], r["flowCode"], r["refYear"])


class Sleeps(list):
    def __call__(self, seconds: float) -> None:
        self.append(seconds)


@pytest.fixture
def records():
    return dataset()


@pytest.fixture
def server(records):
    with StandinServer(routes={"/comtrade": ComtradeEngine(records, api_key=KEY)}) as server:
        yield server


def settings_for(server, tmp_path, key=None, years="2010-2011"):
    return load_settings(
        {
            "EURASIA_YEARS": years,
            "EURASIA_WAREHOUSE": str(tmp_path / "w.duckdb"),
            "COMTRADE_BASE_URL": server.url + "/comtrade",
            "COMTRADE_API_KEY": key or "",
            "EURASIA_REQUEST_INTERVAL": "0",
        }
    )


def new_run(settings, dataset_name):
    return RawZoneRun(settings.raw_zone, "comtrade", dataset_name, new_run_id(), "live")


def landed_records(settings, run) -> list[dict]:
    rows = []
    for landing in run.landings:
        body = gzip.decompress((settings.raw_zone / landing.body_file).read_bytes())
        assert len(body) == landing.body_bytes
        payload = json.loads(body)
        assert payload["error"] == ""
        assert payload["count"] == len(payload["data"]) == landing.record_count
        rows.extend(payload["data"])
    return sorted(rows, key=record_key)


def raw_zone_bytes(settings) -> bytes:
    """Everything written to the raw zone, gz files decompressed."""
    chunks = []
    for path in sorted(settings.raw_zone.rglob("*")):
        if path.is_file():
            data = path.read_bytes()
            chunks.append(gzip.decompress(data) if path.suffix == ".gz" else data)
    return b"\n".join(chunks)


def test_reporter_side_preview_lands_the_served_records(server, records, tmp_path, caplog):
    caplog.set_level(logging.INFO, logger="eurasia")
    settings = settings_for(server, tmp_path)
    run = new_run(settings, "reporter")

    summary = extract(settings, "reporter", run, sleep=Sleeps())

    want = expected(records, "reporter")
    assert len(want) == 2 * 3 * 2 * 2  # KAZ and KGZ x World/China/Russia x M/X x 2 years
    assert landed_records(settings, run) == want
    assert summary == {
        "dataset": "reporter",
        "endpoint": "preview",
        "calls_planned": 1,
        "calls_made": 1,
        "requests_split": 0,
        "rows_landed": len(want),
        "landings": 1,
        "answers_reused": 0,
        "seconds_waited_for_rate_limits": 0.0,
    }
    manifest = json.loads((run.folder / MANIFEST).read_text())
    assert manifest["years"] == list(YEARS)
    assert manifest["summary"] == summary

    sidecar = json.loads((run.folder / "00001.request.json").read_text())
    assert sidecar["url"].startswith(server.url + "/comtrade/public/v1/preview/C/A/HS?")
    assert sidecar["params"]["reporterCode"] == ",".join(str(c) for c in sorted(REPUBLICS))
    assert sidecar["params"]["partnerCode"] == "0,156,643"
    assert sidecar["params"]["period"] == "2010,2011"
    assert sidecar["years"] == [2010, 2011]
    assert sidecar["http_status"] == 200
    assert sidecar["content_type"].startswith("application/json")
    assert f"call 1/1 planned, {len(want)} rows landed" in caplog.text

    # The keyless endpoint is never sent a key header.
    assert [s.path for s in server.seen] == ["/comtrade/public/v1/preview/C/A/HS"]
    assert all(KEY_HEADER.lower() not in map(str.lower, s.headers) for s in server.seen)


def test_mirror_side_keyed_sends_the_key_only_as_a_header(server, records, tmp_path, caplog):
    caplog.set_level(logging.DEBUG)
    settings = settings_for(server, tmp_path, key=KEY)
    run = new_run(settings, "mirror")

    summary = extract(settings, "mirror", run, sleep=Sleeps())

    want = expected(records, "mirror")
    # CHN, USA, DEU on KAZ and UZB, and KAZ, KGZ on Russia (a republic too), x M/X x 2 years
    assert len(want) == (3 * 2 + 2 * 1) * 2 * 2
    assert landed_records(settings, run) == want
    assert (summary["endpoint"], summary["calls_planned"], summary["landings"]) == ("keyed", 1, 1)

    [seen] = server.seen
    assert seen.path == "/comtrade/data/v1/get/C/A/HS"
    assert "reporterCode" not in seen.query  # all reporters
    assert {k.lower(): v for k, v in seen.headers.items()}[KEY_HEADER.lower()] == KEY
    assert not any(KEY in value for values in seen.query.values() for value in values)
    assert KEY.encode() not in raw_zone_bytes(settings)
    assert KEY not in caplog.text
    assert KEY not in repr(settings)


def test_mirror_side_preview_gets_the_same_rows_in_many_more_calls(server, records, tmp_path):
    settings = settings_for(server, tmp_path)
    run = new_run(settings, "mirror")

    summary = extract(settings, "mirror", run, sleep=Sleeps())

    # One partner and one year a call (both flows): 15 republics x 2 years.
    assert summary["calls_planned"] == summary["calls_made"] == 15 * 2
    assert summary["landings"] == 30
    assert landed_records(settings, run) == expected(records, "mirror")
    assert all("reporterCode" not in s.query for s in server.seen)


def test_rate_limit_waits_the_retry_after_then_lands_once(server, records, tmp_path, caplog):
    server.fail_next(
        Fault(429, b"Rate limit is exceeded. Try again in 1 seconds.", {"Retry-After": "1"})
    )
    settings = settings_for(server, tmp_path, key=KEY)
    run = new_run(settings, "reporter")
    sleeps = Sleeps()

    summary = extract(settings, "reporter", run, sleep=sleeps)

    assert sleeps == [1.0]
    assert summary["seconds_waited_for_rate_limits"] == 1.0
    assert summary["calls_made"] == 2
    assert summary["landings"] == 1
    assert landed_records(settings, run) == expected(records, "reporter")
    assert [s.status for s in server.seen] == [429, 200]
    assert KEY not in caplog.text


@pytest.mark.parametrize(
    "fault",
    [Fault(503, b"Service Unavailable"), Fault(0, drop_connection=True)],
    ids=["503", "dropped-connection"],
)
def test_transient_failure_is_retried_then_lands_once(server, records, tmp_path, fault):
    server.fail_next(fault)
    settings = settings_for(server, tmp_path)
    run = new_run(settings, "reporter")
    sleeps = Sleeps()

    summary = extract(settings, "reporter", run, sleep=sleeps)

    assert len(sleeps) == 1  # one backoff, stubbed
    assert summary["calls_made"] == 2
    assert summary["seconds_waited_for_rate_limits"] == 0.0
    assert summary["landings"] == 1
    assert landed_records(settings, run) == expected(records, "reporter")
    assert (run.folder / MANIFEST).exists()


def test_wrong_key_stops_with_advice_and_completes_nothing(server, tmp_path, caplog):
    wrong = "wrong-key-77c1e0"
    settings = settings_for(server, tmp_path, key=wrong)
    run = new_run(settings, "mirror")

    with pytest.raises(ApiError) as raised:
        extract(settings, "mirror", run, sleep=Sleeps())

    message = str(raised.value)
    assert "HTTP 401" in message
    assert "COMTRADE_API_KEY" in message
    assert "500 records" in message  # the keyless alternative and its cap
    assert wrong not in message and wrong not in caplog.text
    assert not (run.folder / MANIFEST).exists()
    assert run.landings == []
    assert len(server.seen) == 1  # 401 is not retried


QUOTA_403 = Fault(
    403,
    b'{ "statusCode": 403, "message": "Out of call volume quota. '
    b'Quota will be replenished in 05:23:11." }',
    {"Content-Type": "application/json"},
)


def test_quota_exhausted_403_says_when_it_replenishes_and_that_a_rerun_resumes(server, tmp_path):
    server.fail_next(QUOTA_403)
    settings = settings_for(server, tmp_path, key=KEY)
    run = new_run(settings, "reporter")

    with pytest.raises(ApiError, match="HTTP 403") as raised:
        extract(settings, "reporter", run, sleep=Sleeps())

    message = str(raised.value)
    assert "Out of call volume quota" in message
    assert "replenishes it in 05:23:11, at about" in message and "UTC" in message
    assert "resumes" in message
    assert "resets daily" not in message
    assert KEY not in message
    assert not (run.folder / MANIFEST).exists()
    assert len(server.seen) == 1  # a quota is not retried


def test_keyless_calls_refused_by_policy_say_a_free_key_fixes_it(server, tmp_path):
    server.fail_next(
        Fault(
            403,
            b'{"statusCode": 403, "message": "All calls are rejected by policy."}',
            {"Content-Type": "application/json"},
        )
    )
    settings = settings_for(server, tmp_path)
    run = new_run(settings, "reporter")

    with pytest.raises(ApiError, match="HTTP 403") as raised:
        extract(settings, "reporter", run, sleep=Sleeps())

    message = str(raised.value)
    assert "keyless preview endpoint is refusing all calls" in message
    assert "free" in message and "COMTRADE_API_KEY" in message
    assert "reset" not in message.replace("not a limit that resets", "")
    assert len(server.seen) == 1


def test_refusal_advice_reads_the_body():
    moment = dt.datetime(2026, 12, 2, 6, 0, tzinfo=dt.UTC)
    keyed = refusal_advice(KEYED_ENDPOINT, now=lambda: moment)
    preview = refusal_advice(PREVIEW_ENDPOINT, now=lambda: moment)
    policy = '{"message":"All calls are rejected by policy."}'
    assert "even keyed ones" in keyed(403, policy)
    assert "free UN Comtrade key fixes it" in preview(403, policy)
    quota = "Out of call volume quota. Quota will be replenished in 05:23:11."
    assert "at about 2026-12-02 11:23 UTC" in keyed(403, quota)
    assert keyed(401, "Access denied due to invalid subscription key.") == KEYED_ENDPOINT.auth_hint


class QuotaAfter:
    """Wraps an engine: answers `allowed` calls, then 403s with a quota message until reset."""

    def __init__(self, engine, allowed: int) -> None:
        self.engine = engine
        self.allowed = allowed

    def answer(self, path, query, headers):
        if self.allowed <= 0:
            return QUOTA_403.status, QUOTA_403.headers, QUOTA_403.body
        self.allowed -= 1
        return self.engine.answer(path, query, headers)


def test_a_rerun_after_a_quota_stop_fetches_only_what_is_missing(records, tmp_path):
    engine = QuotaAfter(ComtradeEngine(records, api_key=KEY), allowed=7)
    with StandinServer(routes={"/comtrade": engine}) as server:
        settings = settings_for(server, tmp_path)
        planned = len(plan_requests("mirror", list(YEARS), plan.PREVIEW_CAP))
        assert planned > 10
        first = new_run(settings, "mirror")
        with pytest.raises(ApiError, match="replenishes") as raised:
            extract(settings, "mirror", first, sleep=Sleeps())
        assert len(server.seen) == 8 and len(first.landings) == 7
        assert f"7 answers landed so far (of about {planned} planned)" in str(raised.value)
        assert not (first.folder / MANIFEST).exists()

        engine.allowed = 10_000  # the quota is replenished
        second = new_run(settings, "mirror")
        summary = extract(settings, "mirror", second, sleep=Sleeps())

        # Only the calls not answered before went out; the interrupted run is completed in place.
        assert len(server.seen) == 8 + planned - 7
        assert summary["calls_made"] == planned - 7 and summary["answers_reused"] == 7
        assert second.folder == first.folder and (second.folder / MANIFEST).exists()
        assert [r.landing_id[-5:] for r in second.landings] == [
            f"{i:05d}" for i in range(1, planned + 1)
        ]
        assert landed_records(settings, second) == expected(records, "mirror")
        manifest = json.loads((second.folder / MANIFEST).read_text())
        assert len(manifest["landings"]) == planned

        # A complete pull of the same plan is reused whole, without a call...
        third = new_run(settings, "mirror")
        assert extract(settings, "mirror", third, sleep=Sleeps())["calls_made"] == 0
        assert third.folder == first.folder and len(server.seen) == 8 + planned - 7
        # ...unless fresh data are asked for.
        fresh = dataclasses.replace(settings, reuse_hours=0.0)
        fourth = new_run(fresh, "mirror")
        extract(fresh, "mirror", fourth, sleep=Sleeps())
        assert fourth.folder != first.folder and len(server.seen) == 8 + 2 * planned - 7


def test_a_pull_of_other_years_or_an_old_pull_is_not_reused(server, records, tmp_path):
    settings = settings_for(server, tmp_path)
    extract(settings, "reporter", new_run(settings, "reporter"), sleep=Sleeps())
    other_years = settings_for(server, tmp_path, years="2010")
    run = new_run(other_years, "reporter")
    assert extract(other_years, "reporter", run, sleep=Sleeps())["calls_made"] == 1
    # Started more than reuse_hours ago: a scheduled run a month later fetches afresh.
    plan_file = run.folder / "_PLAN.json"
    declared = json.loads(plan_file.read_text())
    declared["started_at"] = "2000-01-01T00:00:00.000000+00:00"
    plan_file.write_text(json.dumps(declared))
    later = new_run(other_years, "reporter")
    assert extract(other_years, "reporter", later, sleep=Sleeps())["calls_made"] == 1
    assert later.folder != run.folder and len(server.seen) == 3


def many_reporters(partners, count: int, year: int = 2010) -> list[dict]:
    """`count` synthetic reporters, each reporting M and X with each partner."""
    records = []
    for i in range(count):
        reporter = (2000 + i, f"S{i:03d}", f"Synthetic reporter {i}")
        for partner in partners:
            for flow in ("M", "X"):
                records.append(relabel(flow, reporter, partner, year, 1_000 + i))
    return records


def test_an_answer_cut_at_the_cap_is_split_and_asked_again(tmp_path, monkeypatch):
    # Suppose the plan assumed at most 100 reporters, but 200 report on three republics: the
    # plan then puts five partners in a preview request (100 x 5 = 500), whose answer (600
    # records) is cut at 500. The client must not land it, and must ask again in parts.
    monkeypatch.setattr(plan, "REPORTERS_UPPER_BOUND", 100)
    records = many_reporters([KAZ, KGZ, (428, "LVA", "Latvia")], 200)
    assert len(records) == 1_200

    with StandinServer(routes={"/comtrade": ComtradeEngine(records)}) as server:
        settings = settings_for(server, tmp_path, years="2010")
        run = new_run(settings, "mirror")
        summary = extract(settings, "mirror", run, sleep=Sleeps())

    landed = landed_records(settings, run)
    assert landed == sorted(records, key=record_key)  # all of them, none twice
    assert len({record_key(r) for r in landed}) == 1_200
    assert all(landing.record_count < plan.PREVIEW_CAP for landing in run.landings)
    assert summary["calls_planned"] == 6  # 3 partner chunks of 5 x 2 flows
    assert summary["requests_split"] == 4  # (398..498) -> (398,417,428) -> (398,417), per flow
    assert summary["calls_made"] == 6 + 2 * 4
    assert summary["rows_landed"] == 1_200


def test_a_cut_answer_that_cannot_be_split_stops_the_run(tmp_path):
    records = many_reporters([KAZ], 600)  # 600 reporters: more than any preview answer holds

    with StandinServer(routes={"/comtrade": ComtradeEngine(records)}) as server:
        settings = settings_for(server, tmp_path, years="2010")
        run = new_run(settings, "mirror")
        with pytest.raises(ApiError, match="cannot be split further.*COMTRADE_API_KEY"):
            extract(settings, "mirror", run, sleep=Sleeps())

    assert not (run.folder / MANIFEST).exists()


def test_error_field_in_a_200_answer_is_an_api_error(server, tmp_path):
    server.fail_next(
        Fault(200, b'{"elapsedTime":"0.01 secs","count":0,"data":[],"error":"Invalid period"}')
    )
    settings = settings_for(server, tmp_path)
    run = new_run(settings, "reporter")

    with pytest.raises(ApiError, match="Invalid period"):
        extract(settings, "reporter", run, sleep=Sleeps())
    assert run.landings == []


MAINTENANCE = Fault(
    200, b"<html><body>Down for maintenance</body></html>", {"Content-Type": "text/html"}
)


@pytest.mark.parametrize(
    "glitch",
    [MAINTENANCE, Fault(0, cut_after=300)],
    ids=["html-maintenance-page-200", "body-cut-by-closed-connection"],
)
def test_a_200_that_is_not_whole_json_is_retried_then_lands_once(server, records, tmp_path, glitch):
    server.fail_next(glitch)
    settings = settings_for(server, tmp_path)
    run = new_run(settings, "reporter")
    sleeps = Sleeps()

    summary = extract(settings, "reporter", run, sleep=sleeps)

    assert len(server.seen) == 2 and len(sleeps) == 1  # retried after one backoff
    assert summary["calls_made"] == 2 and summary["landings"] == 1
    assert landed_records(settings, run) == expected(records, "reporter")


def test_a_maintenance_page_that_persists_stops_naming_it(server, tmp_path):
    server.fail_next(*[MAINTENANCE] * 6)
    settings = settings_for(server, tmp_path)
    run = new_run(settings, "reporter")

    with pytest.raises(ApiUnavailableError) as raised:
        extract(settings, "reporter", run, sleep=Sleeps())

    message = str(raised.value)
    assert "after 6 attempts" in message and "HTML page instead of JSON" in message
    assert "Down for maintenance" in message
    assert not (run.folder / MANIFEST).exists()


def test_unknown_dataset_or_mismatched_run_is_refused(server, tmp_path):
    settings = settings_for(server, tmp_path)

    with pytest.raises(ValueError, match="unknown Comtrade dataset"):
        extract(settings, "bilateral", new_run(settings, "bilateral"))
    with pytest.raises(ValueError, match="not comtrade/mirror"):
        extract(settings, "mirror", new_run(settings, "reporter"))
    assert server.seen == []


def test_unparseable_retry_after_falls_back_to_the_wait_in_the_body(server, tmp_path):
    # APIM says how long to wait in the body too; a garbled header must not crash the client.
    server.fail_next(
        Fault(429, b"Rate limit is exceeded. Try again in 1 seconds.", {"Retry-After": "soon"})
    )
    settings = settings_for(server, tmp_path)
    sleeps = Sleeps()

    summary = extract(settings, "reporter", new_run(settings, "reporter"), sleep=sleeps)

    assert sleeps == [1.0]
    assert summary["landings"] == 1


def test_offline_snapshot_url_goes_through_the_same_client(records, tmp_path):
    # Offline runs use base URL snapshot://comtrade and a session that answers in-process.
    settings = load_settings(
        {
            "EURASIA_WAREHOUSE": str(tmp_path / "w.duckdb"),
            "EURASIA_YEARS": "2010-2011",
            "COMTRADE_API_KEY": KEY,
        }
    )
    settings = dataclasses.replace(settings, comtrade_base_url="snapshot://comtrade")
    run = new_run(settings, "reporter")
    session = snapshot_session({"comtrade": ComtradeEngine(records, api_key=KEY)})

    summary = extract(settings, "reporter", run, session=session, sleep=Sleeps())

    assert summary["endpoint"] == "keyed"
    assert run.landings[0].url.startswith("snapshot://comtrade/data/v1/get/C/A/HS?cmdCode=TOTAL")
    assert landed_records(settings, run) == expected(records, "reporter")


def test_snapshot_url_without_its_session_is_refused_with_advice(tmp_path):
    settings = load_settings({"EURASIA_WAREHOUSE": str(tmp_path / "w.duckdb")})
    settings = dataclasses.replace(settings, comtrade_base_url="snapshot://comtrade")

    with pytest.raises(ValueError, match="snapshot_session"):
        extract(settings, "reporter", new_run(settings, "reporter"))
