"""Read landed records leniently and set malformed ones aside, so they are never read as data.

The loader reads every Comtrade record as JSON and every IMF observation as text, then casts
set-based with TRY_CAST: a value that is not what the API promises (a missing or non-numeric
`primaryValue`, a year that was not asked for, two copies of one record with different values)
puts the record - both copies of a conflicting pair - into a quarantine table with the reason,
instead of stopping the load on a cast error or silently becoming "no value". dbt flags the
cells such records touch as unknown (stg_raw_zone__quarantined_records).

Two temp tables hold a run's records between reading and inserting (`run_comtrade_read`,
`run_imf_read`): the loader's shrink guard compares them with what the warehouse holds before
anything is replaced.
"""

from __future__ import annotations

from pathlib import Path

# The natural key of a Comtrade record (as in stg_comtrade__trade_flows): within one run two
# records with this key must be one record.
COMTRADE_KEY = (
    "reporterCode",
    "partnerCode",
    "partner2Code",
    "flowCode",
    "refYear",
    "freqCode",
    "cmdCode",
    "customsCode",
    "motCode",
)
# Without these a record cannot be placed in any cell.
COMTRADE_REQUIRED = ("reporterCode", "partnerCode", "flowCode", "refYear", "primaryValue")
# UN M49 codes, as Comtrade uses them (World is 0, groups and "nes" areas stay below 1000).
M49_RANGE = (0, 999)
IMF_KEY = ("COUNTRY", "DV_TYPE", "INDICATOR", "COUNTERPART_COUNTRY", "FREQUENCY", "TIME_PERIOD")

COMTRADE_QUARANTINE_DDL = (
    "CREATE TABLE IF NOT EXISTS raw.comtrade_quarantine (landing_id VARCHAR, dataset VARCHAR, "
    "requested_at TIMESTAMPTZ, reporterCode INTEGER, partnerCode INTEGER, partner2Code INTEGER, "
    "flowCode VARCHAR, refYear INTEGER, freqCode VARCHAR, cmdCode VARCHAR, customsCode VARCHAR, "
    "motCode INTEGER, record VARCHAR, reason VARCHAR)"
)
IMF_QUARANTINE_DDL = (
    "CREATE TABLE IF NOT EXISTS raw.imf_dip_quarantine (landing_id VARCHAR, dataset VARCHAR, "
    "requested_at TIMESTAMPTZ, COUNTRY VARCHAR, DV_TYPE VARCHAR, INDICATOR VARCHAR, "
    "COUNTERPART_COUNTRY VARCHAR, FREQUENCY VARCHAR, TIME_PERIOD VARCHAR, record VARCHAR, "
    "reason VARCHAR)"
)


def create_quarantine_tables(con) -> None:
    con.execute(COMTRADE_QUARANTINE_DDL)
    con.execute(IMF_QUARANTINE_DDL)


def _quoted(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def _shown(expression: str) -> str:
    """A bad value as it arrived, shortened: enough to find it, never a whole body."""
    return f"'(' || left({expression}, 40) || ')'"


def _comtrade_reasons(fields: dict[str, str]) -> str:
    """SQL: the reasons a record `r` (JSON) of landing `l` is malformed, '; '-joined, or NULL."""
    reasons = [
        f"CASE WHEN r->>'{name}' IS NULL THEN '{name} missing' END" for name in COMTRADE_REQUIRED
    ]
    for name, sql_type in fields.items():
        if sql_type == "VARCHAR":
            continue
        value = f"(r->>'{name}')"
        reasons.append(
            f"CASE WHEN {value} IS NOT NULL AND TRY_CAST({value} AS {sql_type}) IS NULL "
            f"THEN '{name} not {sql_type.lower()} ' || {_shown(value)} END"
        )
    low, high = M49_RANGE
    for name in ("reporterCode", "partnerCode"):
        typed = f"TRY_CAST(r->>'{name}' AS INTEGER)"
        reasons.append(
            f"CASE WHEN {typed} NOT BETWEEN {low} AND {high} "
            f"THEN '{name} ' || {typed} || ' outside the M49 codes' END"
        )
    year = "TRY_CAST(r->>'refYear' AS INTEGER)"
    reasons.append(
        f"CASE WHEN len(l.years) > 0 AND NOT list_contains(l.years, {year}) "
        f"THEN 'refYear ' || {year} || ' not among the years asked (' "
        "|| array_to_string(l.years, ',') || ')' END"
    )
    return "nullif(concat_ws('; ', " + ", ".join(reasons) + "), '')"


def read_comtrade(con, bodies: list[str], raw_zone: Path, fields: dict[str, str]) -> None:
    """Read a run's records into `run_comtrade_read`: typed columns, record text and reason."""
    typed = ", ".join(
        f"r->>'{name}' AS \"{name}\""
        if sql_type == "VARCHAR"
        else f"TRY_CAST(r->>'{name}' AS {sql_type}) AS \"{name}\""
        for name, sql_type in fields.items()
    )
    body_list = "[" + ", ".join(_quoted(b) for b in bodies) + "]"
    source = (
        f"SELECT filename, unnest(data) AS r FROM read_json({body_list}, format='unstructured', "
        "filename=true, hive_partitioning=false, maximum_object_size=536870912, "
        "columns={'data': 'JSON[]'})"
        if bodies
        else "SELECT NULL::VARCHAR AS filename, NULL::JSON AS r WHERE false"
    )
    con.execute(
        f"""
        CREATE OR REPLACE TEMP TABLE run_comtrade_read AS
        SELECT l.landing_id, l.dataset, l.requested_at, {typed},
               CAST(r AS VARCHAR) AS record, {_comtrade_reasons(fields)} AS reason
        FROM ({source}) AS b
        JOIN run_landings AS l ON b.filename = ? || '/' || l.body_file
        """,
        [str(raw_zone)],
    )
    _quarantine_conflicts(con, "run_comtrade_read", COMTRADE_KEY, fields)


def read_imf(con, source: str | None, select: str, columns, raw_zone: Path) -> None:
    """Read a run's observations (all text, as received) into `run_imf_read` with a reason.

    `source` is the loader's read_csv over the run's bodies (None: the run has none), `select`
    its list of `columns`."""
    if source is None:
        typed = ", ".join(f'"{name}" VARCHAR' for name in columns)
        con.execute(
            "CREATE OR REPLACE TEMP TABLE run_imf_read (landing_id VARCHAR, dataset VARCHAR, "
            f"requested_at TIMESTAMPTZ, {typed}, record VARCHAR, reason VARCHAR)"
        )
        return
    value = "nullif(trim(OBS_VALUE), '')"
    year = "TRY_CAST(TIME_PERIOD AS INTEGER)"
    record = (
        "CAST(json_object("
        + ", ".join(f"'{name}', \"{name}\"" for name in columns)
        + ") AS VARCHAR)"
    )
    reasons = [
        f"CASE WHEN {value} IS NOT NULL AND TRY_CAST({value} AS DOUBLE) IS NULL "
        f"THEN 'OBS_VALUE not a number ' || {_shown(value)} END",
        *[f"CASE WHEN {name} IS NULL THEN '{name} missing' END" for name in IMF_KEY],
        f"CASE WHEN len(years) > 0 AND NOT list_contains(years, {year}) "
        "THEN 'TIME_PERIOD ' || TIME_PERIOD || ' not among the years asked (' "
        "|| array_to_string(years, ',') || ')' END",
    ]
    con.execute(
        f"""
        CREATE OR REPLACE TEMP TABLE run_imf_read AS
        SELECT * EXCLUDE (years), {record} AS record,
               nullif(concat_ws('; ', {", ".join(reasons)}), '') AS reason
        FROM (
            SELECT l.landing_id, l.dataset, l.requested_at, l.years, {select}
            FROM {source} AS c
            JOIN run_landings AS l ON c.filename = ? || '/' || l.body_file
        )
        """,
        [str(raw_zone)],
    )
    _quarantine_conflicts(con, "run_imf_read", IMF_KEY, {"OBS_VALUE": "", "STATUS": ""})


def _quarantine_conflicts(con, table: str, key: tuple[str, ...], values) -> None:
    """Copies of one key with different values: neither can be trusted, so both are set aside.

    Identical copies stay (staging keeps one); only well-formed records are compared."""
    fingerprint = "md5(CAST(struct_pack(" + ", ".join(f'"{v}"' for v in values) + ") AS VARCHAR))"
    columns = ", ".join(f'"{k}"' for k in key)
    matches = " AND ".join(f't."{k}" IS NOT DISTINCT FROM d."{k}"' for k in key)
    con.execute(
        f"""
        UPDATE {table} AS t
        SET reason = 'conflicting duplicates: ' || d.copies
            || ' copies of this record with different values in one load'
        FROM (
            SELECT {columns}, count(*) AS copies FROM {table}
            WHERE reason IS NULL GROUP BY ALL HAVING count(DISTINCT {fingerprint}) > 1
        ) AS d
        WHERE t.reason IS NULL AND {matches}
        """
    )


# raw table -> (the temp table a run is read into, its quarantine table, the key kept there,
# the column of the year)
CHECKED = {
    "raw.comtrade_records": (
        "run_comtrade_read",
        "raw.comtrade_quarantine",
        COMTRADE_KEY,
        "refYear",
    ),
    "raw.imf_dip_observations": ("run_imf_read", "raw.imf_dip_quarantine", IMF_KEY, "TIME_PERIOD"),
}


def insert_read(con, table: str, columns) -> int:
    """Well-formed records of the run into `table`, the others into its quarantine table.

    Returns the rows inserted into `table`."""
    read, quarantine, key, _ = CHECKED[table]
    selected = ", ".join(f'"{name}"' for name in columns)
    con.execute(
        f"INSERT INTO {table} SELECT landing_id, dataset, requested_at, {selected} "
        f"FROM {read} WHERE reason IS NULL"
    )
    kept = ", ".join(f'"{name}"' for name in key)
    con.execute(
        f"INSERT INTO {quarantine} SELECT landing_id, dataset, requested_at, {kept}, record, "
        f"reason FROM {read} WHERE reason IS NOT NULL"
    )
    return con.execute(f"SELECT count(*) FROM {read} WHERE reason IS NULL").fetchone()[0]


def quarantined(con, table: str) -> list[tuple[str, int]]:
    """(reason, records) the run set aside, most frequent first; [] for unchecked tables."""
    if table not in CHECKED:
        return []
    return con.execute(
        f"SELECT reason, count(*) FROM {CHECKED[table][0]} WHERE reason IS NOT NULL "
        "GROUP BY ALL ORDER BY 2 DESC, 1"
    ).fetchall()


def forget_replaced(con, table: str, dataset: str, years: list[int]) -> None:
    """Quarantined records of replaced years, of the run's landings (loading it again) and of
    landings no longer registered go, as the table's own rows do."""
    if table not in CHECKED:
        return
    _, quarantine, _, year_column = CHECKED[table]
    con.execute(
        f"DELETE FROM {quarantine} WHERE (dataset = ? "
        f'AND TRY_CAST("{year_column}" AS INTEGER) IN (SELECT unnest(?::INTEGER[]))) '
        "OR landing_id IN (SELECT landing_id FROM run_landings) "
        "OR landing_id NOT IN (SELECT landing_id FROM raw.landings)",
        [dataset, sorted(years)],
    )
