"""Run the dbt project in-process against the warehouse, holding the single-writer lock."""

from __future__ import annotations

import json
import logging
import os
from dataclasses import dataclass

from eurasia import demo
from eurasia.settings import PROJECT_ROOT, Settings
from eurasia.warehouse import connect_read_only, writer_lock

log = logging.getLogger(__name__)

DBT_PROJECT_DIR = PROJECT_ROOT / "dbt_project"


class DbtBuildError(RuntimeError):
    """dbt build ran and some model or data test failed; the message lists which."""


@dataclass(frozen=True)
class BuildResult:
    succeeded: int
    warned: list[str]
    failed: list[str]


# "As of" is a property of the landed data, never of the clock: the demo snapshot's own date, or
# the day of the latest live request. The marts span every year loaded, so the years a run asked
# for are not passed either: the same landed data give the same marts on any day.
AS_OF_SQL = """
select
    bool_or(vintage like 'demo-%'),
    strftime(max(requested_at) filter (where vintage = 'live') at time zone 'UTC', '%Y-%m-%d')
from raw.landings
"""

# The rows of marts.data_quality that block publishing, to name them when the build fails.
BLOCKING_FAULTS_SQL = """
select issue, republic_iso3, year, measure, partner_iso3, detail
from marts.data_quality where severity = 'error'
order by issue, republic_iso3, year, measure, partner_iso3
"""


def as_of_date(con) -> str | None:
    """The data's own date: the snapshot's for demo landings, the latest live request's else."""
    has_demo, latest_live = con.execute(AS_OF_SQL).fetchone()
    if has_demo:
        return demo.SNAPSHOT_AS_OF
    return latest_live


def dbt_vars(settings: Settings) -> dict:
    """The vars of a build of the warehouse as it is now (read before dbt opens it)."""
    with connect_read_only(settings.warehouse_path) as con:
        as_of = as_of_date(con)
    return {} if as_of is None else {"as_of_date": as_of}


def blocking_faults(settings: Settings, limit: int = 20) -> list[str]:
    """What blocks publishing, one line each, from marts.data_quality (empty if not built)."""
    try:
        with connect_read_only(settings.warehouse_path) as con:
            rows = con.execute(BLOCKING_FAULTS_SQL).fetchall()
    except Exception:  # noqa: BLE001 - the mart may not exist when the build stopped earlier
        return []
    lines = [
        f"{issue}: {' '.join(str(x) for x in (republic, year, measure, partner) if x is not None)}"
        f" - {detail}"
        for issue, republic, year, measure, partner, detail in rows[:limit]
    ]
    if len(rows) > limit:
        lines.append(f"... and {len(rows) - limit} more (select * from marts.data_quality)")
    return lines


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
        args += ["--vars", json.dumps(dbt_vars(settings))]
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
        faults = blocking_faults(settings)
        raise DbtBuildError(
            "dbt build failed; the marts were not all rebuilt:\n  "
            + "\n  ".join(
                failed
                or [f"(see the dbt log in {settings.warehouse_path.parent / 'dbt' / 'logs'})"]
            )
            + ("\nWhat blocks publishing (marts.data_quality):\n  " + "\n  ".join(faults))
            * bool(faults)
        )
    log.info("dbt build: %d nodes ok, %d warnings", succeeded, len(warned))
    return BuildResult(succeeded, warned, failed)
