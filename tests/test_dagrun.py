"""What `make run` shows from Airflow's output: tasks, own progress, dbt tallies, failures."""

from __future__ import annotations

import io

from eurasia.dagrun import _follow

AIRFLOW_OUTPUT = """\
2026-11-29T14:48:50.1Z [info     ] Filling up the DagBag [airflow.models.dagbag] loc=x.py:1
2026-11-29T14:48:51.1Z [info     ] [DAG TEST] running task <TaskInstance: eurasia_pipeline.extract_comtrade_reporter_side manual__x [TaskInstanceState.SCHEDULED]> [airflow.sdk] loc=dag.py:1
2026-11-29T14:48:52.1Z [info     ] comtrade reporter: call 1/6 planned, 356 rows landed [eurasia.comtrade] loc=client.py:1
2026-11-29T14:48:52.2Z [warning  ] rate limited (HTTP 429); waiting 3 s [eurasia.http] loc=http.py:1
2026-11-29T14:48:53.1Z [error    ] Task failed with exception [task] loc=task_runner.py:1676
Traceback (most recent call last):
  File "/x/task_runner.py", line 1579, in _run_task_and_map_outcome
    result = _execute_task(context=context, ti=ti, log=log)
eurasia.transform.DbtBuildError: dbt build failed; the marts were not all rebuilt:
  coverage_has_no_unexplained_gaps: Got 3 results, configured to fail if != 0
2026-11-29T14:48:53.2Z [info     ] Task instance state updated [airflow.api] new_state=failed
\x1b[0m14:44:30  12 of 156 OK created sql table model marts.trade_shares ..... [\x1b[32mOK\x1b[0m in 0.1s]
14:44:30  13 of 156 OK created sql view model staging.stg_x ..... [OK in 0.1s]
2026-11-29T14:48:54.1Z [info     ] Eurasia warehouse /w.duckdb [eurasia.summary] loc=pipeline.py:1
"""


class FakeProcess:
    stdout = io.StringIO(AIRFLOW_OUTPUT)


def test_shows_tasks_progress_failures_and_mart_builds_only(capsys):
    log_file = io.StringIO()
    _follow(FakeProcess(), log_file)
    shown = capsys.readouterr().out.splitlines()
    assert shown == [
        "▶ extract_comtrade_reporter_side",
        "    comtrade reporter: call 1/6 planned, 356 rows landed",
        "    ! rate limited (HTTP 429); waiting 3 s",
        "  ✗ task failed:",
        "    eurasia.transform.DbtBuildError: dbt build failed; the marts were not all rebuilt:",
        "      coverage_has_no_unexplained_gaps: Got 3 results, configured to fail if != 0",
        "    dbt: 12 of 156 OK created sql table model marts.trade_shares",
    ]
    assert log_file.getvalue() == AIRFLOW_OUTPUT  # everything is kept in the log file
