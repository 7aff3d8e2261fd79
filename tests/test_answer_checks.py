"""Answers that contradict what the source says exists stop the run; the warehouse keeps its data.

The clients run in-process against the bundled demo engines (snapshot:// URLs), wrapped so that
chosen calls answer empty: a Comtrade 200 with `count: 0, data: []` for the reporter side, an IMF
404 "No Results Found" for one chunk of republics.
"""

from __future__ import annotations

import dataclasses
import json
import logging

import duckdb
import pytest

from eurasia.answer_checks import ContradictedAnswerError
from eurasia.comtrade import availability
from eurasia.comtrade import client as comtrade_client
from eurasia.demo.adapter import snapshot_session
from eurasia.demo.snapshot_engines import snapshot_routes
from eurasia.imf import client as imf_client
from eurasia.loader import load_run
from eurasia.rawzone import MANIFEST, RawZoneRun, new_run_id
from eurasia.settings import SettingsError, load_settings

EMPTY_COMTRADE = json.dumps({"elapsedTime": "0 secs", "count": 0, "data": [], "error": ""})
NO_RESULTS_XML = (
    b'<?xml version="1.0" encoding="utf-8"?><message:Error><message:ErrorMessage code="100">'
    b"<common:Text>No Results Found</common:Text></message:ErrorMessage></message:Error>"
)
KAZ_CHUNK = "KAZ+KGZ+LTU+LVA+MDA"


class EmptyAnswers:
    """Answers `times` calls whose path or reporterCode matches with an empty answer."""

    def __init__(self, engine, *, match, empty, times: int) -> None:
        self.engine, self.match, self.empty, self.left = engine, match, empty, times
        self.calls = 0

    def answer(self, path, query, headers):
        if self.match(path, query) and self.left > 0:
            self.left -= 1
            self.calls += 1
            return self.empty
        return self.engine.answer(path, query, headers)


def settings_for(tmp_path, **env):
    settings = load_settings(
        {"EURASIA_YEARS": "2018-2019", "EURASIA_WAREHOUSE": str(tmp_path / "w.duckdb"), **env}
    )
    return dataclasses.replace(
        settings,
        comtrade_base_url="snapshot://comtrade",
        imf_base_url="snapshot://imf",
        request_interval_seconds=0.0,
    )


def warehouse_rows(settings) -> dict[str, int]:
    with duckdb.connect(str(settings.warehouse_path), read_only=True) as con:
        return {
            table: con.execute(f"SELECT count(*) FROM raw.{table}").fetchone()[0]
            for table in ("landings", "comtrade_records", "imf_dip_observations")
        }


def load(settings, run) -> None:
    with duckdb.connect(str(settings.warehouse_path)) as con:
        load_run(con, settings.raw_zone, run.folder)


# --- UN Comtrade: the reporter side against the availability ---------------------------------


def reporter_side_engine(times: int):
    routes = snapshot_routes()

    def reporter_side_data_call(path, query):
        return "getDA" not in path and "reporterCode" in query

    routes["comtrade"] = EmptyAnswers(
        routes["comtrade"],
        match=reporter_side_data_call,
        empty=(200, {"Content-Type": "application/json"}, EMPTY_COMTRADE.encode()),
        times=times,
    )
    return routes


def extract_comtrade(settings, dataset, routes):
    run = RawZoneRun(settings.raw_zone, "comtrade", dataset, new_run_id(), "demo-test")
    session = snapshot_session(routes)
    if dataset == "availability":
        availability.extract(settings, run, session=session, sleep=lambda s: None)
    else:
        comtrade_client.extract(settings, dataset, run, session=session, sleep=lambda s: None)
    return run


def test_an_empty_reporter_side_answer_that_availability_contradicts_stops_the_run(tmp_path):
    settings = settings_for(tmp_path)
    load(settings, extract_comtrade(settings, "availability", snapshot_routes()))
    load(settings, extract_comtrade(settings, "reporter", snapshot_routes()))
    before = warehouse_rows(settings)
    routes = reporter_side_engine(times=10)

    # A full refresh: a release-aware pull would ask nothing, as nothing was released since.
    with pytest.raises(ContradictedAnswerError) as stopped:
        extract_comtrade(dataclasses.replace(settings, full_refresh=True), "reporter", routes)

    message = str(stopped.value)
    assert routes["comtrade"].calls == 3  # asked, then asked again twice
    assert "asked 3 times" in message and "data availability lists as released" in message
    for republic in ("KAZ (398) 2018", "KAZ (398) 2019", "UZB (860) 2018", "ARM (51) 2019"):
        assert republic in message
    assert "Nothing of this pull was loaded" in message
    runs = list((settings.raw_zone / "comtrade" / "reporter").glob("run=*"))
    # the stopped run has no manifest, so it can never be loaded
    assert sorted((run / MANIFEST).exists() for run in runs) == [False, True]
    assert warehouse_rows(settings) == before


def test_an_empty_answer_asked_again_and_then_whole_is_landed(tmp_path, caplog):
    caplog.set_level(logging.WARNING, logger="eurasia")
    settings = settings_for(tmp_path)
    extract_comtrade(settings, "availability", snapshot_routes())
    routes = reporter_side_engine(times=1)

    run = extract_comtrade(settings, "reporter", routes)

    assert routes["comtrade"].calls == 1
    assert all(landing.record_count > 0 for landing in run.landings)
    assert (
        "the answer lacks reporter-years" in caplog.text and "asking again (2 of 3)" in caplog.text
    )


# --- IMF DIP: a "No Results Found" chunk over loaded observations ------------------------------


def imf_routes(times: int):
    routes = snapshot_routes()
    routes["imf"] = EmptyAnswers(
        routes["imf"],
        match=lambda path, query: KAZ_CHUNK in path,
        empty=(404, {"Content-Type": "application/xml"}, NO_RESULTS_XML),
        times=times,
    )
    return routes


def extract_imf(settings, routes):
    run = RawZoneRun(settings.raw_zone, "imf_dip", "dip", new_run_id(), "demo-test")
    imf_client.extract(settings, run, session=snapshot_session(routes), sleep=lambda s: None)
    return run


def test_a_no_results_chunk_over_loaded_observations_stops_naming_the_republics(tmp_path):
    settings = settings_for(tmp_path)
    load(settings, extract_imf(settings, snapshot_routes()))
    before = warehouse_rows(settings)
    assert before["imf_dip_observations"] > 0
    routes = imf_routes(times=10)

    with pytest.raises(ContradictedAnswerError) as stopped:
        extract_imf(settings, routes)

    message = str(stopped.value)
    assert routes["imf"].calls == 3
    held = "KAZ, KGZ, LTU, LVA, MDA"
    assert f"any observation ('No Results Found') for {held} in 2018-2019" in message
    assert "EURASIA_FULL_REFRESH=1" in message
    assert warehouse_rows(settings) == before


def test_a_full_refresh_accepts_a_chunk_the_imf_withdrew(tmp_path):
    settings = settings_for(tmp_path)
    load(settings, extract_imf(settings, snapshot_routes()))
    routes = imf_routes(times=10)
    refresh = dataclasses.replace(settings, full_refresh=True)

    run = extract_imf(refresh, routes)

    assert routes["imf"].calls == 1  # not asked again
    assert (run.folder / MANIFEST).exists()
    with duckdb.connect(str(settings.warehouse_path)) as con:
        load_run(con, settings.raw_zone, run.folder, full_refresh=True)
        countries = {
            r[0] for r in con.execute("SELECT COUNTRY FROM raw.imf_dip_observations").fetchall()
        }
    assert not countries & {"KAZ", "KGZ", "LVA", "LTU", "MDA"}


def test_the_full_refresh_setting_is_validated(tmp_path):
    env = {"EURASIA_WAREHOUSE": str(tmp_path / "w.duckdb")}
    assert load_settings(env).full_refresh is False
    assert load_settings({**env, "EURASIA_FULL_REFRESH": "1"}).full_refresh is True
    with pytest.raises(SettingsError, match="EURASIA_FULL_REFRESH='yes' must be 1"):
        load_settings({**env, "EURASIA_FULL_REFRESH": "yes"})
