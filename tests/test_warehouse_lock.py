"""One writer at a time: the advisory lock, DuckDB's own file lock, and connections that close.

The other process is a real one (a child Python), since both locks are per process.
"""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import duckdb
import pytest

from eurasia.warehouse import (
    WarehouseBusyError,
    connect_for_writing,
    connect_read_only,
    writer_lock,
)

HOLD_ADVISORY_LOCK = """
    import sys, time
    from pathlib import Path
    from eurasia.warehouse import writer_lock
    with writer_lock(Path(sys.argv[1]), timeout_seconds=5):
        print("ready", flush=True)
        release_after = float(sys.argv[2])
        if release_after > 0:
            time.sleep(release_after)
        else:
            sys.stdin.read()  # until the test closes stdin
"""

HOLD_DUCKDB_OPEN = """
    import sys
    import duckdb
    con = duckdb.connect(sys.argv[1])  # read-write: DuckDB locks the file for this process
    con.execute("CREATE TABLE IF NOT EXISTS t AS SELECT 1 AS x")
    print("ready", flush=True)
    sys.stdin.read()
    con.close()
"""

READ_IN_ANOTHER_PROCESS = """
    import sys
    import duckdb
    with duckdb.connect(sys.argv[1], read_only=True) as con:
        print(con.execute("SELECT sum(x) FROM t").fetchone()[0])
"""


class Holder:
    """A child process running `script`; it prints 'ready' once it holds what it holds."""

    def __init__(self, script: str, *args: str) -> None:
        self.process = subprocess.Popen(
            [sys.executable, "-c", textwrap.dedent(script), *args],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            cwd=Path(__file__).resolve().parent.parent,
        )
        line = self.process.stdout.readline().strip()
        if line != "ready":
            self.process.kill()
            raise AssertionError(f"holder did not start: {line!r} {self.process.stderr.read()}")

    @property
    def pid(self) -> int:
        return self.process.pid

    def release(self) -> None:
        if self.process.poll() is None:
            self.process.stdin.close()
            self.process.wait(timeout=10)
        self.process.stdout.close()
        self.process.stderr.close()


@pytest.fixture
def holders():
    started: list[Holder] = []

    def start(script: str, *args: str) -> Holder:
        holder = Holder(script, *args)
        started.append(holder)
        return holder

    yield start
    for holder in started:
        holder.release()


@pytest.fixture
def paths(tmp_path):
    warehouse = tmp_path / "w.duckdb"
    return warehouse, tmp_path / "w.duckdb.lock"


def run_python(script: str, *args: str) -> str:
    done = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(script), *args],
        capture_output=True,
        text=True,
        timeout=30,
        cwd=Path(__file__).resolve().parent.parent,
    )
    assert done.returncode == 0, done.stderr
    return done.stdout.strip()


def test_a_second_writer_waits_then_gives_up_with_advice(paths, holders):
    _, lock = paths
    holder = holders(HOLD_ADVISORY_LOCK, str(lock), "0")

    started = time.monotonic()
    with pytest.raises(WarehouseBusyError) as raised, writer_lock(lock, timeout_seconds=1):
        pytest.fail("the lock was taken while another process held it")
    waited = time.monotonic() - started

    assert 1.0 <= waited < 3.0
    message = str(raised.value)
    assert str(lock.with_suffix("")) in message  # names the warehouse file
    assert f"pid {holder.pid}" in message  # and who holds it
    assert "being written by another process" in message
    assert "wait for it to finish or stop it, then run again" in message


def test_a_second_writer_goes_ahead_once_the_first_is_done(paths, holders):
    _, lock = paths
    holders(HOLD_ADVISORY_LOCK, str(lock), "0.8")

    started = time.monotonic()
    with writer_lock(lock, timeout_seconds=10):
        waited = time.monotonic() - started
        assert lock.read_text() == f"pid {os.getpid()}"  # now it says who holds it

    assert 0.3 <= waited < 5.0


def test_the_lock_is_released_when_the_block_ends_even_on_error(paths):
    _, lock = paths
    with pytest.raises(KeyError), writer_lock(lock, timeout_seconds=1):
        raise KeyError("failed inside the block")
    started = time.monotonic()
    with writer_lock(lock, timeout_seconds=1):
        pass
    assert time.monotonic() - started < 0.5
    # Another process can take it straight away too.
    run_python(HOLD_ADVISORY_LOCK, str(lock), "0.01")


def test_connect_for_writing_closes_the_connection(paths):
    warehouse, lock = paths
    with connect_for_writing(warehouse, lock) as con:
        con.execute("CREATE TABLE t AS SELECT 41 + 1 AS x")
    with pytest.raises(duckdb.ConnectionException):
        con.execute("SELECT 1")

    with connect_read_only(warehouse) as reader:
        assert reader.execute("SELECT x FROM t").fetchone() == (42,)
    # The file is free for other processes as well.
    assert run_python(READ_IN_ANOTHER_PROCESS, str(warehouse)) == "42"


def test_connect_for_writing_closes_and_unlocks_on_error(paths):
    warehouse, lock = paths
    with pytest.raises(RuntimeError, match="boom"), connect_for_writing(warehouse, lock) as con:
        con.execute("CREATE TABLE t AS SELECT 1 AS x")
        raise RuntimeError("boom")
    with pytest.raises(duckdb.ConnectionException):
        con.execute("SELECT 1")
    with writer_lock(lock, timeout_seconds=0.1), connect_read_only(warehouse) as reader:
        assert reader.execute("SELECT count(*) FROM t").fetchone() == (1,)


def test_connect_for_writing_creates_the_folder(tmp_path):
    warehouse = tmp_path / "new" / "folder" / "w.duckdb"
    with connect_for_writing(warehouse, warehouse.with_name("w.duckdb.lock")) as con:
        con.execute("SELECT 1")
    assert warehouse.exists()


def test_connect_read_only_on_a_missing_file_says_to_run_the_pipeline(tmp_path):
    missing = tmp_path / "nothing.duckdb"
    with pytest.raises(FileNotFoundError) as raised, connect_read_only(missing):
        pass
    assert str(missing) in str(raised.value) and "`make run`" in str(raised.value)
    assert not missing.exists()  # not created by asking


def test_connect_read_only_refuses_writes(paths):
    warehouse, lock = paths
    with connect_for_writing(warehouse, lock) as con:
        con.execute("CREATE TABLE t AS SELECT 1 AS x")
    with connect_read_only(warehouse) as reader, pytest.raises(duckdb.Error, match="read-only"):
        reader.execute("INSERT INTO t VALUES (2)")


@pytest.mark.parametrize("mode", ["read_only", "for_writing"])
def test_duckdb_file_lock_held_elsewhere_is_a_warehouse_busy_error(paths, holders, mode):
    warehouse, lock = paths
    holders(HOLD_DUCKDB_OPEN, str(warehouse))  # e.g. a DuckDB shell left open

    with pytest.raises(WarehouseBusyError) as raised:
        if mode == "read_only":
            with connect_read_only(warehouse):
                pass
        else:
            with connect_for_writing(warehouse, lock):
                pass

    message = str(raised.value)
    assert str(warehouse) in message
    assert "open in another process" in message and "close the other connection" in message
    assert isinstance(raised.value.__cause__, duckdb.IOException)
    # Our own advisory lock was released on the way out.
    with writer_lock(lock, timeout_seconds=0.1):
        pass
