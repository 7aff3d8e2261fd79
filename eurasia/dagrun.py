"""Run a DAG once through Airflow (`airflow dags test`) and show a person what matters.

`make run` and `make run-live` call this. Airflow's own output is verbose; it goes to a log file
under $AIRFLOW_HOME/runs/, while the terminal shows task starts, the pipeline's own progress
lines, failures, and at the end the run summary.
"""

from __future__ import annotations

import datetime as dt
import os
import re
import subprocess
import sys
import time
from pathlib import Path

from eurasia import demo
from eurasia.settings import SettingsError, load_settings

TASK_START = re.compile(r"\[DAG TEST\] running task <TaskInstance: [\w.]+?\.(\w+) ")
# Lines our own loggers wrote inside tasks: "... [info ] message [eurasia.x.y] ..."
OWN_LOG = re.compile(r"\[(info|warning|error)\s*\]\s+(.*?)\s+\[(eurasia[\w.]*)\]")
TASK_FAILED = re.compile(r"Task failed with exception")
TIMESTAMPED = re.compile(r"^\d{4}-\d\d-\d\dT")
# dbt prints its progress straight to stdout: keep mart builds, problems and the tally.
DBT_LINE = re.compile(
    r"\d+ of \d+ (OK created \S+ \S+ model marts\.\S+|ERROR.*|FAIL.*|WARN.*)|Done\. PASS=.*"
)
ANSI = re.compile(r"\x1b\[[0-9;]*m")
# The summary task logs the report too (for the Airflow UI); it is printed once at the end here.
QUIET_LOGGERS = ("eurasia.summary",)


def _echo(line: str) -> None:
    print(line, flush=True)


def _follow(process: subprocess.Popen, log_file) -> None:
    """Copy Airflow's output to the log file and echo the lines a person needs."""
    # After "Task failed with exception": skip the traceback's frames, echo the exception and
    # the lines of its message until Airflow's next timestamped log line.
    state = "normal"
    for raw in process.stdout:
        log_file.write(raw)
        line = ANSI.sub("", raw.rstrip("\n"))
        if state == "traceback":
            if line.startswith(("Traceback", " ")) or not line:
                continue
            state = "message"
        if state == "message":
            if not TIMESTAMPED.match(line):
                _echo(f"    {line}")
                continue
            state = "normal"
        if match := TASK_START.search(line):
            _echo(f"▶ {match.group(1)}")
        elif match := OWN_LOG.search(line):
            level, message, logger = match.groups()
            if logger not in QUIET_LOGGERS:
                _echo(f"    {'! ' if level != 'info' else ''}{message}")
        elif match := DBT_LINE.search(line):
            _echo(f"    dbt: {match.group(0).strip(' .')}")
        elif TASK_FAILED.search(line):
            _echo("  ✗ task failed:")
            state = "traceback"


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    dag_id = argv[0] if argv else "eurasia_pipeline"
    try:
        settings = load_settings()  # refuse bad settings before Airflow starts or anything is sent
    except SettingsError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    _echo(f"Running {dag_id} through Airflow: {settings.describe()}")
    if settings.source == "snapshot":
        _echo(f"*** {demo.DEMO_NOTICE} ***")
    env = dict(os.environ)
    # One-shot runs fail fast; the HTTP clients still retry transient API failures themselves.
    env.setdefault("EURASIA_TASK_RETRIES", "0")
    logs = Path(env.get("AIRFLOW_HOME", ".airflow")) / "runs"
    logs.mkdir(parents=True, exist_ok=True)
    log_path = logs / f"{dag_id}-{dt.datetime.now(dt.UTC):%Y%m%dT%H%M%SZ}.log"
    started = time.monotonic()
    with open(log_path, "w") as log_file:
        process = subprocess.Popen(
            [str(Path(sys.executable).with_name("airflow")), "dags", "test", dag_id],
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            env=env,
        )
        _follow(process, log_file)
        code = process.wait()
    elapsed = time.monotonic() - started
    if code != 0:
        _echo(f"\n{dag_id} FAILED after {elapsed:.0f} s. Full Airflow log: {log_path}")
        return 1
    from eurasia.report import run_summary

    _echo("")
    _echo(run_summary(settings))
    _echo(f"\n{dag_id} succeeded in {elapsed:.0f} s. Full Airflow log: {log_path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
