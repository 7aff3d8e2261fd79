"""Publishing: analysts and BI read a copy that is replaced whole, never the file being built."""

from __future__ import annotations

import json
import subprocess
import sys
import threading
import time

import duckdb
import pytest

from eurasia import publish as publish_module
from eurasia.publish import publish
from eurasia.settings import load_settings


@pytest.fixture
def settings(tmp_path):
    return load_settings({"EURASIA_WAREHOUSE": str(tmp_path / "build" / "eurasia.duckdb")})


def build(settings, share: float) -> None:
    settings.warehouse_path.parent.mkdir(parents=True, exist_ok=True)
    with duckdb.connect(str(settings.warehouse_path)) as con:
        con.execute("create schema if not exists marts")
        con.execute("create or replace table marts.trade_shares as select ? as share", [share])


def published_share(settings) -> float:
    with duckdb.connect(str(settings.published_path), read_only=True) as con:
        return con.execute("select share from marts.trade_shares").fetchone()[0]


def test_publish_copies_the_marts_to_the_published_file(settings):
    build(settings, 0.25)
    assert publish(settings) == settings.published_path
    assert settings.published_path.parent.name == "published"
    assert published_share(settings) == 0.25
    assert sorted(p.name for p in settings.published_path.parent.iterdir()) == [
        "eurasia.duckdb",
        "parquet",
        "parquet-versions",
    ]


def test_published_file_stays_readable_while_the_build_file_is_being_written(settings):
    build(settings, 0.25)
    publish(settings)
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import duckdb, sys, time; con = duckdb.connect(sys.argv[1]); "
            "print('open', flush=True); time.sleep(30)",
            str(settings.warehouse_path),
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout.readline().strip() == "open"
        with pytest.raises(duckdb.IOException):
            duckdb.connect(str(settings.warehouse_path), read_only=True)
        assert published_share(settings) == 0.25
    finally:
        holder.kill()
        holder.wait()


def test_a_reader_of_the_old_copy_is_undisturbed_by_a_new_publication(settings):
    build(settings, 0.25)
    publish(settings)
    reader = duckdb.connect(str(settings.published_path), read_only=True)
    try:
        build(settings, 0.75)
        publish(settings)
        assert reader.execute("select share from marts.trade_shares").fetchone()[0] == 0.25
    finally:
        reader.close()
    assert published_share(settings) == 0.75


def test_nothing_is_published_from_a_warehouse_without_marts(settings):
    build(settings, 0.25)
    publish(settings)
    with duckdb.connect(str(settings.warehouse_path)) as con:
        con.execute("drop schema marts cascade")
    before = settings.published_path.stat().st_mtime_ns
    time.sleep(0.01)
    with pytest.raises(RuntimeError, match="no marts to publish"):
        publish(settings)
    assert settings.published_path.stat().st_mtime_ns == before
    assert published_share(settings) == 0.25


def build_marts(settings, run: int) -> None:
    """Two marts stamped with the run that built them, with the column types the real marts use."""
    settings.warehouse_path.parent.mkdir(parents=True, exist_ok=True)
    with duckdb.connect(str(settings.warehouse_path)) as con:
        con.execute("create schema if not exists marts")
        con.execute(
            "create or replace table marts.trade_shares as "
            "select ? as run, i as year, i / 100 as share, 'KAZ' as republic_iso3, "
            "['comtrade/reporter/run=1/0000' || i] as landing_ids, "
            "timestamptz '2026-01-01 00:00:00+00' + to_days(i) as requested_at, "
            "case when i % 3 = 0 then null else i % 2 = 0 end as is_preferred "
            "from range(2000, 2000 + 50 * ?) t(i)",
            [run, run],
        )
        con.execute(
            "create or replace table marts.coverage as "
            "select ? as run, 'KAZ' as republic_iso3, 2000 + i as year, 'reported' as status "
            "from range(7) t(i)",
            [run],
        )


def parquet_runs(folder) -> set[int]:
    with duckdb.connect() as con:
        return {
            run
            for mart in ("trade_shares", "coverage")
            for (run,) in con.execute(
                "select distinct run from read_parquet(?)", [str(folder / f"{mart}.parquet")]
            ).fetchall()
        }


def test_every_mart_is_published_as_an_equal_parquet_file(settings):
    build_marts(settings, 3)
    publish(settings)
    folder = settings.published_path.parent / "parquet"
    assert sorted(p.name for p in folder.iterdir()) == [
        "_MANIFEST.json",
        "coverage.parquet",
        "trade_shares.parquet",
    ]
    with duckdb.connect(str(settings.published_path), read_only=True) as con:
        for mart in ("trade_shares", "coverage"):
            parquet = str(folder / f"{mart}.parquet")
            table = con.execute(f"select * from marts.{mart}").fetchall()
            assert con.execute("select * from read_parquet(?)", [parquet]).fetchall() == table
            assert len(table) > 0
            # Same columns with the same types (lists, timestamps with time zone, null booleans).
            assert (
                con.execute(f"describe select * from marts.{mart}").fetchall()
                == con.execute("describe select * from read_parquet(?)", [parquet]).fetchall()
            )
    manifest = json.loads((folder / "_MANIFEST.json").read_text())
    assert manifest["rows"] == {"coverage": 7, "trade_shares": 150}


def test_a_parquet_reader_during_publications_sees_one_run_at_a_time(settings):
    build_marts(settings, 1)
    publish(settings)
    link = settings.published_path.parent / "parquet"
    seen, mixed, stop = [], [], threading.Event()

    def read_while_publishing():
        while not stop.is_set():
            folder = link.resolve()  # resolved once, then every mart read from it
            runs = parquet_runs(folder)
            seen.append(runs)
            if len(runs) != 1:
                mixed.append(runs)

    reader = threading.Thread(target=read_while_publishing)
    reader.start()
    try:
        for run in range(2, 8):
            build_marts(settings, run)
            publish(settings)
    finally:
        stop.set()
        reader.join()
    assert not mixed
    assert len({frozenset(runs) for runs in seen}) > 1, "the reader saw only one publication"
    assert parquet_runs(link) == {7}
    # The current publication and the one before it are kept; older ones are gone.
    versions = sorted((settings.published_path.parent / "parquet-versions").iterdir())
    assert [parquet_runs(v) for v in versions] == [{6}, {7}]


def test_a_failed_parquet_export_publishes_nothing_and_leaves_nothing(settings, monkeypatch):
    build_marts(settings, 1)
    publish(settings)
    versions = settings.published_path.parent / "parquet-versions"
    before = sorted(versions.iterdir())
    build_marts(settings, 2)
    # Fails after every mart has been copied: the manifest cannot be written.
    monkeypatch.setattr(publish_module, "PARQUET_MANIFEST", "missing-folder/_MANIFEST.json")
    with pytest.raises(FileNotFoundError):
        publish(settings)
    assert parquet_runs(settings.published_path.parent / "parquet") == {1}
    with duckdb.connect(str(settings.published_path), read_only=True) as con:
        assert con.execute("select distinct run from marts.coverage").fetchall() == [(1,)]
    assert sorted(settings.published_path.parent.glob("eurasia.duckdb*")) == [
        settings.published_path
    ]
    assert sorted(versions.iterdir()) == before
