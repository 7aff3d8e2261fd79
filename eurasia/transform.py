"""Run the dbt project in-process against the warehouse, holding the single-writer lock."""

from __future__ import annotations

import json
import logging
import os
from dataclasses import dataclass

from eurasia.settings import PROJECT_ROOT, Settings
from eurasia.warehouse import writer_lock

log = logging.getLogger(__name__)

DBT_PROJECT_DIR = PROJECT_ROOT / "dbt_project"


class DbtBuildError(RuntimeError):
    """dbt build ran and some model or data test failed; the message lists which."""


@dataclass(frozen=True)
class BuildResult:
    succeeded: int
    warned: list[str]
    failed: list[str]


def dbt_vars(settings: Settings) -> dict:
    return {"first_year": settings.years.first, "last_year": settings.years.last}


def dbt_build(settings: Settings, extra_args: list[str] | None = None) -> BuildResult:
    # Imported here: dbt is heavy, and DAG files import this module at parse time.
    from dbt.adapters.duckdb.connections import DuckDBConnectionManager
    from dbt.cli.main import dbtRunner

    args = [
        "build",
        "--project-dir",
        str(DBT_PROJECT_DIR),
        "--profiles-dir",
        str(DBT_PROJECT_DIR),
        "--vars",
        json.dumps(dbt_vars(settings)),
        # dbt's artefacts and logs beside the warehouse they describe, so that builds of
        # different warehouses (demo, live, a test's) never share a target folder.
        "--target-path",
        str(settings.warehouse_path.parent / "dbt" / "target"),
        "--log-path",
        str(settings.warehouse_path.parent / "dbt" / "logs"),
        # Seeds otherwise keep the columns of their first load, so a seed that gains a column
        # would fail; every model is a view or a full table anyway, so this costs nothing.
        "--full-refresh",
        *(extra_args or []),
    ]
    # The profile reads the warehouse path from the environment.
    os.environ["EURASIA_WAREHOUSE"] = str(settings.warehouse_path)
    with writer_lock(settings.lock_path):
        try:
            outcome = dbtRunner().invoke(args)
        finally:
            # In-process dbt keeps its DuckDB connection open until told otherwise, which
            # would block the next writer and every read-only reader.
            DuckDBConnectionManager.close_all_connections()
    if outcome.exception is not None:
        raise DbtBuildError(f"dbt could not run: {outcome.exception}") from outcome.exception
    results = list(outcome.result or [])
    failed = [
        f"{r.node.name}: {(r.message or '').strip()[:300]}"
        for r in results
        if str(r.status) in ("error", "fail")
    ]
    warned = [
        f"{r.node.name}: {(r.message or '').strip()[:300]}"
        for r in results
        if str(r.status) == "warn"
    ]
    succeeded = len(results) - len(failed) - len(warned)
    for line in warned:
        log.warning("dbt warning - %s", line)
    if failed or not outcome.success:
        raise DbtBuildError(
            "dbt build failed; the marts were not all rebuilt:\n  "
            + "\n  ".join(
                failed
                or [f"(see the dbt log in {settings.warehouse_path.parent / 'dbt' / 'logs'})"]
            )
        )
    log.info("dbt build: %d nodes ok, %d warnings", succeeded, len(warned))
    return BuildResult(succeeded, warned, failed)
