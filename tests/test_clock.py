"""The same landed data gives the same marts on any day: the demo pipeline run today and with the
clock set to 2028 (libfaketime) publishes equal marts for the snapshot's years.

Only provenance differs between the two runs (landing ids, request and load times); every other
column of every mart must be equal. `make test` installs faketime where it can; without it this
test skips and prints why.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest
from faked_clock import at_date, without_faketime

from eurasia.demo import SNAPSHOT_YEARS
from eurasia.settings import PROJECT_ROOT

pytestmark = pytest.mark.slow

FUTURE = "2028-06-01 12:00:00"
PURPOSE = "the pipeline cannot be run with the clock set ahead"
# Columns that say which landing or run a row came from, or when something was fetched or
# built: they differ between two runs by design.
# The raw-zone file a landing went to is named after its run (body_file), and share history
# names the pipeline run that recorded it and when: all provenance.
PROVENANCE = re.compile(
    r"landing_id|requested_at|loaded_at|built_at|run_id|run_started|landed_at|body_file"
    r"|pipeline_run|recorded_at"
)


def fresh_airflow_home(target: Path) -> Path:
    """A private Airflow home with its own metadata database: runs dated 2028 never enter the
    shared one, and nothing registered there by other runs (DAG bundles, files) leaks in."""
    target.mkdir(parents=True)
    env = {**os.environ, "AIRFLOW_HOME": str(target), "AIRFLOW__CORE__LOAD_EXAMPLES": "False"}
    airflow = Path(sys.executable).with_name("airflow")
    migrated = subprocess.run(
        [str(airflow), "db", "migrate"], capture_output=True, text=True, env=env, timeout=300
    )
    assert migrated.returncode == 0, migrated.stdout[-2000:] + migrated.stderr[-2000:]
    return target


def run_demo(warehouse: Path, airflow_home: Path, future: bool) -> str:
    # "Today" is the real clock, also under make test-clock-ahead (its faked clock is dropped).
    env = without_faketime(dict(os.environ))
    env |= {"EURASIA_TASK_RETRIES": "0", "AIRFLOW_HOME": str(airflow_home)}
    env |= {"EURASIA_SOURCE": "snapshot", "EURASIA_WAREHOUSE": str(warehouse)}
    env.pop("EURASIA_YEARS", None)  # the default: the snapshot's years, whatever the date
    command = [sys.executable, "-m", "eurasia.dagrun", "eurasia_pipeline"]
    if future:
        command, env = at_date(FUTURE, command, env, purpose=PURPOSE)
    result = subprocess.run(
        command, capture_output=True, text=True, env=env, cwd=PROJECT_ROOT, timeout=900
    )
    assert result.returncode == 0, (
        f"demo run {'at ' + FUTURE if future else 'today'} failed:\n"
        + result.stdout[-4000:]
        + result.stderr[-2000:]
    )
    return result.stdout


def marts(published: Path) -> dict[str, list[tuple]]:
    """Every mart's rows for the snapshot's years, without provenance columns, sorted."""
    first, last = (int(y) for y in SNAPSHOT_YEARS.split("-"))
    out = {}
    with duckdb.connect(str(published), read_only=True) as con:
        tables = [
            t
            for (t,) in con.execute(
                "select table_name from information_schema.tables where table_schema = 'marts' "
                "order by 1"
            ).fetchall()
        ]
        for table in tables:
            columns = [
                c
                for (c,) in con.execute(
                    "select column_name from information_schema.columns where table_schema = "
                    "'marts' and table_name = ? order by ordinal_position",
                    [table],
                ).fetchall()
                if not PROVENANCE.search(c)
            ]
            where = f"where year between {first} and {last}" if "year" in columns else ""
            select = ", ".join(f'"{c}"' for c in columns)
            rows = con.execute(f'select {select} from marts."{table}" {where}').fetchall()
            out[table] = sorted(rows, key=repr)
    return out


def test_marts_built_with_the_clock_in_2028_equal_todays(tmp_path):
    command, env = at_date(
        FUTURE,
        [sys.executable, "-c", "import datetime; print(datetime.date.today())"],
        dict(os.environ),
        purpose=PURPOSE,
    )
    probe = subprocess.run(command, capture_output=True, text=True, env=env, timeout=60)
    assert probe.stdout.strip() == FUTURE[:10], f"faketime does not set the clock: {probe}"
    airflow_home = fresh_airflow_home(tmp_path / "airflow")

    run_demo(tmp_path / "today" / "eurasia.duckdb", airflow_home, future=False)
    stdout = run_demo(tmp_path / "future" / "eurasia.duckdb", airflow_home, future=True)

    assert "eurasia_pipeline succeeded" in stdout
    today = marts(tmp_path / "today" / "published" / "eurasia.duckdb")
    future = marts(tmp_path / "future" / "published" / "eurasia.duckdb")
    assert {"trade_shares", "coverage", "china_vs_russia"} <= set(today)
    assert set(future) == set(today)
    # (share_changes is empty after a warehouse's first run: nothing moved yet.)
    assert all(today[table] for table in ("trade_shares", "coverage", "china_vs_russia"))
    differing = {
        table: next(
            (pair for pair in zip(today[table], future[table], strict=False) if pair[0] != pair[1]),
            f"{len(today[table])} rows today, {len(future[table])} in 2028",
        )
        for table in today
        if future[table] != today[table]
    }
    assert differing == {}, "marts that differ when built in 2028 (first differing rows)"
