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
import threading
import time
from dataclasses import dataclass, field
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
# Continuation lines of an exception's message shown (a dbt failure lists its tests).
MESSAGE_LINES = 8


def _echo(line: str) -> None:
    print(line, flush=True)


@dataclass
class TaskFailure:
    """The exception a task failed with: the last one of a chain, the one with our message."""

    task: str
    exception: str  # its class name, without the module
    message: list[str] = field(default_factory=list)

    def lines(self) -> list[str]:
        first, *rest = self.message or [""]
        return [f"{self.task}: {first}" if first else self.task, *rest[:MESSAGE_LINES]]


def last_exception(block: list[str]) -> tuple[str, list[str]]:
    """(class name, message lines) of the exception a traceback block ends with.

    A chained exception prints each traceback in turn ("The above exception was the direct
    cause of the following exception:"); the last one is the one raised, and ours carries the
    message saying what to do.
    """
    starts = [i for i, line in enumerate(block) if line.startswith("Traceback (most recent")]
    lines = block[starts[-1] + 1 :] if starts else block
    while lines and (not lines[0].strip() or lines[0].startswith(" ")):
        lines = lines[1:]  # the frames, and the source lines and carets under them
    while lines and not lines[-1].strip():
        lines = lines[:-1]
    if not lines:
        return "", []
    name, _, message = lines[0].partition(": ")
    return name.rsplit(".", 1)[-1], [message.strip(), *(line.rstrip() for line in lines[1:])]


def _follow(process: subprocess.Popen, log_file) -> list[TaskFailure]:
    """Copy Airflow's output to the log file, echo the lines a person needs, return failures."""
    # After "Task failed with exception" comes a traceback, until Airflow's next timestamped
    # line: it is kept in the log file, and only the exception's message is shown.
    failures: list[TaskFailure] = []
    task = "?"
    block: list[str] | None = None
    for raw in process.stdout:
        log_file.write(raw)
        line = ANSI.sub("", raw.rstrip("\n"))
        if block is not None:
            if not TIMESTAMPED.match(line):
                block.append(line)
                continue
            failures.append(_failure(task, block))
            block = None
        if match := TASK_START.search(line):
            task = match.group(1)
            _echo(f"▶ {task}")
        elif match := OWN_LOG.search(line):
            level, message, logger = match.groups()
            if logger not in QUIET_LOGGERS:
                _echo(f"    {'! ' if level != 'info' else ''}{message}")
        elif match := DBT_LINE.search(line):
            _echo(f"    dbt: {match.group(0).strip(' .')}")
        elif TASK_FAILED.search(line):
            block = []
    if block is not None:
        failures.append(_failure(task, block))
    return failures


def _failure(task: str, block: list[str]) -> TaskFailure:
    name, message = last_exception(block)
    failure = TaskFailure(task, name, message)
    _echo(f"  ✗ {task} failed ({name or 'see the log'}):")
    for line in message[: MESSAGE_LINES + 1]:
        _echo(f"    {line}")
    return failure


def _ending(dag_id: str, elapsed: float, code: int, failures: list[TaskFailure], log_path) -> str:
    """What a failed run ends with: the failing task, its reason and what to do, last."""
    lines = [
        "",
        f"{dag_id} FAILED after {elapsed:.0f} s. Full Airflow log, with tracebacks: {log_path}",
    ]
    if not failures:
        how = f"killed by signal {-code}" if code < 0 else f"exit code {code}"
        return "\n".join([*lines, f"✗ airflow dags test ended ({how}) before a task said why"])
    *earlier, last = failures
    lines += [f"✗ {failure.lines()[0]}" for failure in earlier]
    first, *rest = last.lines()
    return "\n".join([*lines, f"✗ {first}", *(f"  {line}" for line in rest)])


def _fail_runs_left_by_killed_processes(dag_id: str, env: dict[str, str]) -> threading.Thread:
    """In the background (importing Airflow's models takes seconds): a run a killed `make run`
    left `running` is marked failed, so that its claim on the warehouse counts as stale."""

    def work() -> None:
        done = subprocess.run(
            [sys.executable, "-m", "eurasia.stale_runs", dag_id],
            capture_output=True,
            text=True,
            env=env,
        )
        for line in done.stdout.splitlines():
            _echo(f"    ! {line}")
        if done.returncode != 0:
            _echo(f"    ! could not check for runs left running: {done.stderr.strip()[-300:]}")

    thread = threading.Thread(target=work, daemon=True)
    thread.start()
    return thread


# Two `airflow dags test` started at the same moment on a metadata database that does not know
# the DAG yet both insert its row; the loser stops before any task runs. Nothing ran: start again.
STARTUP_RACE_ATTEMPTS = 3
REGISTRATION_RACE = "UNIQUE constraint failed: dag.dag_id"


def _lost_registration_race(log_path: Path) -> bool:
    return REGISTRATION_RACE in log_path.read_text(errors="replace")


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
    started = time.monotonic()
    cleanup = _fail_runs_left_by_killed_processes(dag_id, env)
    for _ in range(STARTUP_RACE_ATTEMPTS):
        log_path = logs / f"{dag_id}-{dt.datetime.now(dt.UTC):%Y%m%dT%H%M%S%fZ}-{os.getpid()}.log"
        with open(log_path, "w") as log_file:
            process = subprocess.Popen(
                [str(Path(sys.executable).with_name("airflow")), "dags", "test", dag_id],
                stdout=subprocess.PIPE,
                stderr=subprocess.STDOUT,
                text=True,
                env=env,
            )
            failures = _follow(process, log_file)
            code = process.wait()
        if code == 0 or failures or not _lost_registration_race(log_path):
            break
        _echo(
            f"    ! another run registered {dag_id} in Airflow at the same moment; starting again"
        )
    cleanup.join()
    elapsed = time.monotonic() - started
    if code != 0:
        _echo(_ending(dag_id, elapsed, code, failures, log_path))
        return 1
    from eurasia.report import run_summary

    _echo("")
    _echo(run_summary(settings))
    _echo(f"\n{dag_id} succeeded in {elapsed:.0f} s. Full Airflow log: {log_path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
