"""Publish the built warehouse as a separate file for analysts and BI tools.

DuckDB allows one read-write process or many read-only ones, never both: a dashboard holding
the build file would block the pipeline, and the pipeline would lock out the dashboard. So the
pipeline builds in its own file and, only after `dbt build` has passed, publishes a copy:
CHECKPOINT (so nothing is left in the write-ahead log), copy to a temporary name, then an atomic
rename over the published file. Readers see the previous complete version or the new one,
never a half-built one, and readers that still hold the old file keep reading it undisturbed.
"""

from __future__ import annotations

import logging
import os
import shutil
import tempfile
from pathlib import Path

from eurasia.settings import Settings
from eurasia.warehouse import connect_for_writing

log = logging.getLogger(__name__)


def publish(settings: Settings) -> Path:
    target = settings.published_path
    target.parent.mkdir(parents=True, exist_ok=True)
    # Hold the writer lock from CHECKPOINT to rename, so no load, dbt build or other publication
    # changes either file in between; a unique temporary name keeps leftovers from colliding.
    with connect_for_writing(settings.warehouse_path, settings.lock_path) as con:
        con.execute("CHECKPOINT")
        tables = con.execute(
            "select count(*) from information_schema.tables where table_schema = 'marts'"
        ).fetchone()[0]
        if tables == 0:
            raise RuntimeError(
                f"{settings.warehouse_path} has no marts to publish; run the whole pipeline first"
            )
        handle, staging = tempfile.mkstemp(prefix=target.name + ".", dir=target.parent)
        try:
            with os.fdopen(handle, "wb") as out, open(settings.warehouse_path, "rb") as src:
                shutil.copyfileobj(src, out, 1 << 20)
                out.flush()
                os.fsync(out.fileno())  # the copy is on disk before its name is
            os.chmod(staging, 0o644)
            os.replace(staging, target)
        except BaseException:
            Path(staging).unlink(missing_ok=True)
            raise
    log.info("published %d mart tables to %s (open it read-only)", tables, target)
    return target
