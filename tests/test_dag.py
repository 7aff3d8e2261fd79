"""The DAG file parses, wires the steps in the right order, and stays light at import time."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from eurasia.settings import default_years

ROOT = Path(__file__).resolve().parent.parent
DAG_FILE = ROOT / "dags" / "eurasia_pipeline.py"
EXTRACTS = {
    "extract_comtrade_availability",
    "extract_comtrade_reporter_side",
    "extract_comtrade_partner_side",
    "extract_imf_direct_investment",
    "extract_imf_goods_trade",
}


@pytest.fixture(scope="module")
def dagbag():
    from airflow.dag_processing.dagbag import DagBag

    return DagBag(dag_folder=str(ROOT / "dags"))


def test_dags_import_without_errors(dagbag):
    assert dagbag.import_errors == {}
    assert set(dagbag.dag_ids) == {"eurasia_pipeline"}


def test_pipeline_wiring(dagbag):
    dag = dagbag.get_dag("eurasia_pipeline")
    assert set(dag.task_ids) == EXTRACTS | {
        "load_raw_tables",
        "dbt_build_marts",
        "publish_warehouse",
        "print_summary",
    }
    assert dag.get_task("load_raw_tables").upstream_task_ids == EXTRACTS
    # The Comtrade pulls share one API's pace, so they run one after the other: what the source
    # has released first, then the reporter side, then the partner side.
    assert dag.get_task("extract_comtrade_reporter_side").upstream_task_ids == {
        "extract_comtrade_availability"
    }
    # (Both read the availability run's folder: each asks only what it lists as new or revised.)
    assert dag.get_task("extract_comtrade_partner_side").upstream_task_ids == {
        "extract_comtrade_availability",
        "extract_comtrade_reporter_side",
    }
    assert dag.get_task("dbt_build_marts").upstream_task_ids == {"load_raw_tables"}
    assert dag.get_task("publish_warehouse").upstream_task_ids == {"dbt_build_marts"}
    assert dag.get_task("print_summary").upstream_task_ids == {"publish_warehouse"}
    # Extracts only write files, so the IMF pull runs beside Comtrade's; the DuckDB writers are
    # a chain, and one DAG run at a time keeps a second run's writers away.
    for task_id in {"extract_comtrade_availability", "extract_imf_direct_investment"}:
        assert dag.get_task(task_id).upstream_task_ids == set()
    # The two IMF pulls ask one API: one after the other.
    assert dag.get_task("extract_imf_goods_trade").upstream_task_ids == {
        "extract_imf_direct_investment"
    }
    assert dag.max_active_runs == 1


def test_schedule_retries_and_years_param(dagbag):
    dag = dagbag.get_dag("eurasia_pipeline")
    assert dag.schedule == "@monthly"
    assert dag.timetable.expression == "0 0 1 * *"
    assert dag.catchup is False
    # The Param's default is EURASIA_YEARS if set, else the source's default years.
    source = os.environ.get("EURASIA_SOURCE") or "snapshot"
    assert dag.params["years"] == (os.environ.get("EURASIA_YEARS") or default_years(source))
    retries = int(os.environ.get("EURASIA_TASK_RETRIES") or 2)
    for task in dag.tasks:
        # Only network pulls retry (with growing waits); a warehouse writer's failure needs a
        # person, and retrying it would fail the same way.
        if task.task_id.startswith("extract_"):
            assert (task.retries, task.retry_exponential_backoff) == (retries, True), task.task_id
        else:
            assert task.retries == 0, task.task_id


def test_years_param_rejects_malformed_values(dagbag):
    from airflow.sdk.definitions.param import ParamValidationError

    param = dagbag.get_dag("eurasia_pipeline").params.get_param("years")
    assert param.resolve("2005-2010") == "2005-2010"
    with pytest.raises(ParamValidationError):
        param.resolve("last ten years")


def test_dag_import_does_not_load_heavy_modules():
    """Parsing the DAG must not import dbt, DuckDB or the source clients (scheduler loop cost)."""
    probe = (
        "import runpy, sys; runpy.run_path(sys.argv[1]); "
        "heavy = [m for m in ('dbt.cli.main', 'duckdb', 'eurasia.loader', "
        "'eurasia.comtrade.client', 'eurasia.imf.client') if m in sys.modules]; print(heavy)"
    )
    out = subprocess.run(
        [sys.executable, "-c", probe, str(DAG_FILE)],
        capture_output=True,
        text=True,
        check=True,
        env=os.environ,
    )
    assert out.stdout.strip().splitlines()[-1] == "[]"


def test_a_bad_setting_fails_the_dag_import_with_the_variable_named(tmp_path):
    env = {**os.environ, "EURASIA_TASK_RETRIES": "lots"}
    out = subprocess.run(
        [sys.executable, "-c", "import runpy, sys; runpy.run_path(sys.argv[1])", str(DAG_FILE)],
        capture_output=True,
        text=True,
        env=env,
    )
    assert out.returncode != 0
    assert "EURASIA_TASK_RETRIES='lots' must be a whole number" in out.stderr


def test_warehouse_writers_share_one_queue_and_failures_are_reported(dagbag):
    """Under Celery every writer must land on the one worker holding the warehouse volume."""
    from eurasia.alerts import task_failed

    dag = dagbag.get_dag("eurasia_pipeline")
    queue = os.environ.get("EURASIA_WAREHOUSE_QUEUE") or "warehouse"
    for task in dag.tasks:
        expected = "default" if task.task_id.startswith("extract_") else queue
        assert task.queue == expected, task.task_id
        assert task_failed in task.on_failure_callback, task.task_id
