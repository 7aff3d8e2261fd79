"""Airflow DAG runs left `running` by an `airflow dags test` that was killed.

`make run` runs the DAG with `airflow dags test`, which runs every task inside its own process.
Killed (Ctrl-C twice, SIGKILL, a closed terminal), it leaves its DAG run and task instances
`running` for ever: no scheduler heartbeats them. Such a run counts against the DAG's
`max_active_runs`, so the scheduler would never start the next one, and it would keep looking
active to anything that asks. Before a new run starts, runs whose `dags test` process is gone
are marked failed. (Runs the scheduler started are its own business: it detects their dead
task processes itself.)

`python -m eurasia.stale_runs [DAG_ID]` does the same by hand or before starting a scheduler.
"""

from __future__ import annotations

import datetime as dt
import logging
import sys
from dataclasses import dataclass

from eurasia.warehouse import process_alive

log = logging.getLogger(__name__)

# A run that has no task instance with a process yet may be one that is only starting.
STARTING_GRACE = dt.timedelta(minutes=2)


@dataclass(frozen=True)
class DagTestRun:
    run_id: str
    started: dt.datetime | None
    # (hostname, pid) of its task instances that ever had a process
    processes: tuple[tuple[str, int], ...]


def orphaned(runs: list[DagTestRun], *, now: dt.datetime, host: str, alive) -> list[str]:
    """Run ids of `dags test` runs on this host whose process is gone; `alive(pid)` decides."""
    lost = []
    for run in runs:
        here = [pid for hostname, pid in run.processes if hostname == host]
        if len(here) < len(run.processes):
            continue  # a process on another machine: not ours to judge
        if here:
            if not any(alive(pid) for pid in here):
                lost.append(run.run_id)
        elif run.started is None or now - run.started > STARTING_GRACE:
            lost.append(run.run_id)
    return lost


def fail_orphaned_test_runs(dag_id: str) -> list[str]:
    """Mark failed the `dags test` runs of `dag_id` whose process is gone; return their ids."""
    from airflow.models.dagrun import DagRun
    from airflow.models.taskinstance import TaskInstance
    from airflow.utils.net import get_hostname
    from airflow.utils.session import create_session
    from airflow.utils.state import DagRunState, State, TaskInstanceState
    from airflow.utils.types import DagRunTriggeredByType

    with create_session() as session:
        runs = (
            session.query(DagRun)
            .filter(
                DagRun.dag_id == dag_id,
                DagRun.triggered_by == DagRunTriggeredByType.TEST,
                DagRun.state.in_([DagRunState.RUNNING, DagRunState.QUEUED]),
            )
            .all()
        )
        if not runs:
            return []
        instances = (
            session.query(TaskInstance)
            .filter(
                TaskInstance.dag_id == dag_id,
                TaskInstance.run_id.in_([run.run_id for run in runs]),
            )
            .all()
        )
        views = [
            DagTestRun(
                run.run_id,
                run.start_date,
                tuple(
                    (ti.hostname, ti.pid)
                    for ti in instances
                    if ti.run_id == run.run_id and ti.pid and ti.hostname
                ),
            )
            for run in runs
        ]
        lost = orphaned(
            views, now=dt.datetime.now(dt.UTC), host=get_hostname(), alive=process_alive
        )
        for run in runs:
            if run.run_id not in lost:
                continue
            for ti in instances:
                if ti.run_id == run.run_id and ti.state not in State.finished:
                    ti.set_state(TaskInstanceState.FAILED, session=session)
            run.set_state(DagRunState.FAILED)
            session.merge(run)
    return lost


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    dag_id = argv[0] if argv else "eurasia_pipeline"
    for run_id in fail_orphaned_test_runs(dag_id):
        print(f"marked failed: {dag_id} run {run_id}, left running by a killed `airflow dags test`")
    return 0


if __name__ == "__main__":
    sys.exit(main())
