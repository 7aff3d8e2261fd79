"""`make airflow` end to end: the real scheduler runs the DAG, triggered through the REST API.

Unlike `airflow dags test`, every task then runs in a process of its own and talks to the API
server's execution API. The test starts `python -m eurasia.localairflow` (what `make airflow`
runs) on a free port with its own AIRFLOW_HOME and warehouse, offline on the demo snapshot;
triggers one run that must fail (years in the future) and one that must succeed; checks the
failure line and its webhook post, and the published marts; then stops it as Ctrl-C does and
checks that no process is left behind.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

import duckdb
import pytest
from webhook_receiver import WebhookReceiver

from eurasia import localairflow
from eurasia.demo import SNAPSHOT_YEARS

# This checkout; every Airflow process imports its package (PYTHONPATH), not another copy.
PROJECT_ROOT = Path(__file__).resolve().parent.parent

DAG = "eurasia_pipeline"
# The snapshot's last ten years: the release window and the reporting patterns are those of a
# full demo run, in a third of the time.
LAST_YEAR = int(SNAPSHOT_YEARS.split("-")[1])
YEARS = f"{LAST_YEAR - 9}-{LAST_YEAR}"
START_TIMEOUT = 240
RUN_TIMEOUT = 900
REPUBLICS = 15


# Straight to 127.0.0.1, whatever proxy the environment names.
LOCAL = urllib.request.build_opener(urllib.request.ProxyHandler({}))


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def api(port: int, method: str, path: str, body: dict | None = None) -> tuple[int, dict]:
    request = urllib.request.Request(
        f"http://127.0.0.1:{port}/api/v2{path}",
        method=method,
        data=json.dumps(body).encode() if body is not None else None,
        headers={"Content-Type": "application/json"},
    )
    try:
        with LOCAL.open(request, timeout=30) as answer:
            return answer.status, json.loads(answer.read() or b"{}")
    except urllib.error.HTTPError as error:
        return error.code, {"detail": error.read().decode(errors="replace")}


def processes_with_home(airflow_home: Path) -> list[str]:
    """Every process whose environment names this test's AIRFLOW_HOME: ours, or left over."""
    marker = f"AIRFLOW_HOME={airflow_home}".encode()
    found = []
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit() or int(proc.name) == os.getpid():
            continue
        try:
            if marker in (proc / "environ").read_bytes().split(b"\0"):
                found.append(f"{proc.name}: {(proc / 'cmdline').read_bytes()!r}")
        except OSError:  # gone meanwhile, or not ours to read
            continue
    return found


def python_path() -> str:
    """This checkout first, then whatever the caller's PYTHONPATH adds (make test-clock-ahead)."""
    return os.pathsep.join(filter(None, [str(PROJECT_ROOT), os.environ.get("PYTHONPATH")]))


def wait_for(what: str, check, timeout: float, supervisor: subprocess.Popen, log: Path):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if supervisor.poll() is not None:
            pytest.fail(
                f"make airflow exited ({supervisor.returncode}) waiting for {what}:\n"
                + log.read_text()[-4000:]
            )
        result = check()
        if result:
            return result
        time.sleep(2)
    pytest.fail(f"timed out after {timeout:.0f} s waiting for {what}:\n" + log.read_text()[-4000:])


def dag_parsed(port: int) -> bool:
    try:
        return api(port, "GET", f"/dags/{DAG}")[0] == 200
    except urllib.error.URLError:  # the API server is not listening yet
        return False


def trigger(port: int, years: str) -> str:
    status, run = api(
        port, "POST", f"/dags/{DAG}/dagRuns", {"logical_date": None, "conf": {"years": years}}
    )
    assert status == 200, run
    return run["dag_run_id"]


def run_state(port: int, run_id: str) -> str | None:
    status, run = api(port, "GET", f"/dags/{DAG}/dagRuns/{urllib.parse.quote(run_id)}")
    assert status == 200, run
    return run["state"] if run["state"] in ("success", "failed") else None


def task_log_lines(airflow_home: Path, run_id: str) -> list[dict]:
    lines = []
    for path in (airflow_home / "logs" / f"dag_id={DAG}" / f"run_id={run_id}").rglob("*.log"):
        for line in path.read_text().splitlines():
            try:
                lines.append(json.loads(line))
            except json.JSONDecodeError:
                continue
    return lines


def failure_lines(airflow_home: Path, run_id: str) -> list[str]:
    """The one-line reasons the failure callback wrote into the run's task logs."""
    return [
        line["event"]
        for line in task_log_lines(airflow_home, run_id)
        if str(line.get("event", "")).startswith("FAILED ")
    ]


@pytest.mark.slow
def test_make_airflow_runs_the_dag_under_the_scheduler(tmp_path):
    airflow_home, warehouse = tmp_path / "airflow", tmp_path / "wh" / "eurasia.duckdb"
    port = free_port()
    log = tmp_path / "make-airflow.log"
    with WebhookReceiver() as receiver, open(log, "w") as log_file:
        env = {
            key: value
            for key, value in os.environ.items()
            # Nothing of a developer's own Airflow or keys may leak into this one.
            if not key.startswith(("AIRFLOW__DATABASE", "AIRFLOW__CORE__EXECUTOR", "EURASIA_"))
            and key not in ("COMTRADE_API_KEY", "IMF_API_KEY")
        }
        env.update(
            AIRFLOW_HOME=str(airflow_home),
            PYTHONPATH=python_path(),
            AIRFLOW_PORT=str(port),
            AIRFLOW__CORE__DAGS_FOLDER=str(PROJECT_ROOT / "dags"),
            AIRFLOW__CORE__LOAD_EXAMPLES="False",
            AIRFLOW__CORE__DAGS_ARE_PAUSED_AT_CREATION="True",
            EURASIA_SOURCE="snapshot",
            EURASIA_WAREHOUSE=str(warehouse),
            EURASIA_YEARS=YEARS,
            EURASIA_TASK_RETRIES="0",
            EURASIA_ALERT_WEBHOOK=receiver.url,
        )
        supervisor = subprocess.Popen(
            [sys.executable, "-m", "eurasia.localairflow"],
            env=env,
            cwd=PROJECT_ROOT,
            stdout=log_file,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        try:
            wait_for(
                "the DAG to be parsed",
                lambda: dag_parsed(port),
                START_TIMEOUT,
                supervisor,
                log,
            )
            # Triggered while paused, they wait; unpausing lets the scheduler start them (and
            # the month's scheduled run, which catchup=False makes the only one).
            failing = trigger(port, "2090-2091")
            succeeding = trigger(port, YEARS)
            status, dag = api(port, "PATCH", f"/dags/{DAG}", {"is_paused": False})
            assert (status, dag["is_paused"]) == (200, False), dag
            states = wait_for(
                "both runs to finish",
                lambda: (
                    (s := [run_state(port, failing), run_state(port, succeeding)])[0] and s[1] and s
                ),
                RUN_TIMEOUT,
                supervisor,
                log,
            )
            assert states == ["failed", "success"], failure_lines(airflow_home, succeeding)

            # The failure: one line in the task's log, and the same line at the webhook.
            failed_lines = failure_lines(airflow_home, failing)
            assert failed_lines, "no failure line in the failed run's task logs"
            assert all("is outside" in line and "2090-2091" in line for line in failed_lines)
            posted = [p["json"]["text"] for p in receiver.posts if p["json"]["run_id"] == failing]
            assert sorted(posted) == sorted(failed_lines)

            published = warehouse.parent / "published" / "eurasia.duckdb"
            with duckdb.connect(str(published), read_only=True) as con:
                partners = dict(
                    con.execute(
                        "select partner_iso3, count(distinct republic_iso3) "
                        "from marts.trade_shares_preferred where share is not null "
                        f"and year between {YEARS.replace('-', ' and ')} group by all"
                    ).fetchall()
                )
                vintages = con.execute(
                    "select distinct source, vintage, is_synthetic from marts.trade_shares "
                    "where share is not null order by 1"
                ).fetchall()
            # China's share for all 15 republics; Russia's for the 14 others (not of itself).
            assert partners == {"CHN": REPUBLICS, "RUS": REPUBLICS - 1}
            # UN Comtrade demo (synthetic), the bundled IMF workbooks real: never mixed
            assert vintages == [
                ("comtrade", "demo-synthetic-v1", True),
                ("imf", "imf-dots-2022-02", False),
            ]
        finally:
            # Ctrl-C: SIGINT to the supervisor, which stops every component's process group.
            supervisor.send_signal(signal.SIGINT)
            try:
                code = supervisor.wait(timeout=90)
            except subprocess.TimeoutExpired:
                os.killpg(supervisor.pid, signal.SIGKILL)
                code = None
    assert code == 0, log.read_text()[-4000:]
    assert "SIGINT: stopping Airflow" in log.read_text()
    time.sleep(1)
    assert processes_with_home(airflow_home) == []


def test_stop_ends_each_component_with_what_it_started():
    """No orphans: a component's children die with it, even one that ignores SIGTERM."""
    components = {
        "polite": subprocess.Popen(["bash", "-c", "sleep 300 & wait"], start_new_session=True),
        # Ignores SIGTERM, like a task process busy in C code: the grace ends with SIGKILL.
        "stubborn": subprocess.Popen(
            ["bash", "-c", "trap '' TERM; sleep 300 & wait; sleep 300"], start_new_session=True
        ),
    }
    time.sleep(0.5)
    started = time.monotonic()
    localairflow.stop(components, grace=2)
    assert time.monotonic() - started < 10
    for process in components.values():
        assert process.returncode is not None
        assert localairflow.live_group_members(process.pid) == []


def test_components_share_the_port_and_admit_everyone_locally_only():
    env = localairflow.component_env(18123, {"AIRFLOW_HOME": "/tmp/x"})
    assert env["AIRFLOW__CORE__EXECUTION_API_SERVER_URL"] == "http://127.0.0.1:18123/execution/"
    assert env["AIRFLOW__API__HOST"] == "127.0.0.1"
    assert env["AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_ALL_ADMINS"] == "True"
    assert env["AIRFLOW__CORE__DAGS_FOLDER"].endswith("/dags")
    assert localairflow._command("api-server", 18123)[-4:] == [
        "--host",
        "127.0.0.1",
        "--port",
        "18123",
    ]


def refused_start(port: str, airflow_home: Path) -> str:
    """Start `make airflow`'s supervisor expecting a refusal: its message; nothing created."""
    out = subprocess.run(
        [sys.executable, "-m", "eurasia.localairflow"],
        capture_output=True,
        text=True,
        env={
            **os.environ,
            "AIRFLOW_PORT": port,
            "AIRFLOW_HOME": str(airflow_home),
            "PYTHONPATH": python_path(),
        },
        timeout=60,
    )
    assert out.returncode == 2, out.stdout + out.stderr
    assert not airflow_home.exists()
    return out.stderr


def test_a_bad_port_stops_before_anything_starts(tmp_path):
    message = refused_start("99999", tmp_path / "airflow")
    assert "AIRFLOW_PORT='99999' must be a TCP port" in message


def test_a_port_in_use_is_named_before_anything_starts(tmp_path):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        message = refused_start(str(port), tmp_path / "airflow")
    assert f"127.0.0.1:{port} is in use" in message
