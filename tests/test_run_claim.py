"""One pipeline run holds the warehouse from load to summary (eurasia.warehouse's run claim).

Holders in other processes are real child processes: liveness is judged by pid.
"""

from __future__ import annotations

import dataclasses
import json
import subprocess
import sys
import threading
import time

import pytest

from eurasia import run_claim
from eurasia.run_claim import PipelineRun, holding_warehouse
from eurasia.settings import load_settings
from eurasia.warehouse import (
    ClaimLostError,
    WarehouseClaimedError,
    check_claim,
    claim_path,
    new_claim,
    read_claim,
    release_claim,
    stale_reason,
    take_claim,
)


@pytest.fixture
def warehouse(tmp_path):
    return tmp_path / "wh" / "eurasia.duckdb"


def claim_by(run_id: str, *, dag_id: str | None = "eurasia_pipeline", pid: int | None = None):
    claim = new_claim(run_id, dag_id)
    return claim if pid is None else dataclasses.replace(claim, pid=pid, pid_started=None)


def dead_pid() -> int:
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    return child.pid


@pytest.fixture
def live_child():
    child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    yield child.pid
    child.kill()
    child.wait()


def test_a_claim_names_the_run_host_and_pid_and_is_released_by_its_run_only(warehouse):
    take_claim(warehouse, claim_by("manual__A"))
    held = json.loads(claim_path(warehouse).read_text())
    assert held["run_id"] == "manual__A" and held["dag_id"] == "eurasia_pipeline"
    assert held["pid"] > 0 and held["host"]

    assert release_claim(warehouse, "manual__B") is False  # not B's to give up
    assert read_claim(warehouse).run_id == "manual__A"
    assert release_claim(warehouse, "manual__A") is True
    assert read_claim(warehouse) is None


def test_the_same_run_may_take_it_again_and_keeps_its_start(warehouse):
    first = take_claim(warehouse, claim_by("manual__A"))
    again = take_claim(warehouse, claim_by("manual__A"), wait_seconds=0)
    assert again.claimed_at == first.claimed_at


def test_a_second_run_waits_for_a_live_holder_then_is_refused_naming_it(warehouse, live_child):
    take_claim(warehouse, claim_by("manual__A", pid=live_child))
    started = time.monotonic()
    with pytest.raises(WarehouseClaimedError) as raised:
        take_claim(warehouse, claim_by("manual__B"), wait_seconds=1, poll_seconds=0.1)
    assert 1.0 <= time.monotonic() - started < 3.0
    message = str(raised.value)
    assert "eurasia_pipeline/manual__A" in message and f"pid {live_child}" in message
    assert "must not interleave" in message and str(claim_path(warehouse)) in message
    assert read_claim(warehouse).run_id == "manual__A"  # untouched


def test_a_second_run_goes_ahead_once_the_first_releases(warehouse, live_child):
    take_claim(warehouse, claim_by("manual__A", pid=live_child))
    threading.Timer(0.5, release_claim, [warehouse, "manual__A"]).start()
    got = take_claim(warehouse, claim_by("manual__B"), wait_seconds=10, poll_seconds=0.1)
    assert got.run_id == "manual__B" and read_claim(warehouse).run_id == "manual__B"


def test_an_airflow_run_between_tasks_is_not_stale_while_airflow_says_it_runs(warehouse):
    # Under a scheduler no process holds the run between two tasks: the pid is dead.
    claim = claim_by("manual__A", pid=dead_pid())
    assert stale_reason(claim, lambda c: "running") is None
    assert stale_reason(claim, lambda c: "queued") is None
    assert stale_reason(claim, None) is None  # cannot tell: never taken over
    assert stale_reason(claim, lambda c: "failed") == "its DAG run is failed"


def test_a_stale_claim_is_taken_over_saying_so(warehouse, caplog):
    take_claim(warehouse, claim_by("manual__A", pid=dead_pid()))
    got = take_claim(warehouse, claim_by("manual__B"), run_state=lambda c: "failed", wait_seconds=0)
    assert got.run_id == "manual__B"
    assert "taking over the warehouse from DAG run eurasia_pipeline/manual__A" in caplog.text
    assert "its DAG run is failed" in caplog.text


def test_a_live_holder_is_never_stale_whatever_airflow_says(live_child):
    claim = claim_by("manual__A", pid=live_child)
    assert stale_reason(claim, lambda c: "failed") is None


def test_a_reused_pid_is_not_the_holder(live_child):
    claim = dataclasses.replace(claim_by("local", dag_id=None), pid=live_child, pid_started=1)
    assert stale_reason(claim) == f"its process (pid {live_child}) is gone"


def test_a_run_outside_airflow_is_stale_when_its_process_is_gone():
    pid = dead_pid()
    assert (
        stale_reason(claim_by("local-x", dag_id=None, pid=pid))
        == f"its process (pid {pid}) is gone"
    )


def test_a_claim_on_another_host_is_left_alone_unless_airflow_says_it_ended():
    claim = dataclasses.replace(claim_by("manual__A", pid=dead_pid()), host="elsewhere")
    assert stale_reason(claim, lambda c: "running") is None
    assert stale_reason(dataclasses.replace(claim, dag_id=None)) is None
    assert stale_reason(claim, lambda c: "success") == "its DAG run is success"


def test_check_claim_refuses_a_run_that_does_not_hold_it(warehouse):
    with pytest.raises(ClaimLostError, match="not held by any run"):
        check_claim(warehouse, "manual__A")
    take_claim(warehouse, claim_by("manual__B"))
    with pytest.raises(ClaimLostError) as raised:
        check_claim(warehouse, "manual__A")
    assert "now held by DAG run eurasia_pipeline/manual__B" in str(raised.value)
    assert "Run the whole pipeline again" in str(raised.value)


def test_check_claim_renews_it_to_the_checking_process(warehouse, live_child):
    take_claim(warehouse, claim_by("manual__A", pid=live_child))
    renewed = check_claim(warehouse, "manual__A")
    assert renewed.pid != live_child and read_claim(warehouse).pid == renewed.pid


def test_a_damaged_claim_file_stops_with_advice(warehouse):
    claim_path(warehouse).parent.mkdir(parents=True)
    claim_path(warehouse).write_text("{not json")
    with pytest.raises(ClaimLostError, match="delete it if no pipeline run is writing"):
        take_claim(warehouse, claim_by("manual__A"), wait_seconds=0)


# --- holding_warehouse: how the pipeline's writer steps use it ------------------------------


@pytest.fixture
def settings(warehouse):
    return load_settings({"EURASIA_WAREHOUSE": str(warehouse)})


def as_run(monkeypatch, run_id: str, *, last_try: bool = True) -> None:
    run = PipelineRun(run_id, "eurasia_pipeline", last_try, lambda claim: "running")
    monkeypatch.setattr(run_claim, "current_run", lambda: run)


def test_load_takes_later_steps_check_summary_releases(settings, monkeypatch):
    as_run(monkeypatch, "manual__A")
    with holding_warehouse(settings, take=True):
        assert read_claim(settings.warehouse_path).run_id == "manual__A"
    with holding_warehouse(settings):  # dbt build, publish
        pass
    assert read_claim(settings.warehouse_path).run_id == "manual__A"
    with holding_warehouse(settings, release=True):  # summary
        pass
    assert read_claim(settings.warehouse_path) is None


def test_a_build_of_another_runs_load_is_refused(settings, monkeypatch):
    as_run(monkeypatch, "manual__A")
    with holding_warehouse(settings, take=True):
        pass
    as_run(monkeypatch, "manual__B")
    with pytest.raises(ClaimLostError), holding_warehouse(settings):
        pytest.fail("run B built on run A's load")


def test_a_failing_step_releases_on_its_last_try_only(settings, monkeypatch):
    as_run(monkeypatch, "manual__A", last_try=False)
    with pytest.raises(RuntimeError), holding_warehouse(settings, take=True):
        raise RuntimeError("load failed; a retry follows")
    assert read_claim(settings.warehouse_path).run_id == "manual__A"
    as_run(monkeypatch, "manual__A", last_try=True)
    with pytest.raises(RuntimeError), holding_warehouse(settings):
        raise RuntimeError("dbt build failed for good")
    assert read_claim(settings.warehouse_path) is None


def test_outside_airflow_one_process_is_one_run(settings):
    run = run_claim.current_run()
    assert run.dag_id is None and run.run_id.startswith("local-") and run.last_try
    with holding_warehouse(settings, take=True):
        pass
    with holding_warehouse(settings, release=True):
        pass
    assert read_claim(settings.warehouse_path) is None


def test_inside_airflow_the_run_is_the_dag_run_and_airflow_is_asked_its_state(monkeypatch):
    import airflow.sdk

    # The task SDK's own enum, whose str() is 'DagRunState.RUNNING', not 'running'.
    from airflow.sdk.api.datamodels._generated import DagRunState

    class FakeTaskInstance:
        run_id, dag_id, try_number, max_tries = "manual__A", "eurasia_pipeline", 1, 2

        @staticmethod
        def get_dagrun_state(dag_id, run_id):
            return {"manual__B": DagRunState.RUNNING}.get(run_id, DagRunState.FAILED)

    monkeypatch.setattr(airflow.sdk, "get_current_context", lambda: {"ti": FakeTaskInstance()})
    run = run_claim.current_run()
    assert (run.run_id, run.dag_id, run.last_try) == ("manual__A", "eurasia_pipeline", False)
    between_tasks = claim_by("manual__B", pid=dead_pid())
    assert run.run_state(between_tasks) == "running"
    assert stale_reason(between_tasks, run.run_state) is None
    ended = claim_by("manual__C", pid=dead_pid())
    assert stale_reason(ended, run.run_state) == "its DAG run is failed"
