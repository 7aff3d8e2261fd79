"""Runs a killed `airflow dags test` left `running` are found by their processes being gone."""

from __future__ import annotations

import datetime as dt
import os

from eurasia.stale_runs import STARTING_GRACE, DagTestRun, orphaned
from eurasia.warehouse import process_alive

NOW = dt.datetime(2026, 12, 1, 12, tzinfo=dt.UTC)
ALIVE = {101}


def lost(*runs: DagTestRun) -> list[str]:
    return orphaned(list(runs), now=NOW, host="here", alive=ALIVE.__contains__)


def test_a_run_whose_process_died_is_orphaned_and_a_live_one_is_not():
    assert lost(
        DagTestRun("killed", NOW - dt.timedelta(minutes=5), (("here", 99), ("here", 99))),
        DagTestRun("running", NOW - dt.timedelta(minutes=5), (("here", 101),)),
    ) == ["killed"]


def test_a_run_without_processes_is_orphaned_only_after_the_starting_grace():
    young = DagTestRun("young", NOW - STARTING_GRACE / 2, ())
    old = DagTestRun("old", NOW - 2 * STARTING_GRACE, ())
    assert lost(young, old) == ["old"]


def test_runs_with_a_process_on_another_machine_are_left_alone():
    assert lost(DagTestRun("elsewhere", NOW - dt.timedelta(hours=1), (("there", 99),))) == []


def test_process_alive_tells_this_process_from_a_finished_one():
    assert process_alive(os.getpid())
    child = os.fork()
    if child == 0:
        os._exit(0)
    os.waitpid(child, 0)
    assert not process_alive(child)
