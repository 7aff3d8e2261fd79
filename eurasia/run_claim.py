"""Which pipeline run is this, and does it hold the warehouse? (See eurasia.warehouse.)

Inside an Airflow task the run is the DAG run (`dag_id`, `run_id`), and Airflow is asked whether
another claim's DAG run is still going. Outside Airflow (a person calling eurasia.pipeline's
steps, a test, a benchmark) one process is one run.
"""

from __future__ import annotations

import contextlib
import logging
import os
import socket
from collections.abc import Iterator
from dataclasses import dataclass

from eurasia.settings import Settings
from eurasia.warehouse import (
    RunClaim,
    RunStateLookup,
    check_claim,
    new_claim,
    release_claim,
    take_claim,
)

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class PipelineRun:
    run_id: str
    dag_id: str | None
    last_try: bool  # a failure now ends the run: nothing will retry this step
    run_state: RunStateLookup | None


def current_run() -> PipelineRun:
    try:
        from airflow.sdk import get_current_context

        context = get_current_context()
    except (ImportError, RuntimeError):  # not inside an Airflow task
        return PipelineRun(f"local-{socket.gethostname()}-{os.getpid()}", None, True, None)
    ti = context["ti"]

    def run_state(claim: RunClaim) -> str | None:
        try:
            state = ti.get_dagrun_state(claim.dag_id, claim.run_id)
            return str(getattr(state, "value", state))  # DagRunState.RUNNING -> 'running'
        except Exception as exc:  # e.g. a run another Airflow installation made: cannot tell
            log.info("cannot ask Airflow about %s: %s", claim.describe(), exc)
            return None

    return PipelineRun(ti.run_id, ti.dag_id, ti.try_number > ti.max_tries, run_state)


@contextlib.contextmanager
def holding_warehouse(
    settings: Settings, *, take: bool = False, release: bool = False
) -> Iterator[PipelineRun]:
    """Run a writer step as the run holding the warehouse.

    take: the first writer (load) claims it, waiting for another run to finish.
    release: the last step (summary) gives it up when it is done.
    A step failing on its last try gives it up too: the run is over.
    """
    run = current_run()
    warehouse = settings.warehouse_path
    if take:
        take_claim(warehouse, new_claim(run.run_id, run.dag_id), run_state=run.run_state)
    else:
        check_claim(warehouse, run.run_id)
    try:
        yield run
    except BaseException:
        if run.last_try and release_claim(warehouse, run.run_id):
            log.warning("this run failed; it no longer holds %s", warehouse)
        raise
    if release:
        release_claim(warehouse, run.run_id)
