"""Access to the DuckDB warehouse file with one writer at a time.

DuckDB allows one read-write process or many read-only ones, never both. Every step that
writes (load, dbt build) takes an exclusive advisory lock on `<warehouse>.lock` first, so two
Airflow tasks, or a task and a person running the pipeline by hand, queue instead of
colliding in the middle of a write.

That lock is held for one step only. A pipeline run's steps belong together: the build must be
of the data this run loaded, and the copy published and summarised must be that build. So a
pipeline run also *claims* the warehouse, from load to summary: `<warehouse>.claim` names the
run (Airflow DAG run id, host, pid). Airflow runs each task in a process of its own, so the
claim is a file, not a lock a process holds; load takes it, every later writer checks that it
still holds it, the summary (or the last try of a failing step) releases it. A claim whose
holder is gone - its process dead and, for an Airflow run, its DAG run no longer running - is
stale and taken over, saying so.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import fcntl
import json
import logging
import os
import socket
import time
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass
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


# ---- The run claim: one pipeline run holds the warehouse from load to summary ---------------

# How long a second run's load waits for the first run to finish before it gives up.
CLAIM_WAIT_SECONDS = 900.0
# Airflow DAG run states in which the run may still write.
ACTIVE_RUN_STATES = ("running", "queued")


class WarehouseClaimedError(WarehouseBusyError):
    """Another pipeline run holds the warehouse; the message names it."""


class ClaimLostError(RuntimeError):
    """A writer step of a run that does not (or no longer) hold the warehouse."""


@dataclass(frozen=True)
class RunClaim:
    run_id: str  # the Airflow DAG run id, or `local-<host>-<pid>` for a run outside Airflow
    dag_id: str | None  # None outside Airflow
    host: str
    pid: int  # the process that took or last renewed the claim
    pid_started: int | None  # that process's start time, so a reused pid is not mistaken for it
    claimed_at: str
    renewed_at: str

    def describe(self) -> str:
        run = f"DAG run {self.dag_id}/{self.run_id}" if self.dag_id else f"run {self.run_id}"
        return f"{run} (host {self.host}, pid {self.pid}, since {self.claimed_at})"


# Asked for the state of an Airflow DAG run ('running', 'failed', ...); None if it cannot tell.
RunStateLookup = Callable[[RunClaim], "str | None"]


def claim_path(warehouse_path: Path) -> Path:
    return warehouse_path.with_name(warehouse_path.name + ".claim")


def new_claim(run_id: str, dag_id: str | None) -> RunClaim:
    now = _utc_now()
    return RunClaim(
        run_id, dag_id, socket.gethostname(), os.getpid(), _process_start(os.getpid()), now, now
    )


def read_claim(warehouse_path: Path) -> RunClaim | None:
    try:
        data = json.loads(claim_path(warehouse_path).read_text())
    except FileNotFoundError:
        return None
    except (OSError, ValueError):
        # Written by an atomic rename, so a damaged file is not one of ours half-written.
        raise ClaimLostError(
            f"{claim_path(warehouse_path)} is not a claim this pipeline wrote; look at it, "
            "delete it if no pipeline run is writing, and run again."
        ) from None
    return RunClaim(**data)


def stale_reason(claim: RunClaim, run_state: RunStateLookup | None = None) -> str | None:
    """Why the holder of `claim` can no longer write, or None if it may still be running."""
    here = claim.host == socket.gethostname()
    if here and process_alive(claim.pid, claim.pid_started):
        return None
    if claim.dag_id is None:
        # Outside Airflow one process is the whole run; on another host it cannot be checked.
        return f"its process (pid {claim.pid}) is gone" if here else None
    # An Airflow run's tasks run in processes of their own: between two tasks no process holds
    # it, so only Airflow can tell whether the run is over.
    state = run_state(claim) if run_state else None
    if state is None or state in ACTIVE_RUN_STATES:
        return None
    return f"its DAG run is {state}"


def take_claim(
    warehouse_path: Path,
    claim: RunClaim,
    *,
    run_state: RunStateLookup | None = None,
    wait_seconds: float = CLAIM_WAIT_SECONDS,
    poll_seconds: float = 1.0,
) -> RunClaim:
    """Claim the warehouse for `claim.run_id`, waiting up to `wait_seconds` for another run.

    Taking it again for the same run (a retried load) is allowed; a stale claim is taken over.
    """
    deadline = time.monotonic() + wait_seconds
    announced = False
    while True:
        with _claim_mutex(warehouse_path):
            held = read_claim(warehouse_path)
            if held is None or held.run_id == claim.run_id:
                return _write_claim(warehouse_path, claim, held)
            reason = stale_reason(held, run_state)
            if reason:
                log.warning(
                    "taking over the warehouse from %s: %s, so it cannot write any more",
                    held.describe(),
                    reason,
                )
                return _write_claim(warehouse_path, claim, None)
        if time.monotonic() >= deadline:
            raise WarehouseClaimedError(
                f"{warehouse_path} is held by pipeline {held.describe()}, which did not finish "
                f"within {wait_seconds:.0f} s. Two runs must not interleave their loads, builds "
                "and publications: wait for that run to finish (or stop it), then run again. "
                f"If it is certainly not running any more, delete {claim_path(warehouse_path)}."
            )
        if not announced:
            log.warning(
                "the warehouse is held by pipeline %s; waiting up to %.0f s for it to finish",
                held.describe(),
                wait_seconds,
            )
            announced = True
        time.sleep(poll_seconds)


def check_claim(warehouse_path: Path, run_id: str) -> RunClaim:
    """Raise ClaimLostError unless `run_id` holds the warehouse; renew the claim to this process."""
    with _claim_mutex(warehouse_path):
        held = read_claim(warehouse_path)
        if held is None or held.run_id != run_id:
            holder = f"now held by {held.describe()}" if held else "not held by any run"
            raise ClaimLostError(
                f"this pipeline run ({run_id}) does not hold {warehouse_path} (it is {holder}), "
                "so it must not build or publish: what it would build is not the data it loaded. "
                "Run the whole pipeline again."
            )
        renewed = new_claim(run_id, held.dag_id)
        return _write_claim(warehouse_path, renewed, held)


def release_claim(warehouse_path: Path, run_id: str) -> bool:
    """Give the warehouse up if `run_id` holds it; True if it did."""
    with _claim_mutex(warehouse_path):
        held = read_claim(warehouse_path)
        if held is None or held.run_id != run_id:
            return False
        claim_path(warehouse_path).unlink()
        return True


def _write_claim(warehouse_path: Path, claim: RunClaim, held: RunClaim | None) -> RunClaim:
    if held is not None and held.run_id == claim.run_id:
        claim = RunClaim(**{**asdict(claim), "claimed_at": held.claimed_at})
    path = claim_path(warehouse_path)
    path.parent.mkdir(parents=True, exist_ok=True)
    staging = path.with_name(f"{path.name}.{os.getpid()}.tmp")
    staging.write_text(json.dumps(asdict(claim), indent=1))
    os.replace(staging, path)  # readers see the old claim or the new one, never half of one
    return claim


@contextlib.contextmanager
def _claim_mutex(warehouse_path: Path) -> Iterator[None]:
    """Serialises read-check-write of the claim file; held for milliseconds, never for a step."""
    path = warehouse_path.with_name(warehouse_path.name + ".claim.lock")
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _utc_now() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="seconds")


def _process_start(pid: int) -> int | None:
    """The process's start time in clock ticks after boot (Linux), or None where unknown."""
    stat = _proc_stat(pid)
    return int(stat[19]) if stat else None


def _proc_stat(pid: int) -> list[str] | None:
    """Fields 3 onwards of /proc/<pid>/stat (state, ppid, ...), or None where unknown."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    # The command name (field 2) may contain spaces; the fields after it are plain.
    return stat.rsplit(")", 1)[1].split()


def process_alive(pid: int, started: int | None = None) -> bool:
    """Whether `pid` is running and, given its start time, is still the same process."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        pass  # alive, owned by someone else
    stat = _proc_stat(pid)
    if stat is None:
        return True  # no /proc: trust the signal
    # A killed process not yet reaped is a zombie; a reused pid has another start time.
    return stat[0] != "Z" and (started is None or int(stat[19]) == started)
