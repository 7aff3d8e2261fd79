"""Tools for analysts on the published copy: the DuckDB SQL shell and dbt's static docs.

Both read the published copy (`published/eurasia.duckdb` beside the warehouse), never the
warehouse the pipeline writes, so neither can block a running pipeline nor see a half-built one.

    python -m eurasia.analyst_tools sql     # make sql: the pinned DuckDB CLI, read-only
    python -m eurasia.analyst_tools docs    # make docs: published/docs/index.html
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import shutil
import sys
import tempfile
from pathlib import Path

from eurasia.settings import Settings, SettingsError, load_settings
from eurasia.transform import DBT_PROJECT_DIR, dbt_vars

log = logging.getLogger(__name__)

# The DuckDB CLI of the version pinned in the lock (package duckdb-cli), beside this Python.
DUCKDB_CLI = Path(sys.executable).parent / "duckdb"
DOCS_FOLDER = "docs"


def published_or_explain(settings: Settings) -> Path:
    path = settings.published_path
    if not path.exists():
        hint = "make run-live" if settings.source == "live" else "make run"
        raise FileNotFoundError(f"{path} does not exist yet; run `{hint}` first")
    return path


def sql_shell_command(settings: Settings) -> list[str]:
    """The DuckDB CLI on the published copy, read-only. Piped SQL is run and the CLI exits."""
    return [str(DUCKDB_CLI), "-readonly", str(published_or_explain(settings))]


def docs_profile(settings: Settings) -> str:
    """A dbt profile that opens the published copy read-only (dbt docs only reads catalogs).

    The catalog (database) name DuckDB gives a file is its stem, the same for the published
    copy as for the warehouse it was copied from, so the compiled models find their tables.
    """
    published = published_or_explain(settings)
    profile = {
        "eurasia": {
            "target": "published",
            "outputs": {
                "published": {
                    "type": "duckdb",
                    "path": str(published),
                    "config_options": {"access_mode": "READ_ONLY"},
                    "threads": 1,
                }
            },
        }
    }
    return json.dumps(profile, indent=2)  # JSON is YAML


def build_docs(settings: Settings) -> Path:
    """dbt docs generate --static into published/docs/index.html, replaced in one rename."""
    from dbt.adapters.duckdb.connections import DuckDBConnectionManager
    from dbt.cli.main import dbtRunner

    target_folder = settings.published_path.parent / DOCS_FOLDER
    with tempfile.TemporaryDirectory(prefix="eurasia-docs-") as work:
        work_dir = Path(work)
        (work_dir / "profiles.yml").write_text(docs_profile(settings))
        args = [
            "docs",
            "generate",
            "--static",
            "--project-dir",
            str(DBT_PROJECT_DIR),
            "--profiles-dir",
            str(work_dir),
            "--target-path",
            str(work_dir / "target"),
            "--log-path",
            str(work_dir / "logs"),
            "--vars",
            json.dumps(dbt_vars(settings)),
        ]
        try:
            outcome = dbtRunner().invoke(args)
        finally:
            DuckDBConnectionManager.close_all_connections()
        static = work_dir / "target" / "static_index.html"
        if not outcome.success or not static.exists():
            raise RuntimeError(
                f"dbt docs generate failed: {outcome.exception or 'see the dbt output above'}"
            )
        target_folder.mkdir(parents=True, exist_ok=True)
        staging = target_folder / ".index.html.partial"
        shutil.copyfile(static, staging)
        os.replace(staging, target_folder / "index.html")
    log.info("dbt docs: %s", target_folder / "index.html")
    return target_folder / "index.html"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m eurasia.analyst_tools", description=__doc__)
    parser.add_argument("tool", choices=["sql", "docs"])
    tool = parser.parse_args(argv).tool
    try:
        settings = load_settings()
        if tool == "sql":
            command = sql_shell_command(settings)
            # exec: the CLI takes over this process's terminal or pipe, as if started directly.
            os.execv(command[0], command)
        print(build_docs(settings))
    except (SettingsError, FileNotFoundError, RuntimeError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
