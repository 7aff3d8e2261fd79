"""What `make run` shows from Airflow's output: tasks, own progress, dbt tallies, failures."""

from __future__ import annotations

import io

from eurasia.dagrun import TaskFailure, _ending, _follow, last_exception

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
        "  ✗ extract_comtrade_reporter_side failed (DbtBuildError):",
        "    dbt build failed; the marts were not all rebuilt:",
        "      coverage_has_no_unexplained_gaps: Got 3 results, configured to fail if != 0",
        "    dbt: 12 of 156 OK created sql table model marts.trade_shares",
    ]
    assert log_file.getvalue() == AIRFLOW_OUTPUT  # everything is kept in the log file


# What Airflow prints for an exception raised `from` another: both tracebacks, about 45 lines.
CHAINED = """\
2026-12-02T05:42:40.1Z [info     ] [DAG TEST] running task <TaskInstance: eurasia_pipeline.load_raw_tables manual__x [TaskInstanceState.SCHEDULED]> [airflow.sdk] loc=dag.py:1
2026-12-02T05:42:41.1Z [error    ] Task failed with exception [task] loc=task_runner.py:1676
Traceback (most recent call last):
  File "/work/main/eurasia/warehouse.py", line 100, in _connect
    return duckdb.connect(str(path), read_only=read_only)
           ^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^
_duckdb.IOException: IO Error: Could not set lock on file "/w/eurasia.duckdb": Conflicting lock is held in /usr/bin/python3.11 (PID 17097).

The above exception was the direct cause of the following exception:

Traceback (most recent call last):
  File "/x/task_runner.py", line 1579, in _run_task_and_map_outcome
    result = _execute_task(context=context, ti=ti, log=log)
             ^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^
  File "/work/main/eurasia/warehouse.py", line 104, in _connect
    raise WarehouseBusyError(
eurasia.warehouse.WarehouseBusyError: /w/eurasia.duckdb is open in another process (a DuckDB shell). Close the other connection and run again.

2026-12-02T05:42:41.2Z [info     ] Task instance state updated [airflow.api] new_state=failed
"""


def test_a_chained_exception_shows_its_last_message_only_and_the_run_ends_with_it(capsys):
    class Chained:
        stdout = io.StringIO(CHAINED)

    failures = _follow(Chained(), io.StringIO())
    shown = capsys.readouterr().out.splitlines()
    assert shown == [
        "▶ load_raw_tables",
        "  ✗ load_raw_tables failed (WarehouseBusyError):",
        "    /w/eurasia.duckdb is open in another process (a DuckDB shell). "
        "Close the other connection and run again.",
    ]
    ending = _ending("eurasia_pipeline", 22.4, 1, failures, "/logs/run.log").splitlines()
    assert ending[-2] == (
        "eurasia_pipeline FAILED after 22 s. Full Airflow log, with tracebacks: /logs/run.log"
    )
    assert ending[-1] == (
        "✗ load_raw_tables: /w/eurasia.duckdb is open in another process (a DuckDB shell). "
        "Close the other connection and run again."
    )


def test_the_ending_lists_every_failed_task_and_ends_with_the_last_in_full():
    failures = [
        TaskFailure("extract_imf_direct_investment", "ApiError", ["imf: HTTP 401. Check it."]),
        TaskFailure("dbt_build_marts", "DbtBuildError", ["dbt build failed:", "  test_x: 3"]),
    ]
    assert _ending("d", 5, 1, failures, "l").splitlines()[-3:] == [
        "✗ extract_imf_direct_investment: imf: HTTP 401. Check it.",
        "✗ dbt_build_marts: dbt build failed:",
        "    test_x: 3",
    ]


def test_a_killed_run_says_so():
    assert _ending("d", 5, -9, [], "l").splitlines()[-1] == (
        "✗ airflow dags test ended (killed by signal 9) before a task said why"
    )


def test_last_exception_without_a_traceback_takes_the_block_as_the_message():
    assert last_exception(["ValueError: bad", "  detail"]) == ("ValueError", ["bad", "  detail"])
    assert last_exception([]) == ("", [])


RACE_OUTPUT = """\
2026-12-02T07:52:23.3Z [info     ] Filling up the DagBag [airflow.models.dagbag] loc=x.py:1
sqlalchemy.exc.PendingRollbackError: ... Original exception was: (sqlite3.IntegrityError) UNIQUE constraint failed: dag.dag_id
"""


def test_a_run_that_lost_airflows_dag_registration_race_starts_again(monkeypatch, tmp_path):
    """Two `make run` at the same moment on a fresh Airflow database: the loser of the insert of
    the DAG's row stops before any task runs. It must start again, not fail the pipeline run."""
    from eurasia import dagrun, report

    outputs = iter([(RACE_OUTPUT, 1), ("", 0)])
    started = []

    class Process:
        def __init__(self, args, **kwargs):
            text, self.code = next(outputs)
            self.stdout = io.StringIO(text)
            started.append(args)

        def wait(self):
            return self.code

    monkeypatch.setattr(dagrun.subprocess, "Popen", Process)
    monkeypatch.setattr(dagrun, "_fail_runs_left_by_killed_processes", lambda *a: FakeThread())
    monkeypatch.setattr(report, "run_summary", lambda settings: "summary")
    monkeypatch.setenv("AIRFLOW_HOME", str(tmp_path))
    assert dagrun.main(["eurasia_pipeline"]) == 0
    assert len(started) == 2
    assert len(list((tmp_path / "runs").iterdir())) == 2  # one log file per attempt


class FakeThread:
    def join(self):
        pass
