"""Publish the built warehouse as a separate file for analysts and BI tools, plus Parquet.

DuckDB allows one read-write process or many read-only ones, never both: a dashboard holding
the build file would block the pipeline, and the pipeline would lock out the dashboard. So the
pipeline builds in its own file and, only after `dbt build` has passed, publishes a copy:
CHECKPOINT (so nothing is left in the write-ahead log), copy to a temporary name, then an atomic
rename over the published file. Readers see the previous complete version or the new one,
never a half-built one, and readers that still hold the old file keep reading it undisturbed.

Every mart also goes out as Parquet, for tools that do not speak DuckDB, written by DuckDB's
COPY from the very copy being published. One Parquet file per mart cannot be swapped in one
rename, so each publication writes a new folder `parquet-versions/<version>/` and then points
the symlink `parquet` at it with one atomic rename of the link. At every instant `parquet/`
is one whole publication; a reader that reads several marts and must not mix two publications
resolves the link once (`os.path.realpath`, or `published_parquet_folder`) and reads from the
folder it names. Version folders are never changed after the switch; the one just replaced is
kept until the next publication, so such a reader is not cut off midway.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import os
import secrets
import shutil
import tempfile
from pathlib import Path

import duckdb

from eurasia.settings import Settings
from eurasia.warehouse import connect_for_writing

log = logging.getLogger(__name__)

PARQUET_LINK = "parquet"
PARQUET_VERSIONS = "parquet-versions"
PARQUET_MANIFEST = "_MANIFEST.json"
# The current version and the one it replaced: a reader that resolved the link just before a
# switch can finish; older versions are removed.
PARQUET_VERSIONS_KEPT = 2


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
        version_folder = None
        try:
            with os.fdopen(handle, "wb") as out, open(settings.warehouse_path, "rb") as src:
                shutil.copyfileobj(src, out, 1 << 20)
                out.flush()
                os.fsync(out.fileno())  # the copy is on disk before its name is
            os.chmod(staging, 0o644)
            version_folder = _export_parquet(Path(staging), target.parent)
            os.replace(staging, target)
            _switch_parquet_link(target.parent, version_folder)
        except BaseException:
            Path(staging).unlink(missing_ok=True)
            if version_folder is not None and not _is_current(target.parent, version_folder):
                shutil.rmtree(version_folder, ignore_errors=True)
            raise
        _prune_parquet_versions(target.parent)
    log.info(
        "published %d mart tables to %s (open it read-only) and as Parquet in %s",
        tables,
        target,
        target.parent / PARQUET_LINK,
    )
    return target


def published_parquet_folder(settings: Settings) -> Path:
    """The folder of the current Parquet publication, resolved once: read all marts from it."""
    link = settings.published_path.parent / PARQUET_LINK
    if not link.exists():
        raise FileNotFoundError(f"{link} does not exist yet; run `make run` first")
    return link.resolve()


def _export_parquet(database: Path, published_dir: Path) -> Path:
    """Every marts table of `database` as <mart>.parquet in a new version folder."""
    stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%S%fZ")
    folder = published_dir / PARQUET_VERSIONS / f"{stamp}-{secrets.token_hex(3)}"
    folder.mkdir(parents=True)
    try:
        rows = _copy_marts(database, folder)
        manifest = {
            "published_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
            "version": folder.name,
            "rows": rows,
        }
        (folder / PARQUET_MANIFEST).write_text(json.dumps(manifest, indent=2) + "\n")
        for path in folder.iterdir():
            with open(path, "rb") as written:
                os.fsync(written.fileno())
    except BaseException:
        shutil.rmtree(folder, ignore_errors=True)
        raise
    return folder


def _copy_marts(database: Path, folder: Path) -> dict[str, int]:
    rows = {}
    # Read-only: the copy about to be published is read, never changed.
    with duckdb.connect(str(database), read_only=True) as con:
        marts = [
            name
            for (name,) in con.execute(
                "select table_name from information_schema.tables "
                "where table_schema = 'marts' order by table_name"
            ).fetchall()
        ]
        for mart in marts:
            path = folder / f"{mart}.parquet"
            # COPY takes no parameter for its file name; the name is ours, quotes doubled anyway.
            literal = str(path).replace("'", "''")
            con.execute(f"COPY marts.\"{mart}\" TO '{literal}' (FORMAT parquet, COMPRESSION zstd)")
            rows[mart] = con.execute(f'select count(*) from marts."{mart}"').fetchone()[0]
    return rows


def _switch_parquet_link(published_dir: Path, version_folder: Path) -> None:
    link = published_dir / PARQUET_LINK
    if link.exists() and not link.is_symlink():
        # A plain folder cannot be replaced in one rename; refuse rather than delete by surprise.
        raise RuntimeError(
            f"{link} is a folder, not the link publications switch; move it away and run again"
        )
    # A relative target keeps the published folder valid when mounted elsewhere (e.g. in a
    # container). Symlink to a temporary name, then rename it over the link: one atomic step.
    temporary = published_dir / f".{PARQUET_LINK}.{secrets.token_hex(4)}"
    os.symlink(Path(PARQUET_VERSIONS) / version_folder.name, temporary)
    try:
        os.replace(temporary, link)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise


def _is_current(published_dir: Path, version_folder: Path) -> bool:
    link = published_dir / PARQUET_LINK
    return link.is_symlink() and link.resolve() == version_folder.resolve()


def _prune_parquet_versions(published_dir: Path) -> None:
    versions_dir = published_dir / PARQUET_VERSIONS
    current = (published_dir / PARQUET_LINK).resolve()
    # Version names start with a UTC timestamp, so name order is publication order.
    versions = sorted(p for p in versions_dir.iterdir() if p.is_dir())
    for old in versions[:-PARQUET_VERSIONS_KEPT]:
        if old.resolve() != current:
            shutil.rmtree(old, ignore_errors=True)
