"""Load completed raw-zone runs into DuckDB raw tables with DuckDB's own readers.

Set-based and idempotent: a run's years replace the rows of the same dataset and years, inside
one transaction, so loading a run twice, or fetching a year again, never duplicates rows and a
failure leaves the tables as they were.
"""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass
from pathlib import Path

import duckdb

from eurasia import quarantine, shrink_guard
from eurasia.comtrade import releases
from eurasia.rawzone import new_run_id, read_manifest

log = logging.getLogger(__name__)

# The Comtrade v1 record, field by field, with the types the API uses. Declaring them keeps a
# column typed even when every value in a batch is null (qty, netWgt often are).
COMTRADE_FIELDS: dict[str, str] = {
    "typeCode": "VARCHAR",
    "freqCode": "VARCHAR",
    "refPeriodId": "INTEGER",
    "refYear": "INTEGER",
    "refMonth": "INTEGER",
    "period": "VARCHAR",
    "reporterCode": "INTEGER",
    "reporterISO": "VARCHAR",
    "reporterDesc": "VARCHAR",
    "flowCode": "VARCHAR",
    "flowDesc": "VARCHAR",
    "partnerCode": "INTEGER",
    "partnerISO": "VARCHAR",
    "partnerDesc": "VARCHAR",
    "partner2Code": "INTEGER",
    "partner2ISO": "VARCHAR",
    "partner2Desc": "VARCHAR",
    "classificationCode": "VARCHAR",
    "classificationSearchCode": "VARCHAR",
    "isOriginalClassification": "BOOLEAN",
    "cmdCode": "VARCHAR",
    "cmdDesc": "VARCHAR",
    "aggrLevel": "INTEGER",
    "isLeaf": "BOOLEAN",
    "customsCode": "VARCHAR",
    "customsDesc": "VARCHAR",
    "mosCode": "VARCHAR",
    "motCode": "INTEGER",
    "motDesc": "VARCHAR",
    "qtyUnitCode": "INTEGER",
    "qtyUnitAbbr": "VARCHAR",
    "qty": "DOUBLE",
    "isQtyEstimated": "BOOLEAN",
    "altQtyUnitCode": "INTEGER",
    "altQtyUnitAbbr": "VARCHAR",
    "altQty": "DOUBLE",
    "isAltQtyEstimated": "BOOLEAN",
    "netWgt": "DOUBLE",
    "isNetWgtEstimated": "BOOLEAN",
    "grossWgt": "DOUBLE",
    "isGrossWgtEstimated": "BOOLEAN",
    "cifvalue": "DOUBLE",
    "fobvalue": "DOUBLE",
    "primaryValue": "DOUBLE",
    "legacyEstimationFlag": "INTEGER",
    "isReported": "BOOLEAN",
    "isAggregate": "BOOLEAN",
}

# UN Comtrade's data availability (getDA): one record per released reporter-year. Only the fields
# the warehouse uses are declared; the API sends more (isExtended*, datasetCode, ...). The
# checksum is a number in the API's answers but is an opaque token here: VARCHAR keeps it whole
# whatever its size or sign.
AVAILABILITY_FIELDS: dict[str, str] = {
    "typeCode": "VARCHAR",
    "freqCode": "VARCHAR",
    "classificationCode": "VARCHAR",
    "period": "VARCHAR",
    "reporterCode": "INTEGER",
    "reporterISO": "VARCHAR",
    "reporterDesc": "VARCHAR",
    "totalRecords": "BIGINT",
    "datasetChecksum": "VARCHAR",
    "firstReleased": "TIMESTAMP",  # naive, as the API sends them
    "lastReleased": "TIMESTAMP",
}

IMF_DIP_COLUMNS = (
    "DATAFLOW",
    "COUNTRY",
    "DV_TYPE",
    "INDICATOR",
    "COUNTERPART_COUNTRY",
    "FREQUENCY",
    "TIME_PERIOD",
    "OBS_VALUE",
    "SCALE",
    "STATUS",
)

LANDING_COLUMNS = {
    "landing_id": "VARCHAR",
    "source": "VARCHAR",
    "dataset": "VARCHAR",
    "run_id": "VARCHAR",
    "vintage": "VARCHAR",
    "url": "VARCHAR",
    "params": "JSON",
    "requested_at": "TIMESTAMPTZ",
    "http_status": "INTEGER",
    "content_type": "VARCHAR",
    "body_file": "VARCHAR",
    "body_sha256": "VARCHAR",
    "body_bytes": "BIGINT",
    "record_count": "BIGINT",
    "years": "INTEGER[]",
}


def _struct(fields: dict[str, str]) -> str:
    return "STRUCT(" + ", ".join(f'"{k}" {v}' for k, v in fields.items()) + ")"


def _columns_ddl(fields: dict[str, str]) -> str:
    return ", ".join(f'"{k}" {v}' for k, v in fields.items())


def _sql_list(values) -> str:
    return "[" + ", ".join("'" + str(v).replace("'", "''") + "'" for v in values) + "]"


def create_raw_tables(con: duckdb.DuckDBPyConnection) -> None:
    con.execute("CREATE SCHEMA IF NOT EXISTS raw")
    con.execute(
        f"CREATE TABLE IF NOT EXISTS raw.landings ({_columns_ddl(LANDING_COLUMNS)}, "
        "loaded_at TIMESTAMPTZ)"
    )
    con.execute(
        "CREATE TABLE IF NOT EXISTS raw.comtrade_records (landing_id VARCHAR, dataset VARCHAR, "
        f"requested_at TIMESTAMPTZ, {_columns_ddl(COMTRADE_FIELDS)})"
    )
    con.execute(
        "CREATE TABLE IF NOT EXISTS raw.comtrade_availability (landing_id VARCHAR, "
        f"dataset VARCHAR, requested_at TIMESTAMPTZ, {_columns_ddl(AVAILABILITY_FIELDS)})"
    )
    imf_columns = ", ".join(f'"{c}" VARCHAR' for c in IMF_DIP_COLUMNS)
    con.execute(
        "CREATE TABLE IF NOT EXISTS raw.imf_dip_observations (landing_id VARCHAR, "
        f"dataset VARCHAR, requested_at TIMESTAMPTZ, {imf_columns})"
    )
    con.execute(
        "CREATE TABLE IF NOT EXISTS raw.comtrade_releases_loaded (dataset VARCHAR, "
        f"{_columns_ddl(RELEASE_FIELDS)}, run_id VARCHAR, loaded_at TIMESTAMPTZ, "
        "pipeline_run VARCHAR)"
    )
    from eurasia import loader_imf_trade  # here: that module imports helpers of this one

    loader_imf_trade.create_tables(con)
    quarantine.create_quarantine_tables(con)


# A reporter-year release a Comtrade pull was fetched for (eurasia.comtrade.releases), recorded
# in raw.comtrade_releases_loaded when the pull is loaded: which release the warehouse holds.
RELEASE_FIELDS: dict[str, str] = {
    "reporterCode": "INTEGER",
    "period": "VARCHAR",
    "datasetChecksum": "VARCHAR",
    "lastReleased": "TIMESTAMP",
    "availability_landing_id": "VARCHAR",
}


@dataclass(frozen=True)
class LoadResult:
    source: str
    dataset: str
    run_id: str
    years: list[int]
    landings: int
    rows_loaded: int
    rows_replaced: int
    rows_quarantined: int = 0


def _stage_landings(con, raw_zone: Path, folder: Path, manifest: dict) -> list[str]:
    """Load this run's sidecars into a temp table; return the body paths that hold data."""
    sidecars = sorted(str(p) for p in folder.glob("*.request.json"))
    listed = set(manifest["landings"])
    if sidecars:
        con.execute(
            "CREATE OR REPLACE TEMP TABLE run_landings AS SELECT * FROM read_json("
            f"{_sql_list(sidecars)}, format='unstructured', hive_partitioning=false, "
            f"columns={{{_json_columns()}}})"
        )
    else:
        # A run that asked for nothing (e.g. IMF years before 2009) is complete but has no
        # sidecars; read_json([]) is an error, so stage an empty table of the same shape.
        con.execute(f"CREATE OR REPLACE TEMP TABLE run_landings ({_columns_ddl(LANDING_COLUMNS)})")
    con.execute(f"DELETE FROM run_landings WHERE landing_id NOT IN {_sql_list(listed)}")
    found = con.execute("SELECT count(*) FROM run_landings").fetchone()[0]
    if found != len(listed):
        raise RuntimeError(
            f"{folder}: manifest lists {len(listed)} landings but {found} sidecars match; "
            "the raw zone was changed after extraction. Extract again."
        )
    rows = con.execute(
        "SELECT body_file FROM run_landings WHERE coalesce(record_count, 0) > 0 ORDER BY 1"
    ).fetchall()
    return [str(raw_zone / r[0]) for r in rows]


def _json_columns() -> str:
    return ", ".join(f"'{k}': '{v}'" for k, v in LANDING_COLUMNS.items())


def _insert_comtrade_json(
    con, bodies: list[str], raw_zone: Path, table: str, fields: dict[str, str]
) -> int:
    """Each element of the answers' `data` arrays becomes a row of `table`."""
    if not bodies:
        return 0
    selected = ", ".join(f'r."{k}"' for k in fields)
    con.execute(
        f"""
        INSERT INTO {table}
        SELECT l.landing_id, l.dataset, l.requested_at, {selected}
        FROM (
            SELECT filename, unnest(data) AS r
            FROM read_json({_sql_list(bodies)}, format='unstructured', filename=true,
                           hive_partitioning=false,
                           maximum_object_size=536870912,
                           columns={{'data': '{_struct(fields)}[]'}})
        ) AS b
        JOIN run_landings AS l ON b.filename = ? || '/' || l.body_file
        """,
        [str(raw_zone)],
    )
    return _count_run(con, table)


def _read_comtrade(con, bodies: list[str], raw_zone: Path) -> None:
    # Read as JSON and cast leniently: a malformed record is quarantined, never a cast error.
    quarantine.read_comtrade(con, bodies, raw_zone, COMTRADE_FIELDS)


def _insert_comtrade(con, bodies: list[str], raw_zone: Path) -> int:
    return quarantine.insert_read(con, "raw.comtrade_records", COMTRADE_FIELDS)


def _insert_availability(con, bodies: list[str], raw_zone: Path) -> int:
    return _insert_comtrade_json(
        con, bodies, raw_zone, "raw.comtrade_availability", AVAILABILITY_FIELDS
    )


def _read_imf(con, bodies: list[str], raw_zone: Path) -> None:
    if not bodies:
        quarantine.read_imf(con, None, "", IMF_DIP_COLUMNS, raw_zone)
        return
    # SDMX-CSV quoted attributes may span lines; DuckDB's reader handles quoted newlines.
    source = (
        f"read_csv({_sql_list(bodies)}, all_varchar=true, header=true, union_by_name=true, "
        "filename=true, hive_partitioning=false, delim=',', quote='\"', escape='\"', "
        "max_line_size=10000000)"
    )
    present = {r[0] for r in con.execute(f"DESCRIBE SELECT * FROM {source}").fetchall()}
    select = ", ".join(_imf_column(c, present) for c in IMF_DIP_COLUMNS)
    quarantine.read_imf(con, source, select, IMF_DIP_COLUMNS, raw_zone)


def _insert_imf(con, bodies: list[str], raw_zone: Path) -> int:
    return quarantine.insert_read(con, "raw.imf_dip_observations", IMF_DIP_COLUMNS)


# Tables whose runs are read before anything is replaced: malformed records are marked for
# quarantine, and the shrink guard compares what the run brings with what it would replace.
_READERS = {"raw.comtrade_records": _read_comtrade, "raw.imf_dip_observations": _read_imf}


def _imf_column(name: str, present: set[str]) -> str:
    if name == "DATAFLOW" and "STRUCTURE_ID" in present:
        # SDMX-CSV 2.0 names the dataflow STRUCTURE_ID. With union_by_name a run holding both
        # flavours has both columns, each NULL in the other flavour's rows: take whichever is set.
        if name in present:
            return 'coalesce(c."DATAFLOW", c."STRUCTURE_ID") AS "DATAFLOW"'
        return 'c."STRUCTURE_ID" AS "DATAFLOW"'
    if name in present:
        return f'c."{name}"'
    return f'NULL AS "{name}"'


def _count_run(con, table: str) -> int:
    return con.execute(
        f"SELECT count(*) FROM {table} WHERE landing_id IN (SELECT landing_id FROM run_landings)"
    ).fetchone()[0]


def load_runs(
    con: duckdb.DuckDBPyConnection,
    raw_zone: Path,
    run_folders: list[Path],
    *,
    full_refresh: bool = False,
    pipeline_run: str | None = None,
) -> list[LoadResult]:
    """Load several runs in one transaction: all of them, or (on any failure) none.

    Availability runs load first, so that the shrink guard sees the releases they record.
    full_refresh accepts answers that shrink loaded data (see eurasia.shrink_guard).
    pipeline_run (the Airflow run id) is recorded with the Comtrade releases loaded."""
    create_raw_tables(con)
    pipeline_run = pipeline_run or f"manual__{new_run_id()}"
    order = sorted(range(len(run_folders)), key=lambda i: not _is_availability(run_folders[i]))
    con.execute("BEGIN TRANSACTION")
    try:
        loaded = {
            i: _load(con, raw_zone, run_folders[i], full_refresh, pipeline_run) for i in order
        }
        results = [loaded[i] for i in range(len(run_folders))]
        con.execute("COMMIT")
    except Exception:
        con.execute("ROLLBACK")
        raise
    _write_releases_loaded(con, raw_zone)
    for result in results:
        _log(result)
    return results


def _write_releases_loaded(con, raw_zone: Path) -> None:
    """The release of every reporter-year the warehouse now holds, per pull, for the next
    extraction to compare with (eurasia.comtrade.releases): written only after the commit, so
    a load that failed leaves its reporter-years to be asked again."""
    if not con.execute("SELECT count(*) FROM raw.comtrade_releases_loaded").fetchone()[0]:
        return
    target = raw_zone / "comtrade" / releases.LOADED_FILE
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_name(target.name + ".tmp")
    literal = str(tmp).replace("'", "''")
    con.execute(
        f"""
        COPY (
            SELECT dataset, "reporterCode", period, "lastReleased", "datasetChecksum"
            FROM raw.comtrade_releases_loaded
            QUALIFY row_number() OVER (
                PARTITION BY dataset, "reporterCode", period ORDER BY loaded_at DESC
            ) = 1
            ORDER BY ALL
        ) TO '{literal}' (FORMAT json, ARRAY true)
        """
    )
    os.replace(tmp, target)


def already_loaded(con: duckdb.DuckDBPyConnection, run_folder: Path) -> bool:
    """Whether every landing of this complete run is registered in raw.landings (so loading it
    again would change nothing); a run of no landings never counts as loaded."""
    create_raw_tables(con)
    listed = read_manifest(Path(run_folder))["landings"]
    if not listed:
        return False
    found = con.execute(
        "SELECT count(*) FROM raw.landings "
        f"WHERE landing_id IN (SELECT unnest({_sql_list(listed)}))"
    ).fetchone()[0]
    return found == len(listed)


def load_run(
    con: duckdb.DuckDBPyConnection, raw_zone: Path, run_folder: Path, *, full_refresh=False
) -> LoadResult:
    """Load one completed extraction run; replaces that dataset's rows for the run's years."""
    return load_runs(con, raw_zone, [run_folder], full_refresh=full_refresh)[0]


def _is_availability(run_folder: Path) -> bool:
    # <raw zone>/comtrade/availability/run=<id>
    return Path(run_folder).parent.name == "availability"


def _refuse_mixing_vintages(con, manifest: dict, run_folder: Path) -> None:
    """Demo and live data must not meet in one warehouse: marts would mix them silently.

    Real statistics bundled with the project (the IMF DOTS workbooks) are neither: they may sit
    beside either, labelled apart by their own vintage, and take no part in this rule."""
    from eurasia.loader_imf_trade import PUBLISHED_VINTAGES

    if manifest["vintage"] in PUBLISHED_VINTAGES:
        return
    incoming_is_demo = manifest["vintage"] != "live"
    other = con.execute(
        "SELECT any_value(vintage) FROM raw.landings WHERE (vintage = 'live') = ? "
        f"AND vintage NOT IN (SELECT unnest({_sql_list(sorted(PUBLISHED_VINTAGES))}))",
        [incoming_is_demo],
    ).fetchone()[0]
    if other is not None:
        raise RuntimeError(
            f"{run_folder} holds {'demo' if incoming_is_demo else 'live'} data (vintage "
            f"{manifest['vintage']}) but this warehouse already holds vintage {other}. Demo and "
            "live data are kept in separate warehouses (EURASIA_WAREHOUSE); point it at another "
            "file, or remove this one to start afresh."
        )


def _refuse_older_run(con, manifest: dict, run_folder: Path) -> None:
    """Loading an extraction older than one already loaded for the same years (say, an old
    Airflow task cleared and re-run by hand) would put older data over newer: refuse it."""
    newer = con.execute(
        "SELECT any_value(l.run_id) FROM raw.landings AS l WHERE l.source = ? AND l.dataset = ? "
        "AND list_has_any(l.years, ?::INTEGER[]) "
        "AND l.landing_id NOT IN (SELECT landing_id FROM run_landings) "
        "AND l.requested_at > (SELECT max(requested_at) FROM run_landings)",
        [manifest["source"], manifest["dataset"], manifest["years"]],
    ).fetchone()[0]
    if newer is not None:
        raise RuntimeError(
            f"{run_folder} was extracted before run {newer}, which is already loaded for some of "
            "the same years; loading it would put older data over newer. Extract again instead."
        )


def _target(source: str, dataset: str):
    """(table, year column, its type, insert function) a run of source/dataset loads into."""
    if source == "comtrade" and dataset == "availability":
        return "raw.comtrade_availability", '"period"', "VARCHAR", _insert_availability
    if source == "comtrade":
        return "raw.comtrade_records", '"refYear"', "INTEGER", _insert_comtrade
    if source == "imf_dip":
        return "raw.imf_dip_observations", '"TIME_PERIOD"', "VARCHAR", _insert_imf
    from eurasia import loader_imf_trade

    return loader_imf_trade.target(source, dataset)


def _reporter_year_scope(con, run_folder: Path, manifest: dict) -> str | None:
    """For a release-aware Comtrade pull (eurasia.comtrade.releases): the reporter-years it
    replaces, staged in run_reporter_years, as a condition on the table's rows; None when the
    run replaces whole years."""
    if manifest["source"] != "comtrade" or manifest["dataset"] == "availability":
        return None
    chosen = (releases.read_selection(run_folder) or {}).get("reporter_years")
    if chosen is None:
        return None
    con.execute(
        'CREATE OR REPLACE TEMP TABLE run_reporter_years ("reporterCode" INTEGER, year INTEGER)'
    )
    if chosen:
        con.executemany("INSERT INTO run_reporter_years VALUES (?, ?)", chosen)
    return '("reporterCode", "refYear") IN (SELECT "reporterCode", year FROM run_reporter_years)'


def _record_releases(con, run_folder: Path, manifest: dict, pipeline_run: str) -> None:
    """The releases a Comtrade pull was fetched for, read from its manifest by DuckDB."""
    if manifest["source"] != "comtrade" or manifest["dataset"] == "availability":
        return
    if not (releases.read_selection(run_folder) or {}).get("releases"):
        return
    literal = str(run_folder / releases.SELECTION_FILE).replace("'", "''")
    con.execute(
        f"""
        DELETE FROM raw.comtrade_releases_loaded AS l
        WHERE l.dataset = ? AND l.pipeline_run = ?
          AND ("reporterCode", period) IN (
              SELECT r."reporterCode", r.period FROM (
                  SELECT unnest(releases) AS r FROM read_json('{literal}',
                      columns={{'releases': '{_struct(RELEASE_FIELDS)}[]'}})))
        """,
        [manifest["dataset"], pipeline_run],
    )
    selected = ", ".join(f'r."{k}"' for k in RELEASE_FIELDS)
    con.execute(
        f"""
        INSERT INTO raw.comtrade_releases_loaded
        SELECT ?, {selected}, ?, now(), ?
        FROM (SELECT unnest(releases) AS r FROM read_json('{literal}',
              columns={{'releases': '{_struct(RELEASE_FIELDS)}[]'}}))
        """,
        [manifest["dataset"], manifest["run_id"], pipeline_run],
    )


def _load(
    con: duckdb.DuckDBPyConnection,
    raw_zone: Path,
    run_folder: Path,
    full_refresh: bool = False,
    pipeline_run: str = "",
) -> LoadResult:
    """One run's part of the caller's transaction."""
    manifest = read_manifest(run_folder)
    source, dataset, years = manifest["source"], manifest["dataset"], manifest["years"]
    _refuse_mixing_vintages(con, manifest, run_folder)
    bodies = _stage_landings(con, raw_zone, run_folder, manifest)
    _refuse_older_run(con, manifest, run_folder)
    target = _target(source, dataset)
    if target is None:
        raise ValueError(f"unknown source {source!r} (dataset {dataset!r}) in {run_folder}")
    table, year_column, year_cast, insert = target
    scope = _reporter_year_scope(con, run_folder, manifest)
    if table in _READERS:
        # Read before anything is replaced: an answer that would shrink loaded data sharply
        # without a new release is refused here, and the transaction rolls back.
        _READERS[table](con, bodies, raw_zone)
        shrink_guard.refuse_sharp_shrink(
            con, table, manifest, run_folder, full_refresh=full_refresh, scope=scope or "true"
        )
    if scope is not None:
        replaced = _replace_reporter_years(con, table, manifest["dataset"], scope)
        _record_releases(con, run_folder, manifest, pipeline_run)
        return _insert_run(con, raw_zone, run_folder, manifest, bodies, target, replaced)
    years_sql = _sql_list(years) if year_cast == "VARCHAR" else f"{sorted(years)}"
    # Rows of the same landings go too (loading a run again), even if a record's year
    # is outside the run's years, so that reloading can never duplicate a row. A DELETE
    # answers with the number of rows deleted (RETURNING would materialise every row).
    replaced = con.execute(
        f"DELETE FROM {table} WHERE (dataset = ? AND {year_column} IN "
        f"(SELECT unnest({years_sql}::{year_cast}[]))) "
        "OR landing_id IN (SELECT landing_id FROM run_landings)",
        [dataset],
    ).fetchone()[0]
    # Landings whose years this run replaces wholly no longer back any row: drop them from
    # the table (their files stay in the raw zone as history), and re-register this run's.
    con.execute(
        f"DELETE FROM raw.landings WHERE (source = ? AND dataset = ? "
        f"AND list_has_all({sorted(years)}::INTEGER[], years)) "
        "OR landing_id IN (SELECT landing_id FROM run_landings)",
        [source, dataset],
    )
    con.execute("INSERT INTO raw.landings SELECT *, now() FROM run_landings")
    quarantine.forget_replaced(con, table, dataset, years)
    _record_releases(con, run_folder, manifest, pipeline_run)
    return _insert_run(con, raw_zone, run_folder, manifest, bodies, target, replaced)


def _replace_reporter_years(con, table: str, dataset: str, scope: str) -> int:
    """Delete the rows (and quarantined records) of only the run's reporter-years, and the
    landings of the dataset that no longer back any of them; the run's landings come in."""
    replaced = con.execute(
        f"DELETE FROM {table} WHERE (dataset = ? AND {scope}) "
        "OR landing_id IN (SELECT landing_id FROM run_landings)",
        [dataset],
    ).fetchone()[0]
    held = quarantine.CHECKED[table][1]
    con.execute(f"DELETE FROM {held} WHERE dataset = ? AND {scope}", [dataset])
    con.execute(
        f"""
        DELETE FROM raw.landings
        WHERE landing_id IN (SELECT landing_id FROM run_landings)
           OR (source = 'comtrade' AND dataset = ? AND coalesce(record_count, 0) > 0
               AND landing_id NOT IN (SELECT landing_id FROM {table} WHERE dataset = ?)
               AND landing_id NOT IN (SELECT landing_id FROM {held} WHERE dataset = ?))
        """,
        [dataset, dataset, dataset],
    )
    con.execute("INSERT INTO raw.landings SELECT *, now() FROM run_landings")
    quarantine.forget_replaced(con, table, dataset, [])
    return replaced


def _insert_run(con, raw_zone: Path, run_folder: Path, manifest, bodies, target, replaced: int):
    """Insert the run's rows (already read); check them against the extraction's count."""
    source, dataset, years = manifest["source"], manifest["dataset"], manifest["years"]
    table, _, _, insert = target
    loaded = insert(con, bodies, raw_zone)
    set_aside = quarantine.quarantined(con, table)
    quarantined = sum(count for _, count in set_aside)
    expected = con.execute(
        "SELECT coalesce(sum(record_count), 0) FROM run_landings WHERE record_count > 0"
    ).fetchone()[0]
    if loaded + quarantined != expected:
        # The rows read back (loaded or quarantined) must be the rows counted at extraction;
        # anything else means a body was changed or misread, and nothing of the run is kept.
        raise RuntimeError(
            f"{run_folder}: read {loaded + quarantined} rows from the bodies but the extraction "
            f"counted {expected}; the raw zone was changed or misread. Nothing was loaded; "
            "extract again."
        )
    if set_aside:
        log.warning(
            "%s/%s run %s: %d records quarantined (see %s), their cells are unknown: %s",
            source,
            dataset,
            manifest["run_id"],
            quarantined,
            quarantine.CHECKED[table][1],
            "; ".join(f"{count} x {reason}" for reason, count in set_aside[:10]),
        )
    return LoadResult(
        source,
        dataset,
        manifest["run_id"],
        years,
        len(manifest["landings"]),
        loaded,
        replaced,
        quarantined,
    )


def _log(result: LoadResult) -> None:
    log.info(
        "loaded %s/%s run %s: %d landings, %d rows (replaced %d rows of years %s-%s)",
        result.source,
        result.dataset,
        result.run_id,
        result.landings,
        result.rows_loaded,
        result.rows_replaced,
        min(result.years) if result.years else "-",
        max(result.years) if result.years else "-",
    )
