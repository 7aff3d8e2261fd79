"""Every Airflow task of the DAG has an execution_timeout, taken from EURASIA_TASK_TIMEOUT."""

from __future__ import annotations

import datetime as dt
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def task_timeouts(**env: str) -> dict[str, float | None]:
    """Parse the DAG in a fresh process (settings are read at import) and list the timeouts."""
    script = (
        "from airflow.dag_processing.dagbag import DagBag\n"
        f"bag = DagBag(dag_folder={str(ROOT / 'dags')!r})\n"
        "assert not bag.import_errors, bag.import_errors\n"
        "dag = bag.get_dag('eurasia_pipeline')\n"
        "for t in dag.tasks:\n"
        "    x = t.execution_timeout\n"
        "    print('TIMEOUT', t.task_id, x.total_seconds() if x else None)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script],
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        timeout=300,
        check=True,
    )
    rows = (line.split()[1:] for line in done.stdout.splitlines() if line.startswith("TIMEOUT "))
    return {task: None if value == "None" else float(value) for task, value in rows}


def test_every_task_is_bounded_by_the_setting():
    default = task_timeouts()
    assert len(default) >= 8
    assert set(default.values()) == {dt.timedelta(minutes=180).total_seconds()}
    assert set(task_timeouts(EURASIA_TASK_TIMEOUT="45").values()) == {45 * 60.0}
