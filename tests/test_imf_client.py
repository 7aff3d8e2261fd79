import csv
import dataclasses
import gzip
import hashlib
import io
import json
import logging
from pathlib import Path

import pytest
from imf_standin import RecordingEngine, imf_settings, landed_body

from eurasia.demo.adapter import snapshot_session
from eurasia.demo.imf_api import ImfDipEngine
from eurasia.demo.standin import Fault, StandinServer
from eurasia.http import ApiError
from eurasia.imf import client
from eurasia.imf.sdmx_csv import CSV_10_MEDIA_TYPE
from eurasia.rawzone import MANIFEST, RawZoneRun, new_run_id

FIXTURES = Path(__file__).parent / "fixtures" / "imf"
CSV10 = (FIXTURES / "imf_dip_synthetic_sdmx_csv10.csv").read_text(encoding="utf-8")
CHUNK_1 = "ARM+AZE+BLR+EST+GEO"
KEY_TAIL = ".O+SCC.INWD_D_NETLA_FALL_ALL.CHN+RUS+G001.A"
# Observations of the fixture inside the request (2009-2012, inward, CHN/RUS/G001), per chunk:
# ARM 4 + GEO 1 | KAZ 3 + KGZ 1 | TKM 2 + UZB 1.
EXPECTED_ROWS = [5, 4, 3]


@pytest.fixture
def engine():
    return RecordingEngine(ImfDipEngine(CSV10))


@pytest.fixture
def server(engine):
    with StandinServer(routes={"/imf": engine}) as server:
        yield server


def settings_for(tmp_path, base_url, **env):
    return imf_settings(tmp_path, base_url, "2009-2012", **env)


def new_run(settings):
    return RawZoneRun(settings.raw_zone, "imf_dip", "dip", new_run_id(), "live")


def run_extract(settings, session=None):
    sleeps: list[float] = []
    run = new_run(settings)
    summary = client.extract(settings, run, session=session, sleep=sleeps.append)
    return run, summary, sleeps


def test_extract_lands_every_answer_as_served(tmp_path, server, engine):
    settings = settings_for(tmp_path, server.url + "/imf")
    run, summary, sleeps = run_extract(settings)

    assert summary == {
        "dataset": "dip",
        "calls_planned": 3,
        "calls_made": 3,
        "rows_landed": sum(EXPECTED_ROWS),
        "landings": 3,
        "answers_reused": 0,
        # The fixture has nothing for these (see EXPECTED_ROWS).
        "republics_without_results": [
            "AZE",
            "BLR",
            "EST",
            "LTU",
            "LVA",
            "MDA",
            "RUS",
            "TJK",
            "UKR",
        ],
        "seconds_waited_for_rate_limits": 0.0,
    }
    assert sleeps == []
    assert [r.record_count for r in run.landings] == EXPECTED_ROWS
    for record, served in zip(run.landings, engine.bodies, strict=True):
        assert landed_body(settings, record) == served
        assert record.body_sha256 == hashlib.sha256(served).hexdigest()
        assert record.body_file.endswith(".csv.gz")
        assert record.http_status == 200 and record.years == [2009, 2010, 2011, 2012]
    manifest = json.loads((run.folder / MANIFEST).read_text())
    assert manifest["years"] == [2009, 2010, 2011, 2012]
    assert manifest["summary"] == summary


def test_requests_are_the_planned_sdmx_queries(tmp_path, server):
    run, _, _ = run_extract(settings_for(tmp_path, server.url + "/imf"))
    first = server.seen[0]
    assert first.path == f"/imf/data/IMF.STA,DIP/{CHUNK_1}{KEY_TAIL}"
    assert first.query == {"startPeriod": ["2009"], "endPeriod": ["2012"]}
    assert first.headers["Accept"] == CSV_10_MEDIA_TYPE
    assert "Ocp-Apim-Subscription-Key" not in first.headers  # unkeyed unless IMF_API_KEY is set
    assert run.landings[0].url == f"{server.url}/imf/data/IMF.STA,DIP/{CHUNK_1}{KEY_TAIL}" + (
        "?startPeriod=2009&endPeriod=2012"
    )
    assert run.landings[0].params == {"startPeriod": 2009, "endPeriod": 2012}


def test_landed_rows_keep_both_dv_types_confidential_cells_and_negatives(tmp_path, server):
    settings = settings_for(tmp_path, server.url + "/imf")
    run, _, _ = run_extract(settings)
    rows = [
        row
        for record in run.landings
        for row in csv.DictReader(io.StringIO(landed_body(settings, record).decode(), newline=""))
    ]
    by_key = {
        (r["COUNTRY"], r["DV_TYPE"], r["COUNTERPART_COUNTRY"], r["TIME_PERIOD"]): r for r in rows
    }
    assert {r["DV_TYPE"] for r in rows} == {"O", "SCC"}
    assert by_key["KAZ", "SCC", "CHN", "2011"]["OBS_VALUE"] == "4300000000"
    assert by_key["TKM", "SCC", "CHN", "2012"]["OBS_VALUE"] == "780000000"
    assert by_key["GEO", "O", "CHN", "2012"]["OBS_VALUE"] == "-3500000"
    confidential = by_key["ARM", "O", "RUS", "2011"]
    assert (confidential["OBS_VALUE"], confidential["STATUS"]) == ("", "C")
    assert "\n" in by_key["KAZ", "O", "CHN", "2011"]["COMMENTS"]


def test_progress_is_logged(tmp_path, server, caplog):
    with caplog.at_level(logging.INFO, logger="eurasia.imf"):
        run_extract(settings_for(tmp_path, server.url + "/imf"))
    assert "IMF DIP call 1/3" in caplog.text
    total = sum(EXPECTED_ROWS)
    assert f"IMF DIP call 3/3: 3 rows ({total} landed in all), 0 s waited" in caplog.text


def test_429_waits_as_told_then_succeeds(tmp_path, server, engine):
    server.fail_next(
        Fault(429, b"Rate limit is exceeded. Try again in 7 seconds.", {"Retry-After": "7"})
    )
    run, summary, sleeps = run_extract(settings_for(tmp_path, server.url + "/imf"))
    assert sleeps == [7.0]
    assert summary["seconds_waited_for_rate_limits"] == 7.0
    assert summary["calls_made"] == 4 and summary["landings"] == 3
    assert [r.record_count for r in run.landings] == EXPECTED_ROWS
    assert (run.folder / MANIFEST).exists()


def test_503_is_retried(tmp_path, server):
    server.fail_next(Fault(503, b"Service Unavailable"))
    run, summary, sleeps = run_extract(settings_for(tmp_path, server.url + "/imf"))
    assert sleeps == [2.0]
    assert summary["calls_made"] == 4 and summary["rows_landed"] == sum(EXPECTED_ROWS)


def test_refused_key_stops_without_a_manifest(tmp_path):
    with StandinServer(routes={"/imf": ImfDipEngine(CSV10, api_key="right-key")}) as server:
        settings = settings_for(tmp_path, server.url + "/imf", IMF_API_KEY="wrong-key-0123")
        run = new_run(settings)
        with pytest.raises(ApiError, match="HTTP 401") as raised:
            client.extract(settings, run, sleep=lambda s: None)
    assert "IMF_API_KEY" in str(raised.value)
    assert "wrong-key-0123" not in str(raised.value)
    assert not (run.folder / MANIFEST).exists()
    assert run.landings == []


def only_countries(csv_text: str, countries: set[str]) -> str:
    reader = csv.DictReader(io.StringIO(csv_text, newline=""))
    out = io.StringIO(newline="")
    writer = csv.DictWriter(out, reader.fieldnames, lineterminator="\n")
    writer.writeheader()
    writer.writerows(row for row in reader if row["COUNTRY"] in countries)
    return out.getvalue()


def test_no_results_found_is_landed_as_an_empty_answer(tmp_path):
    chunk_1_only = only_countries(CSV10, {"ARM", "GEO"})
    recorder = RecordingEngine(ImfDipEngine(chunk_1_only))
    with StandinServer(routes={"/imf": recorder}) as server:
        settings = settings_for(tmp_path, server.url + "/imf")
        run, summary, _ = run_extract(settings)
    assert [r.http_status for r in run.landings] == [200, 404, 404]
    assert [r.record_count for r in run.landings] == [5, 0, 0]
    assert run.landings[1].body_file.endswith(".xml.gz")  # never mistaken for a CSV
    assert landed_body(settings, run.landings[1]) == recorder.bodies[1]
    assert b"NoResultsFound" in recorder.bodies[1]
    assert summary["rows_landed"] == 5 and summary["landings"] == 3
    assert (run.folder / MANIFEST).exists()


def test_other_404_is_an_error(tmp_path, server):
    settings = settings_for(tmp_path, server.url + "/not-imf")
    run = new_run(settings)
    with pytest.raises(ApiError, match="IMF_SDMX_BASE_URL"):
        client.extract(settings, run, sleep=lambda s: None)
    assert not (run.folder / MANIFEST).exists()


MAINTENANCE = Fault(200, b"<html><body>Maintenance</body></html>", {"Content-Type": "text/html"})


def cut_mid_row(engine) -> Fault:
    """The first chunk's answer cut off in the middle of its second data row."""
    status, _, body = engine.answer(f"/data/IMF.STA,DIP/{CHUNK_1}{KEY_TAIL}", QUERY, {})
    assert status == 200
    second_row = body.index(b"\n", body.index(b"\n") + 1) + 1
    return Fault(0, cut_after=second_row + 40)


QUERY = {"startPeriod": ["2009"], "endPeriod": ["2012"]}


@pytest.mark.parametrize("glitch", ["maintenance-page-200", "body-cut-mid-row"])
def test_a_200_that_is_not_whole_sdmx_csv_is_retried_then_lands(tmp_path, server, glitch):
    engine = ImfDipEngine(CSV10)
    server.fail_next(MAINTENANCE if glitch == "maintenance-page-200" else cut_mid_row(engine))
    settings = settings_for(tmp_path, server.url + "/imf")
    run, summary, sleeps = run_extract(settings)
    assert len(sleeps) == 1 and summary["calls_made"] == 4
    assert [r.record_count for r in run.landings] == EXPECTED_ROWS
    first_answer = engine.answer(f"/data/IMF.STA,DIP/{CHUNK_1}{KEY_TAIL}", QUERY, {})[2]
    assert landed_body(settings, run.landings[0]) == first_answer


def test_a_200_that_is_never_sdmx_csv_stops_naming_what_came(tmp_path, server):
    server.fail_next(*[MAINTENANCE] * 6)
    settings = settings_for(tmp_path, server.url + "/imf")
    run = new_run(settings)
    with pytest.raises(ApiError, match="instead of SDMX-CSV") as raised:
        client.extract(settings, run, sleep=lambda s: None)
    assert "after 6 attempts" in str(raised.value)
    assert "text/html" in str(raised.value) and "Maintenance" in str(raised.value)
    assert not (run.folder / MANIFEST).exists()


def test_a_chunk_without_results_names_the_republics_it_lacks(tmp_path, caplog):
    only_first_chunk = only_countries(CSV10, {"ARM", "GEO"})
    with StandinServer(routes={"/imf": ImfDipEngine(only_first_chunk)}) as server:
        settings = settings_for(tmp_path, server.url + "/imf")
        with caplog.at_level(logging.WARNING, logger="eurasia.imf"):
            _, summary, _ = run_extract(settings)
    assert "call 2/3: no observations for KAZ, KGZ, LTU, LVA, MDA in 2009-2012" in caplog.text
    assert "call 3/3: no observations for RUS, TJK, TKM, UKR, UZB in 2009-2012" in caplog.text
    assert "call 1/3: no observations for AZE, BLR, EST in 2009-2012" in caplog.text
    assert len(summary["republics_without_results"]) == 13


def test_a_rerun_after_a_stop_asks_only_for_the_chunks_not_landed(tmp_path, server):
    settings = settings_for(tmp_path, server.url + "/imf")
    first = new_run(settings)
    # Call 1 is answered; call 2 keeps failing until the retries are spent.
    second_chunk = "/imf/data/IMF.STA,DIP/KAZ"
    server.fail_next(*[Fault(503, b"busy", path_prefix=second_chunk)] * 6)
    with pytest.raises(ApiError, match="still failing after 6 attempts") as raised:
        client.extract(settings, first, sleep=lambda s: None)
    assert "1 answers landed so far (of about 3 planned)" in str(raised.value)
    assert len(server.seen) == 7 and not (first.folder / MANIFEST).exists()

    second = new_run(settings)
    summary = client.extract(settings, second, sleep=lambda s: None)
    assert len(server.seen) == 7 + 2  # chunk 1 is not asked again
    assert summary["calls_made"] == 2 and summary["answers_reused"] == 1
    assert second.folder == first.folder and (second.folder / MANIFEST).exists()
    assert [r.record_count for r in second.landings] == EXPECTED_ROWS


def test_keyed_mode_sends_the_key_only_as_a_header(tmp_path, caplog):
    secret = "imf-S3cret-key-4f9a"
    with StandinServer(routes={"/imf": ImfDipEngine(CSV10, api_key=secret)}) as server:
        settings = settings_for(tmp_path, server.url + "/imf", IMF_API_KEY=secret)
        server.fail_next(Fault(503, b"busy"))  # a retry is logged too
        with caplog.at_level(logging.DEBUG):
            run, summary, _ = run_extract(settings)
        seen = server.seen
    assert summary["landings"] == 3
    assert all(r.headers.get("Ocp-Apim-Subscription-Key") == secret for r in seen)
    assert all(secret not in str(r.query) for r in seen)
    assert secret not in caplog.text
    assert secret not in repr(settings)
    for path in settings.raw_zone.rglob("*"):
        if path.is_file():
            data = path.read_bytes()
            assert secret.encode() not in data
            if path.suffix == ".gz":
                assert secret.encode() not in gzip.decompress(data)


def test_default_interval_is_one_second(tmp_path, server):
    settings = settings_for(tmp_path, server.url + "/imf", EURASIA_REQUEST_INTERVAL="")
    assert settings.request_interval_seconds is None
    _, _, sleeps = run_extract(settings)
    assert len(sleeps) == 2 and all(0 < s <= 1.0 for s in sleeps)


def test_offline_snapshot_scheme_uses_the_same_client(tmp_path):
    settings = dataclasses.replace(
        settings_for(tmp_path, "http://unused.invalid"), imf_base_url="snapshot://imf"
    )
    session = snapshot_session({"imf": ImfDipEngine(CSV10)})
    run, summary, _ = run_extract(settings, session=session)
    assert summary["rows_landed"] == sum(EXPECTED_ROWS)
    assert run.landings[0].url.startswith("snapshot://imf/data/IMF.STA,DIP/ARM+")


def test_years_before_the_survey_complete_an_empty_run(tmp_path):
    settings = settings_for(tmp_path, "http://127.0.0.1:9/imf", EURASIA_YEARS="2000-2005")
    run, summary, _ = run_extract(settings)
    assert summary["calls_planned"] == summary["calls_made"] == summary["landings"] == 0
    assert "2009" in summary["note"]
    assert json.loads((run.folder / MANIFEST).read_text())["years"] == []
