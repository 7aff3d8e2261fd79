"""A published demo copy built once per test session, the way `make run` builds it.

The whole DAG runs through Airflow (as `make run` does) into a session temporary folder, so the
tests of the analysts' tools read exactly what a fresh clone gets. Several test modules share one
build: the first that asks builds it, the others find it done.
"""

from __future__ import annotations

import os
import subprocess
import sys

from eurasia.settings import PROJECT_ROOT, Settings, load_settings

DONE = "BUILT"
# Opt-in, for iterating on these tests: the warehouse of an earlier `make run` (its published
# copy is used as it is, nothing is built). Unset, the session builds its own.
REUSE_ENV = "EURASIA_TEST_DEMO_WAREHOUSE"


def published_demo(tmp_path_factory) -> Settings:
    if os.environ.get(REUSE_ENV):
        settings = load_settings({"EURASIA_WAREHOUSE": os.environ[REUSE_ENV]})
        assert settings.published_path.exists(), f"{REUSE_ENV}: no published copy beside it"
        return settings
    folder = tmp_path_factory.getbasetemp() / "published-demo"
    env = {
        **os.environ,
        "EURASIA_SOURCE": "snapshot",
        "EURASIA_WAREHOUSE": str(folder / "eurasia.duckdb"),
        "EURASIA_TASK_RETRIES": "0",
    }
    for key in ("COMTRADE_API_KEY", "IMF_API_KEY", "EURASIA_PUBLISHED", "EURASIA_RAW_ZONE"):
        env.pop(key, None)
    settings = load_settings(env)
    failed = folder / "FAILED"
    # A failed build is not tried again by the next module of the same session.
    assert not failed.exists(), failed.read_text()
    if not (folder / DONE).exists():
        folder.mkdir(parents=True, exist_ok=True)
        result = subprocess.run(
            [sys.executable, "-m", "eurasia.dagrun", "eurasia_pipeline"],
            capture_output=True,
            text=True,
            env=env,
            cwd=PROJECT_ROOT,
            timeout=900,
        )
        if result.returncode != 0:
            failed.write_text(result.stdout[-4000:] + result.stderr[-2000:])
            raise AssertionError(failed.read_text())
        (folder / DONE).write_text("ok\n")
    assert settings.published_path.exists()
    return settings


def settings_env(settings: Settings) -> dict[str, str]:
    """The environment that makes a `make` target or module read this published copy."""
    env = {**os.environ, "EURASIA_SOURCE": "snapshot"}
    env["EURASIA_WAREHOUSE"] = str(settings.warehouse_path)
    env.pop("EURASIA_PUBLISHED", None)
    return env
