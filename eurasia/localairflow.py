"""`make airflow`: Airflow's api-server, scheduler and dag-processor in the foreground, locally.

State (SQLite metadata, logs, config) lives in $AIRFLOW_HOME (`.airflow/` under make), the DAGs
come from the checkout, and the API/UI listens on 127.0.0.1 only, with every visitor an admin
(Airflow's simple auth manager, `all_admins`): fine on one's own machine, never on a shared one.
The docker-compose deployment is the one with users and passwords.

Each component runs in a process group of its own, so that stopping (Ctrl-C, SIGTERM, or one
component dying) reaches what they started too: the scheduler's task processes, the API
server's workers. Nothing is left running after this returns.
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

from eurasia import demo
from eurasia.settings import PROJECT_ROOT, SettingsError, airflow_port, load_settings

# The triggerer only serves deferrable tasks; this project's DAG has none (compose runs one).
COMPONENTS = ("api-server", "scheduler", "dag-processor")
GRACE_SECONDS = 20.0


def component_env(port: int, env: dict[str, str] | None = None) -> dict[str, str]:
    """Settings every component must share: where the API is, who may use it, which executor."""
    env = dict(os.environ if env is None else env)
    # `make airflow` sets these too; here for a direct `python -m eurasia.localairflow`.
    env.setdefault("AIRFLOW__CORE__DAGS_FOLDER", str(PROJECT_ROOT / "dags"))
    env.setdefault("AIRFLOW__CORE__LOAD_EXAMPLES", "False")
    base_url = f"http://127.0.0.1:{port}"
    env.update(
        {
            "AIRFLOW__API__HOST": "127.0.0.1",
            "AIRFLOW__API__PORT": str(port),
            "AIRFLOW__API__BASE_URL": base_url,
            # Task processes report to the API server; without this they would try port 8080.
            "AIRFLOW__CORE__EXECUTION_API_SERVER_URL": f"{base_url}/execution/",
            # Local processes on one machine; SQLite serves them one writer at a time.
            "AIRFLOW__CORE__EXECUTOR": "LocalExecutor",
            "AIRFLOW__CORE__AUTH_MANAGER": (
                "airflow.api_fastapi.auth.managers.simple.simple_auth_manager.SimpleAuthManager"
            ),
            "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_ALL_ADMINS": "True",
        }
    )
    return env


def _airflow() -> str:
    return str(Path(sys.executable).with_name("airflow"))


def _command(component: str, port: int) -> list[str]:
    if component == "api-server":
        return [_airflow(), "api-server", "--host", "127.0.0.1", "--port", str(port)]
    return [_airflow(), component]


def migrate(env: dict[str, str]) -> None:
    """Create or upgrade the metadata database (after an Airflow upgrade too); quiet if fine."""
    home = Path(env.get("AIRFLOW_HOME") or Path.home() / "airflow")
    home.mkdir(parents=True, exist_ok=True)
    log_path = home / "db-migrate.log"
    with open(log_path, "w") as log_file:
        code = subprocess.call(
            [_airflow(), "db", "migrate"], stdout=log_file, stderr=subprocess.STDOUT, env=env
        )
    if code != 0:
        raise SystemExit(f"airflow db migrate failed; see {log_path}")


def stop(processes: dict[str, subprocess.Popen], grace: float = GRACE_SECONDS) -> None:
    """SIGTERM every component's process group, then SIGKILL whatever outlives the grace."""
    for process in processes.values():
        _signal_group(process, signal.SIGTERM)
    deadline = time.monotonic() + grace
    for process in processes.values():
        with contextlib.suppress(subprocess.TimeoutExpired):
            process.wait(timeout=max(0.1, deadline - time.monotonic()))
    # The leader may be gone while its group is not (a task process still finishing).
    for process in processes.values():
        _signal_group(process, signal.SIGKILL)
        process.wait()
    # Killed grandchildren linger a moment until their new parent reaps them; return only
    # once every group is gone, so that "stopped" means no process is left.
    deadline = time.monotonic() + 5
    while any(_group_exists(p) for p in processes.values()) and time.monotonic() < deadline:
        time.sleep(0.05)


def _group_exists(process: subprocess.Popen) -> bool:
    """Whether a process of this group still runs; a zombie awaiting its reaper does not."""
    return bool(live_group_members(process.pid))


def live_group_members(pgid: int) -> list[int]:
    members = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            # After the parenthesised command: state, ppid, pgrp, ...
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except (OSError, IndexError):
            continue  # gone meanwhile
        if int(fields[2]) == pgid and fields[0] != "Z":
            members.append(int(stat.parent.name))
    return members


def _signal_group(process: subprocess.Popen, signum: int) -> None:
    with contextlib.suppress(ProcessLookupError):  # the whole group is gone already
        os.killpg(process.pid, signum)


def run(port: int, env: dict[str, str]) -> int:
    migrate(env)
    stop_signal: list[int] = []

    def request_stop(signum, _frame):
        stop_signal.append(signum)

    previous = {sig: signal.signal(sig, request_stop) for sig in (signal.SIGINT, signal.SIGTERM)}
    processes: dict[str, subprocess.Popen] = {}
    try:
        for component in COMPONENTS:
            if stop_signal:
                break
            processes[component] = subprocess.Popen(
                _command(component, port), env=env, start_new_session=True
            )
        print(
            f"Airflow on http://127.0.0.1:{port} (every visitor is an admin: local use only); "
            f"state in {env.get('AIRFLOW_HOME')}. Ctrl-C stops it.",
            flush=True,
        )
        while not stop_signal:
            for component, process in processes.items():
                if process.poll() is not None:
                    print(
                        f"error: airflow {component} exited with code {process.returncode}; "
                        "stopping the others",
                        file=sys.stderr,
                        flush=True,
                    )
                    return 1
            time.sleep(0.5)
        print(f"\n{signal.Signals(stop_signal[0]).name}: stopping Airflow ...", flush=True)
        return 0
    finally:
        stop(processes)
        for sig, handler in previous.items():
            signal.signal(sig, handler)


def port_free(port: int) -> bool:
    with socket.socket() as probe:
        try:
            probe.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def main() -> int:
    try:
        port = airflow_port(os.environ.get("AIRFLOW_PORT"))
        # The DAG reads the same settings: refuse bad ones before anything starts.
        settings = load_settings()
    except SettingsError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    if not port_free(port):
        print(
            f"error: 127.0.0.1:{port} is in use (another Airflow?); "
            "pick another port, e.g. AIRFLOW_PORT=8081 make airflow",
            file=sys.stderr,
        )
        return 2
    print(f"Scheduled and triggered runs use: {settings.describe()}", flush=True)
    if settings.source == "snapshot":
        print(f"*** {demo.DEMO_NOTICE} (EURASIA_SOURCE=live for real data) ***", flush=True)
    return run(port, component_env(port))


if __name__ == "__main__":
    sys.exit(main())
