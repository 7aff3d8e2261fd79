"""Publishing: analysts and BI read a copy that is replaced whole, never the file being built."""

from __future__ import annotations

import subprocess
import sys
import time

import duckdb
import pytest

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
    assert [p.name for p in settings.published_path.parent.iterdir()] == ["eurasia.duckdb"]


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
