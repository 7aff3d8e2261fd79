"""Access to the DuckDB warehouse file with one writer at a time.

DuckDB allows one read-write process or many read-only ones, never both. Every step that
writes (load, dbt build) takes an exclusive advisory lock on `<warehouse>.lock` first, so two
Airflow tasks, or a task and a person running the pipeline by hand, queue instead of
colliding in the middle of a write.
"""

from __future__ import annotations

import contextlib
import fcntl
import logging
import os
import time
from collections.abc import Iterator
from pathlib import Path

import duckdb

log = logging.getLogger(__name__)


class WarehouseBusyError(RuntimeError):
    """Another process holds the warehouse for writing."""


@contextlib.contextmanager
def writer_lock(lock_path: Path, timeout_seconds: float = 600.0) -> Iterator[None]:
    lock_path.parent.mkdir(parents=True, exist_ok=True)
    with open(lock_path, "a+") as handle:
        deadline = time.monotonic() + timeout_seconds
        announced = False
        while True:
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    handle.seek(0)
                    holder = handle.read().strip() or "unknown"
                    raise WarehouseBusyError(
                        f"{lock_path.with_suffix('')} is being written by another process "
                        f"({holder}) for over {timeout_seconds:.0f} s; wait for it to finish "
                        "or stop it, then run again."
                    ) from None
                if not announced:
                    log.info("waiting for another writer to release %s", lock_path)
                    announced = True
                time.sleep(0.5)
        handle.seek(0)
        handle.truncate()
        handle.write(f"pid {os.getpid()}")
        handle.flush()
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


@contextlib.contextmanager
def connect_for_writing(
    warehouse_path: Path, lock_path: Path
) -> Iterator[duckdb.DuckDBPyConnection]:
    """Lock, open read-write, and always close: the file is free again when the block ends."""
    warehouse_path.parent.mkdir(parents=True, exist_ok=True)
    with writer_lock(lock_path):
        con = _connect(warehouse_path, read_only=False)
        try:
            yield con
        finally:
            con.close()


@contextlib.contextmanager
def connect_read_only(warehouse_path: Path) -> Iterator[duckdb.DuckDBPyConnection]:
    if not warehouse_path.exists():
        raise FileNotFoundError(f"{warehouse_path} does not exist yet; run `make run` first")
    con = _connect(warehouse_path, read_only=True)
    try:
        yield con
    finally:
        con.close()


def _connect(path: Path, *, read_only: bool) -> duckdb.DuckDBPyConnection:
    try:
        return duckdb.connect(str(path), read_only=read_only)
    except duckdb.IOException as exc:
        if "lock" in str(exc).lower():
            raise WarehouseBusyError(
                f"{path} is open in another process (a DuckDB shell, a BI tool or a running "
                "pipeline). DuckDB allows one writer or many readers, never both: close the "
                "other connection and run again."
            ) from exc
        raise
