"""The DAG end to end through Airflow (`airflow dags test`), as `make run` and `make run-live` do.

Offline: the bundled demo snapshot. Live: stand-in APIs on 127.0.0.1 that serve the same demo
data in the real wire formats, cut answers at the record caps, and answer some requests with
429 and 503. Either way the marts must hold exactly the arithmetic of the served values.
"""

from __future__ import annotations

import csv
import gzip
import io
import json
import os
import secrets
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest
from faked_clock import at_date

from eurasia import reference
from eurasia.demo import SNAPSHOT_AS_OF, SNAPSHOT_YEARS
from eurasia.demo.generate_snapshot import FDI_YEARS
from eurasia.demo.imf_imts_api import ImfDataflows, ImfImtsEngine, bundled_observations
from eurasia.demo.snapshot_engines import COMTRADE_SNAPSHOT, snapshot_routes
from eurasia.demo.standin import Fault, StandinServer
from eurasia.settings import PROJECT_ROOT

pytestmark = pytest.mark.slow

KAZ, TKM, CHN, RUS, WORLD, EU = 398, 795, 156, 643, 0, 97
# The years a demo run covers by default: the snapshot's own, whatever the date.
FIRST_YEAR, LAST_YEAR = (int(y) for y in SNAPSHOT_YEARS.split("-"))
YEARS = LAST_YEAR - FIRST_YEAR + 1
RATE_LIMITED = Fault(
    429,
    b'{ "statusCode": 429, "message": "Rate limit is exceeded. Try again in 1 seconds." }',
    {"Retry-After": "1", "Content-Type": "application/json"},
)
UNAVAILABLE = Fault(503, b"Service Unavailable", {"Content-Type": "text/plain"})


def served_comtrade() -> dict[tuple[int, int, str, int], float]:
    with gzip.open(COMTRADE_SNAPSHOT, "rt") as f:
        records = json.load(f)["data"]
    return {
        (r["reporterCode"], r["partnerCode"], r["flowCode"], r["refYear"]): r["primaryValue"]
        for r in records
    }


def run_dag(env_overrides: dict[str, str], at: str | None = None) -> subprocess.CompletedProcess:
    """The pipeline through Airflow; `at` sets its clock (libfaketime), else it runs on the
    suite's."""
    env = {**os.environ, "EURASIA_TASK_RETRIES": "0", **env_overrides}
    for key in ("COMTRADE_API_KEY", "IMF_API_KEY"):
        if key not in env_overrides:
            env.pop(key, None)
    command = [sys.executable, "-m", "eurasia.dagrun", "eurasia_pipeline"]
    if at is not None:
        purpose = "the live pipeline cannot be run at the date of the stand-ins' world"
        command, env = at_date(at, command, env, purpose=purpose)
    return subprocess.run(
        command,
        capture_output=True,
        text=True,
        env=env,
        cwd=PROJECT_ROOT,
        timeout=600,
    )


def query(warehouse: Path, sql: str, params=None):
    with duckdb.connect(str(warehouse), read_only=True) as con:
        return con.execute(sql, params or []).fetchall()


def share(warehouse: Path, iso3: str, year: int, flow: str, partner: str, basis: str):
    rows = query(
        warehouse,
        "select share from marts.trade_shares where republic_iso3 = ? and year = ? "
        "and flow = ? and partner_iso3 = ? and basis = ?",
        [iso3, year, flow, partner, basis],
    )
    assert len(rows) == 1, (iso3, year, flow, partner, basis, rows)
    return rows[0][0]


# Holes the IMTS stand-in of the live run leaves in the real data it re-serves, so that the run
# meets what the IMF does: an observation not served, one served without a value, a republic-year
# with no figure at all. (country, indicator, counterpart, year); counterpart None = every one.
IMTS_NOT_SERVED = {
    ("KGZ", "MG_CIF_USD", "RUS", 2014),  # Russia's value of Kyrgyzstan's imports
    ("ARM", "XG_FOB_USD", "G001", 2015),  # Armenia's world exports
    ("TJK", "XG_FOB_USD", None, 2013),  # Tajikistan 2013: nothing at all
    ("TJK", "MG_CIF_USD", None, 2013),
}
IMTS_SERVED_EMPTY = {("UZB", "XG_FOB_USD", "CHN", 2016)}  # OBS_VALUE ''
IMTS_INDICATORS = {"export": "XG_FOB_USD", "import": "MG_CIF_USD"}


def imts_with_holes() -> list[dict[str, str]]:
    rows = []
    for row in bundled_observations():
        key = (
            row["COUNTRY"],
            row["INDICATOR"],
            row["COUNTERPART_COUNTRY"],
            int(row["TIME_PERIOD"]),
        )
        if key in IMTS_NOT_SERVED or (*key[:2], None, key[3]) in IMTS_NOT_SERVED:
            continue
        rows.append({**row, "OBS_VALUE": ""} if key in IMTS_SERVED_EMPTY else row)
    return rows


def landed_imts(raw_zone: Path) -> dict[tuple[str, str, str, int], str]:
    """What the IMTS stand-in served, read back from the landed SDMX-CSV bodies (csv module)."""
    served = {}
    bodies = sorted(raw_zone.glob("imf_imts/**/*.csv.gz")) + sorted(
        raw_zone.glob("imf_imts/**/*.csv")
    )
    assert bodies, f"no IMTS answer landed under {raw_zone}"
    for path in bodies:
        text = (
            gzip.decompress(path.read_bytes()).decode()
            if path.suffix == ".gz"
            else path.read_text()
        )
        for row in csv.DictReader(io.StringIO(text)):
            key = (
                row["COUNTRY"],
                row["INDICATOR"],
                row["COUNTERPART_COUNTRY"],
                int(row["TIME_PERIOD"]),
            )
            served[key] = row["OBS_VALUE"]
    return served


def imf_shares_served(served, years: range) -> dict[tuple[str, int, str, str], float | None]:
    """(republic, year, flow, partner) -> partner / World of the served values, None where one
    is not served or empty; total = (exports + imports) / (world exports + world imports), only
    where all four are there. Only republic-years with some figure served (the marts have no
    IMF row for the others; coverage says why)."""

    def value(country, indicator, counterpart, year) -> float | None:
        text = served.get((country, indicator, counterpart, year))
        return float(text) if text not in (None, "") else None

    shares = {}
    for republic in (economy.iso3 for economy in reference.republics()):
        for year in years:
            if not any(k[0] == republic and k[3] == year for k in served):
                continue
            for partner in {"CHN", "RUS"} - {republic}:
                parts = []
                for flow, indicator in IMTS_INDICATORS.items():
                    p = value(republic, indicator, partner, year)
                    w = value(republic, indicator, "G001", year)
                    assert w is None or (w > 0 and (p is None or p <= w)), (republic, year, flow)
                    shares[republic, year, flow, partner] = None if None in (p, w) else p / w
                    parts.append((p, w))
                (pe, we), (pi, wi) = parts
                complete = None not in (pe, we, pi, wi)
                shares[republic, year, "total", partner] = (
                    (pe + pi) / (we + wi) if complete else None
                )
    return shares


def mirror_world(served, partner: int, flow_declared: str, year: int) -> float:
    """What all reporters declare with `partner`, less the EU aggregate and the partner itself."""
    return sum(
        value
        for (reporter, p, flow, y), value in served.items()
        if p == partner and flow == flow_declared and y == year and reporter not in (EU, partner)
    )


@pytest.fixture(scope="module")
def snapshot_run(tmp_path_factory):
    warehouse = tmp_path_factory.mktemp("snapshot") / "eurasia.duckdb"
    result = run_dag({"EURASIA_SOURCE": "snapshot", "EURASIA_WAREHOUSE": str(warehouse)})
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-2000:]
    return warehouse, result.stdout


def test_offline_run_is_labelled_demo_and_summarised(snapshot_run):
    _, stdout = snapshot_run
    assert stdout.count("DEMO DATA") >= 2
    assert "China vs Russia" in stdout
    assert "eurasia_pipeline succeeded" in stdout
    vintages = query(
        snapshot_run[0],
        "select distinct source, vintage, is_synthetic from marts.trade_shares "
        "where world_value_usd is not null order by 1",
    )
    # UN Comtrade demo (synthetic) beside the real IMF workbooks, each labelled
    assert vintages == [("comtrade", "demo-synthetic-v1", True), ("imf", "imf-dots-2022-02", False)]
    # The run announces demo data as it starts; in the summary the real answer comes first.
    summary = stdout[stdout.index("Eurasia warehouse") :]
    assert summary.index("REAL DATA") < summary.index("DEMO DATA")


def test_offline_run_covers_every_republic_year_and_measure(snapshot_run):
    warehouse, _ = snapshot_run
    ((republics, years, measures, rows),) = query(
        warehouse,
        "select count(distinct republic_iso3), count(distinct year), count(distinct measure), "
        "count(*) from marts.coverage where source_id <> 'imf'",
    )
    assert (republics, years, measures) == (15, YEARS, 4)
    # Trade: every year, three measures; FDI: from the first year the IMF data cover.
    assert rows == 15 * YEARS * 3 + 15 * (LAST_YEAR - FDI_YEARS.start + 1)
    assert query(warehouse, "select count(*) from marts.coverage where status = 'missing'") == [
        (0,)
    ]
    # The IMF's goods trade (real, bundled DOTS): its own rows, for every republic and flow of
    # the trade years and of the years the workbooks give of that republic: Latvia's from 1989
    # (a lone 1989 import figure), every other republic's from 1992; all to 2020.
    imf = query(
        warehouse,
        "select republic_iso3, min(year), max(year), count(*), "
        "count(distinct (year, measure)), bool_or(is_synthetic), "
        "count(*) filter (where status <> 'reported' and reason is null) "
        "from marts.coverage where source_id = 'imf' group by all",
    )
    first_imf_year = {r: 1989 if r == "LVA" else 1992 for r, *_ in imf}
    assert len(imf) == 15
    for republic, first, last, n, keys, synthetic, unexplained in imf:
        span = LAST_YEAR - first_imf_year[republic] + 1
        assert (first, last, n, keys, synthetic, unexplained) == (
            first_imf_year[republic],
            LAST_YEAR,
            span * 3,
            span * 3,
            False,
            0,
        ), republic
    # Latvia 1990-1991: no IMF figure, unknown, the reason quoting Latvia's own range.
    gaps = query(
        warehouse,
        "select republic_iso3, year, status, reason from marts.coverage "
        "where source_id = 'imf' and measure = 'total' and year < 1992 order by year",
    )
    range_of_latvia = "(the republic's figures run 1989-2020 in imf-dots-2022-02)"
    assert [(r, y, st) for r, y, st, _ in gaps] == [
        ("LVA", 1989, "unknown"),
        ("LVA", 1990, "unknown"),
        ("LVA", 1991, "unknown"),
    ]
    assert all(range_of_latvia in reason for *_, reason in gaps[1:])
    assert query(
        warehouse,
        "select count(distinct republic_iso3) from marts.fdi_shares where share is not null",
    ) == [(15,)]


def test_offline_run_publishes_a_copy_of_the_marts(snapshot_run):
    warehouse, stdout = snapshot_run
    published = warehouse.parent / "published" / "eurasia.duckdb"
    sql = "select count(*), sum(share) from marts.trade_shares"
    assert query(published, sql) == query(warehouse, sql)
    assert f"Eurasia warehouse {published}" in stdout


def test_offline_shares_equal_snapshot_arithmetic(snapshot_run):
    warehouse, _ = snapshot_run
    served = served_comtrade()
    want = served[(KAZ, CHN, "M", 2015)] / served[(KAZ, WORLD, "M", 2015)]
    assert share(warehouse, "KAZ", 2015, "import", "CHN", "reported") == pytest.approx(want)
    # Turkmenistan never reports: its exports to China are what China declares importing from it.
    want = served[(CHN, TKM, "M", 2015)] / mirror_world(served, TKM, "M", 2015)
    assert share(warehouse, "TKM", 2015, "export", "CHN", "mirror") == pytest.approx(want)


def test_rerunning_replaces_rather_than_duplicates(snapshot_run, tmp_path):
    warehouse, _ = snapshot_run
    before = query(warehouse, "select count(*) from raw.comtrade_records")
    result = run_dag({"EURASIA_SOURCE": "snapshot", "EURASIA_WAREHOUSE": str(warehouse)})
    assert result.returncode == 0, result.stdout[-3000:]
    assert query(warehouse, "select count(*) from raw.comtrade_records") == before
    assert query(
        warehouse, "select count(*), count(distinct landing_id) from raw.landings"
    ) == query(warehouse, "select count(*), count(*) from raw.landings")


@pytest.mark.parametrize("keyed", [False, True], ids=["keyless", "keyed"])
def test_live_run_against_misbehaving_standin_equals_served_values(tmp_path, keyed):
    # Made at run time so that the only copy in the checkout could come from the pipeline.
    api_key = "k-" + secrets.token_hex(12) if keyed else None
    routes = {f"/{name}": engine for name, engine in snapshot_routes(api_key, api_key).items()}
    # IMTS serves the real bundled figures with a few holes (IMTS_NOT_SERVED, IMTS_SERVED_EMPTY)
    routes["/imf"] = ImfDataflows(
        {"IMF.STA,IMTS": ImfImtsEngine(imts_with_holes, api_key=api_key)},
        default=routes["/imf"].default,
    )
    warehouse = tmp_path / "live" / "eurasia.duckdb"
    with StandinServer(routes) as server:
        server.fail_next(
            Fault(**{**RATE_LIMITED.__dict__, "path_prefix": "/comtrade"}),
            Fault(**{**UNAVAILABLE.__dict__, "path_prefix": "/imf"}),
            Fault(**{**UNAVAILABLE.__dict__, "path_prefix": "/comtrade"}),
        )
        env = {
            "EURASIA_SOURCE": "live",
            "EURASIA_WAREHOUSE": str(warehouse),
            "EURASIA_YEARS": "2013-2016",
            "EURASIA_REQUEST_INTERVAL": "0",
            "COMTRADE_BASE_URL": server.url + "/comtrade",
            "IMF_SDMX_BASE_URL": server.url + "/imf",
        }
        if api_key:
            env |= {"COMTRADE_API_KEY": api_key, "IMF_API_KEY": api_key}
        result = run_dag(env)
        seen = list(server.seen)
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-2000:]
    statuses = [s.status for s in seen]
    assert 429 in statuses and statuses.count(503) == 2  # misbehaved, and the run recovered
    comtrade_paths = {s.path for s in seen if s.path.startswith("/comtrade")}
    # The data availability first, then the data, both on the endpoint the key chooses.
    assert comtrade_paths == (
        {"/comtrade/data/v1/getDA/C/A/HS", "/comtrade/data/v1/get/C/A/HS"}
        if api_key
        else {"/comtrade/public/v1/getDA/C/A/HS", "/comtrade/public/v1/preview/C/A/HS"}
    )
    assert "DEMO DATA" not in result.stdout

    served = served_comtrade()
    want = served[(KAZ, CHN, "X", 2014)] / served[(KAZ, WORLD, "X", 2014)]
    assert share(warehouse, "KAZ", 2014, "export", "CHN", "reported") == pytest.approx(want)
    want = served[(CHN, TKM, "X", 2016)] / mirror_world(served, TKM, "X", 2016)
    assert share(warehouse, "TKM", 2016, "import", "CHN", "mirror") == pytest.approx(want)
    (fdi,) = query(
        warehouse,
        "select share, basis from marts.fdi_shares "
        "where republic_iso3 = 'TKM' and year = 2015 and partner_iso3 = 'CHN'",
    )
    assert fdi[1] == "derived" and fdi[0] is not None
    assert query(warehouse, "select distinct vintage from raw.landings") == [("live",)]
    assert_imf_shares_equal_served_values(warehouse, range(2013, 2017))

    if api_key:
        assert all(s.headers.get("Ocp-Apim-Subscription-Key") == api_key for s in seen)
        assert_key_written_nowhere(api_key, [warehouse.parent, PROJECT_ROOT])
    else:
        assert not any("Ocp-Apim-Subscription-Key" in s.headers for s in seen)


def assert_imf_shares_equal_served_values(warehouse: Path, years: range) -> None:
    """Every IMF row of the published trade_shares for the years asked is the arithmetic of what
    the IMTS stand-in served (read back from the landed bodies, apart from the dbt SQL): all 15
    republics, exports, imports and total, China and Russia; unknown where a value was not
    served, with the reason; and coverage has a row for every republic-year, saying why where
    the IMF gives no share."""
    published = warehouse.parent / "published" / "eurasia.duckdb"
    expected = imf_shares_served(landed_imts(warehouse.parent / "raw"), years)
    rows = query(
        published,
        "select republic_iso3, year, flow, partner_iso3, share, row_status, notes, "
        "source_dataset, is_preferred, is_synthetic from marts.trade_shares "
        "where source = 'imf' and year between ? and ?",
        [years.start, years.stop - 1],
    )
    got = {(r[0], r[1], r[2], r[3]): r[4:] for r in rows}
    assert len(got) == len(rows)  # one row per republic-year-flow-partner: live IMTS only
    assert set(got) == set(expected)
    assert {key[0] for key in got} == {economy.iso3 for economy in reference.republics()}
    assert {(ds, preferred, synthetic) for _, _, _, ds, preferred, synthetic in got.values()} == {
        ("imf_imts", True, False)
    }
    wrong = {
        key: (got[key][0], want)
        for key, want in expected.items()
        if got[key][0] != want  # exact: the same doubles divided (and added) the same way
    }
    assert not wrong, (
        f"{len(wrong)} IMF shares differ from the served values, e.g. {sorted(wrong.items())[:5]}"
    )
    unknown = {key for key, want in expected.items() if want is None}
    # the holes the stand-in left, and nothing else, are unknown - never 0 - and say why
    assert {(r, y, f) for r, y, f, _ in unknown} == {
        ("KGZ", 2014, "import"),
        ("KGZ", 2014, "total"),
        ("ARM", 2015, "export"),
        ("ARM", 2015, "total"),
        ("UZB", 2016, "export"),
        ("UZB", 2016, "total"),
    }
    for key in unknown:
        _, row_status, notes, *_ = got[key]
        assert row_status in ("partner_missing", "no_world_value", "no_data"), (key, row_status)
        assert notes and "the IMF gives no" in notes, (key, notes)

    coverage = {
        (r[0], r[1], r[2]): r[3:]
        for r in query(
            published,
            "select republic_iso3, year, measure, status, reason, is_synthetic from marts.coverage "
            "where source_id = 'imf' and year between ? and ?",
            [years.start, years.stop - 1],
        )
    }
    republics = [economy.iso3 for economy in reference.republics()]
    assert set(coverage) == {
        (r, y, m) for r in republics for y in years for m in ("export", "import", "total")
    }
    assert not any(synthetic for _, _, synthetic in coverage.values())
    for measure in ("export", "import", "total"):  # served nothing: unknown, and why
        status, reason, _ = coverage["TJK", 2013, measure]
        assert status == "unknown" and "gives no goods-trade figure" in reason
    for measure in ("export", "total"):  # no World total served
        status, reason, _ = coverage["ARM", 2015, measure]
        assert status == "unknown" and "gives no World total" in reason
    assert coverage["KGZ", 2014, "import"][0] == "reported"
    assert "the IMF gives no Russia value" in coverage["KGZ", 2014, "import"][1]
    assert "the IMF gives no China value" in coverage["UZB", 2016, "export"][1]
    reported = {k for k, (status, _, _) in coverage.items() if status == "reported"}
    assert len(reported) == len(coverage) - 3 - 2


def assert_key_written_nowhere(key: str, folders: list[Path]) -> None:
    needle = key.encode()
    skip = {".venv", ".git", "__pycache__", ".ruff_cache", ".pytest_cache"}
    for folder in folders:
        for path in folder.rglob("*"):
            if skip & set(path.relative_to(folder).parts) or not path.is_file():
                continue
            data = path.read_bytes()
            if path.suffix == ".gz":
                data += gzip.decompress(data)
            assert needle not in data, f"API key found in {path}"
            if path.suffix == ".duckdb":  # DuckDB compresses strings: ask it instead
                assert not key_in_database(path, key), f"API key found in a table of {path}"


def key_in_database(path: Path, key: str) -> bool:
    with duckdb.connect(str(path), read_only=True) as con:
        columns = con.execute(
            "select table_schema, table_name, column_name from information_schema.columns "
            "where data_type in ('VARCHAR', 'JSON') or data_type like '%[]'"
        ).fetchall()
        return any(
            con.execute(
                f'select count(*) from "{schema}"."{table}" where "{column}"::varchar like ?',
                [f"%{key}%"],
            ).fetchone()[0]
            for schema, table, column in columns
        )


def test_live_run_on_real_world_reporting_patterns_publishes(tmp_path):
    """Keyless, against stand-ins serving the snapshot's patterns: Russia silent from 2022 on
    both sides, Turkmenistan never reporting, late reporters in the last year. The build must
    pass and publish, with what no side declares left unknown, never a number.

    The stand-ins serve the snapshot's world, which is as of the snapshot's date: the pipeline
    runs at that date, on any day the suite runs. (A live run dates the marts by its own
    requests: two years later, the late reporters of 2024 would rightly be an extraction gap.)"""
    routes = {f"/{name}": engine for name, engine in snapshot_routes().items()}
    warehouse = tmp_path / "live" / "eurasia.duckdb"
    with StandinServer(routes) as server:
        env = {
            "EURASIA_SOURCE": "live",
            "EURASIA_WAREHOUSE": str(warehouse),
            "EURASIA_YEARS": "2020-2024",
            "EURASIA_REQUEST_INTERVAL": "0",
            "COMTRADE_BASE_URL": server.url + "/comtrade",
            "IMF_SDMX_BASE_URL": server.url + "/imf",
        }
        result = run_dag(env, at=f"{SNAPSHOT_AS_OF} 12:00:00")
        seen = list(server.seen)
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-2000:]
    # It ran at the stand-ins' date: the landed requests say when.
    assert query(
        warehouse,
        "select distinct strftime(requested_at at time zone 'UTC', '%Y-%m-%d') "
        "from raw.landings where vintage = 'live'",
    ) == [(SNAPSHOT_AS_OF,)]
    assert "/comtrade/public/v1/getDA/C/A/HS" in {s.path for s in seen}

    # What the source says it released was landed, and lists no Russia from 2022.
    released = query(
        warehouse,
        "select reporterISO, period::int from raw.comtrade_availability order by all",
    )
    served = served_comtrade()
    reporter_years = {(r, y) for (r, _, _, y) in served if 2020 <= y <= 2024}
    assert len(released) == len(reporter_years)
    assert not [row for row in released if row[0] in ("RUS", "TKM") and row[1] >= 2022]

    published = warehouse.parent / "published" / "eurasia.duckdb"
    assert published.exists()
    # Turkmenistan x Russia from 2022: no declaration on either side, so no share at all.
    assert query(
        published,
        "select count(*) from marts.trade_shares where republic_iso3 = 'TKM' "
        "and partner_iso3 = 'RUS' and year >= 2022 and share is not null",
    ) == [(0,)]
    unexplained = query(
        published,
        "select year, measure, status from marts.coverage where republic_iso3 = 'TKM' "
        "and year >= 2022 and measure <> 'fdi_inward' and coalesce(reason, '') = ''",
    )
    assert unexplained == []
    # No leader is named where either share is unknown.
    assert query(
        published,
        "select count(*) from marts.china_vs_russia where leader is not null "
        "and (china_share is null or russia_share is null)",
    ) == [(0,)]
    assert query(published, "select count(*) from marts.coverage where status = 'missing'") == [
        (0,)
    ]
