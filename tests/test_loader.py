"""The loader, on DuckDB files in temporary folders: typed, idempotent, all-or-nothing, traceable.

Runs are written with RawZoneRun from the real recorded answers in tests/fixtures (Comtrade JSON,
IMF SDMX-CSV 1.0 and 2.0), and, at the end, landed by the pipeline's own extract steps from the
bundled demo snapshot.
"""

from __future__ import annotations

import copy
import datetime as dt
import gzip
import json
from pathlib import Path

import duckdb
import pytest

from eurasia import demo, pipeline
from eurasia.imf.sdmx_csv import count_observations
from eurasia.loader import (
    AVAILABILITY_FIELDS,
    COMTRADE_FIELDS,
    IMF_DIP_COLUMNS,
    LoadResult,
    load_run,
)
from eurasia.rawzone import MANIFEST, RawZoneRun, new_run_id

FIXTURES = Path(__file__).parent / "fixtures"
COMTRADE = FIXTURES / "comtrade"
CHN_2010 = COMTRADE / "comtrade_v1_get_C_A_HS_reporter156_partners32-276_2010_TOTAL.json"
USA_2023 = COMTRADE / "comtrade_public_v1_preview_C_A_HS_reporter842_partner392_2023_TOTAL.json"
EMPTY_ANSWER = COMTRADE / "comtrade_v1_get_S_A_EB_empty_result.json"
CSV10 = FIXTURES / "imf" / "imf_dip_synthetic_sdmx_csv10.csv"
CSV20 = FIXTURES / "imf" / "imf_dip_sample_sdmx_csv20.csv"
NO_RESULTS_XML = (
    b'<?xml version="1.0" encoding="utf-8"?><message:Error><message:ErrorMessage code="100">'
    b"<common:Text>No Results Found</common:Text></message:ErrorMessage></message:Error>"
)
REQUESTED_AT = dt.datetime(2026, 3, 4, 5, 6, 7, 890_000, tzinfo=dt.UTC)
TABLES = ("raw.landings", "raw.comtrade_records", "raw.imf_dip_observations")
RECORD_KEY = ("reporterCode", "partnerCode", "flowCode", "refYear")


# --- writing runs -------------------------------------------------------------------------------


def fixture_records(path: Path) -> list[dict]:
    return json.loads(path.read_bytes())["data"]


def comtrade_body(records: list[dict]) -> bytes:
    return json.dumps(
        {"elapsedTime": "0.1 secs", "count": len(records), "data": records, "error": ""}
    ).encode()


def with_year_and_value(record: dict, year: int, value: float) -> dict:
    changed = copy.deepcopy(record)
    changed.update(
        refYear=year, period=str(year), refPeriodId=year * 10_000 + 101, primaryValue=value
    )
    return changed


def complete_run(
    root: Path, source: str, dataset: str, years: list[int], answers: list[tuple], complete=True
) -> RawZoneRun:
    """answers: (body, extension, record_count[, http_status]) per landed response."""
    # Each later run in a test is extracted a minute later, as in life: the loader refuses
    # an extraction older than one it already holds.
    start = REQUESTED_AT.timestamp() + 60 * len(list(root.glob("*/*/run=*")))
    run = RawZoneRun(root, source, dataset, new_run_id(), "test-vintage")
    for i, (body, extension, count, *status) in enumerate(answers):
        run.land(
            url=f"https://api.example.test/{source}/{dataset}?call={i}",
            params={"call": i},
            requested_at=start + i,
            http_status=status[0] if status else 200,
            content_type="application/json" if extension == "json" else "text/csv",
            body=body,
            extension=extension,
            record_count=count,
            years=years,
        )
    if complete:
        run.complete(years, {"landings": len(answers)})
    return run


def comtrade_run(root, dataset, years, *answers: list[dict], complete=True) -> RawZoneRun:
    return complete_run(
        root,
        "comtrade",
        dataset,
        years,
        [(comtrade_body(records), "json", len(records)) for records in answers],
        complete=complete,
    )


def imf_run(root, years, *bodies: bytes) -> RawZoneRun:
    answers = [(body, "csv", count_observations(body)) for body in bodies]
    return complete_run(root, "imf_dip", "dip", years, answers)


# --- reading the warehouse ----------------------------------------------------------------------


@pytest.fixture
def raw_zone(tmp_path):
    return tmp_path / "raw"


@pytest.fixture
def con(tmp_path):
    connection = duckdb.connect(str(tmp_path / "w.duckdb"))
    yield connection
    connection.close()


def load(con, raw_zone, run: RawZoneRun) -> LoadResult:
    return load_run(con, raw_zone, run.folder)


def table(con, name: str) -> list[tuple]:
    return con.execute(f"SELECT * FROM {name} ORDER BY ALL").fetchall()


def everything(con) -> dict[str, list[tuple]]:
    return {name: table(con, name) for name in TABLES}


def counts(con) -> dict[str, int]:
    return {name: con.execute(f"SELECT count(*) FROM {name}").fetchone()[0] for name in TABLES}


def dicts(con, sql: str, params=()) -> list[dict]:
    relation = con.execute(sql, list(params))
    names = [d[0] for d in relation.description]
    return [dict(zip(names, row, strict=True)) for row in relation.fetchall()]


def comtrade_rows(con, where: str = "true", params=()) -> list[dict]:
    return dicts(con, f"SELECT * FROM raw.comtrade_records WHERE {where} ORDER BY ALL", params)


# --- Comtrade -----------------------------------------------------------------------------------


def test_real_comtrade_answers_load_with_the_api_types_and_values(con, raw_zone):
    run = complete_run(
        raw_zone,
        "comtrade",
        "mirror",
        [2010, 2023],
        [(CHN_2010.read_bytes(), "json", 4), (USA_2023.read_bytes(), "json", 2)],
    )

    result = load(con, raw_zone, run)

    assert result == LoadResult("comtrade", "mirror", run.run_id, [2010, 2023], 2, 6, 0)
    types = dict(
        con.execute(
            "SELECT column_name, column_type FROM (DESCRIBE raw.comtrade_records)"
        ).fetchall()
    )
    assert {name: types[name] for name in COMTRADE_FIELDS} == COMTRADE_FIELDS
    assert types["requested_at"] == "TIMESTAMP WITH TIME ZONE"

    expected = fixture_records(CHN_2010) + fixture_records(USA_2023)
    loaded = {tuple(r[k] for k in RECORD_KEY): r for r in comtrade_rows(con)}
    assert len(loaded) == len(expected) == 6
    for record in expected:
        row = loaded[tuple(record[k] for k in RECORD_KEY)]
        # Every API field, value for value: numbers, booleans, strings and nulls alike.
        assert {k: row[k] for k in COMTRADE_FIELDS} == record
        assert row["dataset"] == "mirror"
    chn_import = loaded[(156, 32, "M", 2010)]
    assert chn_import["primaryValue"] == 6804128143.0 == chn_import["cifvalue"]
    assert chn_import["qty"] is None and chn_import["netWgt"] is None
    assert chn_import["isReported"] is True and chn_import["period"] == "2010"
    usa_import = loaded[(842, 392, "M", 2023)]
    assert usa_import["primaryValue"] == 151580564290.0
    assert usa_import["fobvalue"] == 147340317186.0


def test_every_record_traces_to_its_landing(con, raw_zone):
    run = comtrade_run(
        raw_zone, "reporter", [2010], fixture_records(CHN_2010)[:2], fixture_records(CHN_2010)[2:]
    )
    load(con, raw_zone, run)

    rows = dicts(
        con,
        "SELECT r.landing_id, r.requested_at AS record_at, l.requested_at, l.url, l.run_id, "
        "l.body_file, l.vintage, l.loaded_at FROM raw.comtrade_records AS r "
        "LEFT JOIN raw.landings AS l USING (landing_id) ORDER BY r.landing_id",
    )
    assert len(rows) == 4
    for row in rows:
        assert row["url"] and row["url"].startswith("https://api.example.test/comtrade/reporter")
        assert row["requested_at"] is not None and row["record_at"] == row["requested_at"]
        assert row["run_id"] == run.run_id and row["vintage"] == "test-vintage"
        assert row["loaded_at"] is not None
        assert (raw_zone / row["body_file"]).exists()
    assert [r["landing_id"] for r in rows] == [run.landings[0].landing_id] * 2 + [
        run.landings[1].landing_id
    ] * 2
    assert rows[0]["requested_at"] == REQUESTED_AT
    landing = dicts(con, "SELECT * FROM raw.landings WHERE landing_id = ?", [rows[0]["landing_id"]])
    assert json.loads(landing[0]["params"]) == {"call": 0}
    assert landing[0]["years"] == [2010] and landing[0]["record_count"] == 2


def test_loading_a_run_twice_changes_nothing(con, raw_zone):
    run = comtrade_run(raw_zone, "reporter", [2010], fixture_records(CHN_2010))

    first = load(con, raw_zone, run)
    before = everything(con)
    second = load(con, raw_zone, run)

    assert first.rows_loaded == second.rows_loaded == 4
    assert (first.rows_replaced, second.rows_replaced) == (0, 4)
    assert counts(con) == {
        "raw.landings": 1,
        "raw.comtrade_records": 4,
        "raw.imf_dip_observations": 0,
    }
    after = everything(con)
    assert after["raw.comtrade_records"] == before["raw.comtrade_records"]
    # Only loaded_at (last column) of the landing row is new.
    assert [r[:-1] for r in after["raw.landings"]] == [r[:-1] for r in before["raw.landings"]]


def test_a_new_run_replaces_the_same_dataset_and_years_and_leaves_the_rest(con, raw_zone):
    records = fixture_records(CHN_2010)
    first = comtrade_run(raw_zone, "reporter", [2010], records)
    mirror = comtrade_run(raw_zone, "mirror", [2010], records)
    load(con, raw_zone, first)
    load(con, raw_zone, mirror)
    mirror_rows = comtrade_rows(con, "dataset = 'mirror'")

    revised = [with_year_and_value(r, 2010, r["primaryValue"] + 1) for r in records]
    second = comtrade_run(raw_zone, "reporter", [2010], revised)
    result = load(con, raw_zone, second)

    assert (result.rows_loaded, result.rows_replaced) == (4, 4)
    reporter_rows = comtrade_rows(con, "dataset = 'reporter'")
    assert len(reporter_rows) == 4  # no duplicates
    assert {r["landing_id"] for r in reporter_rows} == {second.landings[0].landing_id}
    assert sorted(r["primaryValue"] for r in reporter_rows) == sorted(
        r["primaryValue"] for r in revised
    )
    assert comtrade_rows(con, "dataset = 'mirror'") == mirror_rows
    landings = {r[0] for r in con.execute("SELECT landing_id FROM raw.landings").fetchall()}
    assert {second.landings[0].landing_id, mirror.landings[0].landing_id} <= landings


def test_a_run_of_some_years_replaces_only_those_years(con, raw_zone):
    template = fixture_records(CHN_2010)
    by_year = {
        year: [with_year_and_value(r, year, 1000.0 * year) for r in template]
        for year in (2010, 2011, 2012)
    }
    full = comtrade_run(raw_zone, "reporter", [2010, 2011, 2012], *by_year.values())
    load(con, raw_zone, full)

    refetch = comtrade_run(
        raw_zone, "reporter", [2011], [with_year_and_value(r, 2011, 7.0) for r in template]
    )
    result = load(con, raw_zone, refetch)

    assert (result.rows_loaded, result.rows_replaced) == (4, 4)
    rows = comtrade_rows(con)
    assert len(rows) == 12
    per_year = {
        year: {(r["landing_id"], r["primaryValue"]) for r in rows if r["refYear"] == year}
        for year in (2010, 2011, 2012)
    }
    assert per_year[2010] == {(full.landings[0].landing_id, 2_010_000.0)}
    assert per_year[2011] == {(refetch.landings[0].landing_id, 7.0)}
    assert per_year[2012] == {(full.landings[2].landing_id, 2_012_000.0)}


def test_an_incomplete_run_is_refused_and_changes_nothing(con, raw_zone):
    load(con, raw_zone, comtrade_run(raw_zone, "reporter", [2010], fixture_records(CHN_2010)))
    before = everything(con)
    unfinished = comtrade_run(
        raw_zone, "reporter", [2010], fixture_records(CHN_2010), complete=False
    )

    with pytest.raises(FileNotFoundError, match="did not finish"):
        load(con, raw_zone, unfinished)

    assert everything(con) == before


def corrupt(raw_zone: Path, run: RawZoneRun, landing: int, data: bytes) -> None:
    (raw_zone / run.landings[landing].body_file).write_bytes(data)


@pytest.mark.parametrize(
    ("damage", "error"),
    [
        (b"this is not gzip", duckdb.Error),
        (gzip.compress(b'{"count": 4, "data": [{"refYear": 20'), duckdb.Error),  # cut short
        (gzip.compress(comtrade_body([])), RuntimeError),  # fewer rows than counted
    ],
    ids=["not-gzip", "truncated-json", "rows-missing"],
)
def test_a_failure_mid_load_rolls_back_everything(con, raw_zone, damage, error):
    load(con, raw_zone, comtrade_run(raw_zone, "reporter", [2010], fixture_records(CHN_2010)))
    load(con, raw_zone, imf_run(raw_zone, [2010], CSV10.read_bytes()))
    before = everything(con)
    revised = [with_year_and_value(r, 2010, 1.0) for r in fixture_records(CHN_2010)]
    second = comtrade_run(raw_zone, "reporter", [2010], revised[:2], revised[2:])
    corrupt(raw_zone, second, 1, damage)  # the second body: the first is read fine

    with pytest.raises(error):
        load(con, raw_zone, second)

    assert everything(con) == before
    # The connection is usable again: no transaction was left open.
    fixed = comtrade_run(raw_zone, "reporter", [2010], revised)
    assert load(con, raw_zone, fixed).rows_loaded == 4
    assert {r["primaryValue"] for r in comtrade_rows(con)} == {1.0}


def test_rows_read_back_must_match_the_counts_of_the_extraction(con, raw_zone):
    run = comtrade_run(raw_zone, "reporter", [2010], fixture_records(CHN_2010))
    corrupt(raw_zone, run, 0, gzip.compress(comtrade_body(fixture_records(CHN_2010)[:3])))
    with pytest.raises(RuntimeError, match="read 3 rows .* counted 4"):
        load(con, raw_zone, run)
    assert counts(con) == dict.fromkeys(TABLES, 0)


def test_a_run_whose_landings_went_missing_is_refused(con, raw_zone):
    run = comtrade_run(raw_zone, "reporter", [2010], fixture_records(CHN_2010)[:2], [])
    (run.folder / "00002.request.json").unlink()
    with pytest.raises(RuntimeError, match="manifest lists 2 landings but 1 sidecars"):
        load(con, raw_zone, run)
    assert counts(con) == dict.fromkeys(TABLES, 0)


def test_empty_answers_load_no_rows_but_their_landings_are_recorded(con, raw_zone):
    comtrade = complete_run(
        raw_zone, "comtrade", "reporter", [2010], [(EMPTY_ANSWER.read_bytes(), "json", 0)]
    )
    imf = complete_run(
        raw_zone,
        "imf_dip",
        "dip",
        [2010],
        [(NO_RESULTS_XML, "xml", 0, 404), (b"DATAFLOW,TIME_PERIOD,OBS_VALUE\n", "csv", 0)],
    )

    assert load(con, raw_zone, comtrade).rows_loaded == 0
    assert load(con, raw_zone, imf).rows_loaded == 0

    assert counts(con) == {
        "raw.landings": 3,
        "raw.comtrade_records": 0,
        "raw.imf_dip_observations": 0,
    }
    landed = con.execute(
        "SELECT source, http_status, record_count, body_file FROM raw.landings ORDER BY ALL"
    ).fetchall()
    assert [(s, h, c) for s, h, c, _ in landed] == [
        ("comtrade", 200, 0),
        ("imf_dip", 200, 0),
        ("imf_dip", 404, 0),
    ]
    assert landed[2][3].endswith("00001.xml.gz")


def test_a_run_that_asked_for_nothing_loads_as_empty(con, raw_zone):
    # The IMF client completes a run with no landings for years before the survey (2009).
    run = RawZoneRun(raw_zone, "imf_dip", "dip", new_run_id(), "test-vintage")
    run.complete([], {"note": "nothing requested"})

    result = load(con, raw_zone, run)

    assert result == LoadResult("imf_dip", "dip", run.run_id, [], 0, 0, 0)
    assert counts(con) == dict.fromkeys(TABLES, 0)


# --- IMF SDMX-CSV -------------------------------------------------------------------------------


def imf_rows(con) -> list[dict]:
    return dicts(con, "SELECT * FROM raw.imf_dip_observations ORDER BY ALL")


def test_sdmx_csv_10_with_multi_line_comments_and_confidential_cells(con, raw_zone):
    run = imf_run(raw_zone, list(range(2008, 2014)), CSV10.read_bytes())

    result = load(con, raw_zone, run)

    assert result.rows_loaded == 16
    types = dict(
        con.execute(
            "SELECT column_name, column_type FROM (DESCRIBE raw.imf_dip_observations)"
        ).fetchall()
    )
    assert all(types[c] == "VARCHAR" for c in IMF_DIP_COLUMNS)
    rows = imf_rows(con)
    assert len(rows) == 16
    assert {r["DATAFLOW"] for r in rows} == {"IMF.STA:DIP(12.0.1)"}
    by_key = {
        (r["COUNTRY"], r["DV_TYPE"], r["INDICATOR"], r["COUNTERPART_COUNTRY"], r["TIME_PERIOD"]): r
        for r in rows
    }
    assert len(by_key) == 16
    # The row whose COMMENTS field spans two lines, with a comma and doubled quotes, is intact.
    kaz = by_key[("KAZ", "O", "INWD_D_NETLA_FALL_ALL", "CHN", "2011")]
    assert (kaz["OBS_VALUE"], kaz["FREQUENCY"], kaz["SCALE"]) == ("2100000000", "A", "6")
    assert kaz["STATUS"] is None
    confidential = by_key[("ARM", "O", "INWD_D_NETLA_FALL_ALL", "RUS", "2011")]
    assert confidential["OBS_VALUE"] is None and confidential["STATUS"] == "C"
    assert [(r["COUNTRY"], r["TIME_PERIOD"]) for r in rows if r["STATUS"] == "C"] == [
        ("ARM", "2011"),
        ("TKM", "2012"),
    ]
    assert by_key[("GEO", "O", "INWD_D_NETLA_FALL_ALL", "CHN", "2012")]["OBS_VALUE"] == "-3500000"
    assert {r["landing_id"] for r in rows} == {run.landings[0].landing_id}
    assert {r["dataset"] for r in rows} == {"dip"}


def test_sdmx_csv_20_structure_id_loads_into_dataflow(con, raw_zone):
    run = imf_run(raw_zone, [2017, 2018], CSV20.read_bytes())

    assert load(con, raw_zone, run).rows_loaded == 16

    rows = imf_rows(con)
    assert {r["DATAFLOW"] for r in rows} == {"IMF.STA:DIP(12.0.1)"}
    assert {r["COUNTRY"] for r in rows} == {"AUT"}
    confidential = [
        (r["COUNTERPART_COUNTRY"], r["TIME_PERIOD"]) for r in rows if r["STATUS"] == "C"
    ]
    assert confidential == [
        ("AGO", "2017"),
        ("AGO", "2018"),
        ("ALB", "2017"),
        ("ALB", "2018"),
        ("AND", "2018"),
    ]
    assert all(r["OBS_VALUE"] is None for r in rows if r["STATUS"] == "C")
    assert [r["OBS_VALUE"] for r in rows if r["COUNTERPART_COUNTRY"] == "ARE"] == [
        "90067429.99999996",
        "386781000.0000001",
    ]


def test_a_run_with_both_sdmx_csv_flavours_keeps_every_dataflow(con, raw_zone):
    years = [*range(2008, 2014), 2017, 2018]
    run = imf_run(raw_zone, years, CSV10.read_bytes(), CSV20.read_bytes())

    assert load(con, raw_zone, run).rows_loaded == 32

    rows = imf_rows(con)
    assert [r for r in rows if r["DATAFLOW"] is None] == []
    assert {r["DATAFLOW"] for r in rows} == {"IMF.STA:DIP(12.0.1)"}


def test_imf_years_are_replaced_by_time_period(con, raw_zone):
    load(con, raw_zone, imf_run(raw_zone, list(range(2008, 2014)), CSV10.read_bytes()))
    header, *lines = CSV10.read_text().split("\n")
    arm = [x for x in lines if x.startswith("IMF.STA:DIP(12.0.1),ARM,") and ",2010," in x]
    arm_2010 = "\n".join([header, *arm]) + "\n"
    refetch = imf_run(raw_zone, [2010], arm_2010.encode())

    # UZB loses its 2010 row: only a deliberate full refresh replaces a year with less.
    result = load_run(con, raw_zone, refetch.folder, full_refresh=True)

    rows = imf_rows(con)
    assert result.rows_loaded == 4 and result.rows_replaced == 5  # ARM x4 and UZB in 2010
    assert len(rows) == 16 - 5 + 4
    assert {r["landing_id"] for r in rows if r["TIME_PERIOD"] == "2010"} == {
        refetch.landings[0].landing_id
    }
    assert [r["COUNTRY"] for r in rows if r["TIME_PERIOD"] == "2010"] == ["ARM"] * 4


# --- landings from the pipeline's own extract steps (demo snapshot) -----------------------------


@pytest.fixture(scope="module")
def snapshot_runs(tmp_path_factory):
    """Extract reporter, mirror and dip for 2010-2011, and reporter again for 2011 only."""
    folder = tmp_path_factory.mktemp("snapshot")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("EURASIA_SOURCE", "snapshot")
        patch.setenv("EURASIA_WAREHOUSE", str(folder / "w.duckdb"))
        patch.setenv("EURASIA_YEARS", "2010-2011")
        patch.delenv("EURASIA_RAW_ZONE", raising=False)
        runs = {
            "reporter": pipeline.extract_comtrade("reporter"),
            "mirror": pipeline.extract_comtrade("mirror"),
            "dip": pipeline.extract_fdi(),
            "reporter-2011": pipeline.extract_comtrade("reporter", years="2011"),
        }
    return folder, runs


@pytest.fixture
def snapshot_env(snapshot_runs, tmp_path, monkeypatch):
    """A fresh warehouse per test over the shared raw zone of the snapshot runs."""
    folder, runs = snapshot_runs
    monkeypatch.setenv("EURASIA_SOURCE", "snapshot")
    monkeypatch.setenv("EURASIA_WAREHOUSE", str(tmp_path / "w.duckdb"))
    monkeypatch.setenv("EURASIA_RAW_ZONE", str(folder / "raw"))
    monkeypatch.setenv("EURASIA_YEARS", "2010-2011")
    return tmp_path / "w.duckdb", runs


def sidecars(run_folder: str) -> list[dict]:
    return [json.loads(p.read_text()) for p in sorted(Path(run_folder).glob("*.request.json"))]


def landed_counts(run_folder: str) -> int:
    return sum(s["record_count"] or 0 for s in sidecars(run_folder))


def test_snapshot_runs_load_every_landed_row_with_provenance(snapshot_env):
    warehouse, runs = snapshot_env
    folders = [runs["reporter"], runs["mirror"], runs["dip"]]

    results = pipeline.load_runs(folders)

    assert [(r["dataset"], r["years"]) for r in results] == [
        ("reporter", [2010, 2011]),
        ("mirror", [2010, 2011]),
        ("dip", [2010, 2011]),
    ]
    for result, folder in zip(results, folders, strict=True):
        assert result["rows_loaded"] == landed_counts(folder) > 0
        assert result["landings"] == len(sidecars(folder))
    with duckdb.connect(str(warehouse), read_only=True) as con:
        assert counts(con) == {
            "raw.landings": sum(r["landings"] for r in results),
            "raw.comtrade_records": results[0]["rows_loaded"] + results[1]["rows_loaded"],
            "raw.imf_dip_observations": results[2]["rows_loaded"],
        }
        assert con.execute("SELECT DISTINCT vintage FROM raw.landings").fetchall() == [
            (demo.VINTAGE,)
        ]
        assert con.execute(
            "SELECT DISTINCT refYear FROM raw.comtrade_records ORDER BY 1"
        ).fetchall() == [(2010,), (2011,)]
        for name in ("raw.comtrade_records", "raw.imf_dip_observations"):
            orphans = con.execute(
                f"SELECT count(*) FROM {name} AS r LEFT JOIN raw.landings AS l USING (landing_id) "
                "WHERE l.url IS NULL OR l.requested_at IS NULL "
                "OR r.requested_at IS DISTINCT FROM l.requested_at"
            ).fetchone()[0]
            assert orphans == 0, name
        not_snapshot = "SELECT count(*) FROM raw.landings WHERE url NOT LIKE 'snapshot://%'"
        assert con.execute(not_snapshot).fetchone()[0] == 0


def test_snapshot_reloads_are_idempotent_and_refetched_years_replace(snapshot_env):
    warehouse, runs = snapshot_env
    pipeline.load_runs([runs["reporter"], runs["mirror"]])
    with duckdb.connect(str(warehouse), read_only=True) as con:
        first = counts(con)
        per_year = dict(
            con.execute(
                "SELECT refYear, count(*) FROM raw.comtrade_records "
                "WHERE dataset = 'reporter' GROUP BY ALL"
            ).fetchall()
        )

    pipeline.load_runs([runs["reporter"], runs["mirror"]])
    with duckdb.connect(str(warehouse), read_only=True) as con:
        assert counts(con) == first

    [result] = pipeline.load_runs([runs["reporter-2011"]])
    assert result["years"] == [2011] and result["rows_replaced"] == per_year[2011]
    with duckdb.connect(str(warehouse), read_only=True) as con:
        assert counts(con)["raw.comtrade_records"] == first["raw.comtrade_records"]
        by_run = dict(
            con.execute(
                "SELECT refYear, list(DISTINCT l.run_id) FROM raw.comtrade_records AS r "
                "JOIN raw.landings AS l USING (landing_id) WHERE r.dataset = 'reporter' "
                "GROUP BY ALL"
            ).fetchall()
        )
        duplicates = con.execute(
            "SELECT count(*) FROM (SELECT dataset, reporterCode, partnerCode, partner2Code, "
            "flowCode, refYear, cmdCode, customsCode, motCode FROM raw.comtrade_records "
            "GROUP BY ALL HAVING count(*) > 1)"
        ).fetchone()[0]
    run_id = {name: Path(folder).name.removeprefix("run=") for name, folder in runs.items()}
    assert by_run == {2010: [run_id["reporter"]], 2011: [run_id["reporter-2011"]]}
    assert duplicates == 0


def test_the_manifest_is_what_makes_a_snapshot_run_loadable(snapshot_env, tmp_path):
    warehouse, runs = snapshot_env
    assert (Path(runs["dip"]) / MANIFEST).exists()
    with duckdb.connect(str(warehouse)) as con:
        copy_root = tmp_path / "copy"
        source = Path(runs["dip"])
        raw_root = source.parents[2]
        target = copy_root / source.relative_to(raw_root)
        target.mkdir(parents=True)
        for path in source.iterdir():
            if path.name != MANIFEST:
                (target / path.name).write_bytes(path.read_bytes())
        with pytest.raises(FileNotFoundError, match="Run the extraction again"):
            load_run(con, copy_root, target)
        (target / MANIFEST).write_bytes((source / MANIFEST).read_bytes())
        assert load_run(con, copy_root, target).rows_loaded == landed_counts(runs["dip"])


def test_runs_loaded_together_are_loaded_all_or_none(con, raw_zone):
    from eurasia.loader import load_runs

    good = comtrade_run(raw_zone, "reporter", [2010], fixture_records(CHN_2010))
    bad = comtrade_run(raw_zone, "mirror", [2010], fixture_records(CHN_2010))
    corrupt(raw_zone, bad, 0, b"this is not gzip")

    with pytest.raises(duckdb.Error):
        load_runs(con, raw_zone, [good.folder, bad.folder])

    assert counts(con) == {
        "raw.landings": 0,
        "raw.comtrade_records": 0,
        "raw.imf_dip_observations": 0,
    }
    assert [r.rows_loaded for r in load_runs(con, raw_zone, [good.folder])] == [4]


def test_demo_and_live_data_never_meet_in_one_warehouse(con, raw_zone):
    def run_of(vintage: str) -> RawZoneRun:
        run = RawZoneRun(raw_zone, "comtrade", "reporter", new_run_id(), vintage)
        body = comtrade_body(fixture_records(CHN_2010))
        run.land(
            url="https://x.test/",
            params={},
            requested_at=REQUESTED_AT.timestamp(),
            http_status=200,
            content_type="application/json",
            body=body,
            extension="json",
            record_count=4,
            years=[2010],
        )
        run.complete([2010], {})
        return run

    load(con, raw_zone, run_of("live"))
    before = everything(con)
    with pytest.raises(RuntimeError, match="EURASIA_WAREHOUSE"):
        load(con, raw_zone, run_of("demo-synthetic-v1"))
    assert everything(con) == before
    assert load(con, raw_zone, run_of("live")).rows_loaded == 4  # live on live is fine


def test_an_older_extraction_is_not_loaded_over_a_newer_one(con, raw_zone):
    def run_at(seconds: float, value: float) -> RawZoneRun:
        run = RawZoneRun(raw_zone, "comtrade", "reporter", new_run_id(), "test-vintage")
        records = [with_year_and_value(r, 2010, value) for r in fixture_records(CHN_2010)]
        run.land(
            url="https://x.test/",
            params={},
            requested_at=REQUESTED_AT.timestamp() + seconds,
            http_status=200,
            content_type="application/json",
            body=comtrade_body(records),
            extension="json",
            record_count=len(records),
            years=[2010],
        )
        run.complete([2010], {})
        return run

    older, newer = run_at(0, 1.0), run_at(60, 2.0)
    load(con, raw_zone, newer)
    before = everything(con)
    with pytest.raises(RuntimeError, match="older data over newer"):
        load(con, raw_zone, older)
    assert everything(con) == before
    assert load(con, raw_zone, newer).rows_loaded == 4  # the same run again is fine
    assert {r["primaryValue"] for r in comtrade_rows(con)} == {2.0}


# --- Comtrade data availability (getDA) ---------------------------------------------------------


def availability_record(reporter: int, iso3: str, year: int, total: int, **changes) -> dict:
    """A getDA record as the API sends it: more fields than the table keeps, a numeric checksum."""
    record = {
        "datasetCode": 2_000_000_000 + reporter * 10_000 + year,
        "typeCode": "C",
        "freqCode": "A",
        "period": year,
        "reporterCode": reporter,
        "reporterISO": iso3,
        "reporterDesc": iso3.title(),
        "classificationCode": "H5",
        "classificationSearchCode": "HS",
        "isOriginalClassification": True,
        "isExtendedFlowCode": True,
        "isExtendedPartnerCode": True,
        "isExtendedPartner2Code": True,
        "isExtendedCmdCode": True,
        "isExtendedCustomsCode": False,
        "isExtendedMotCode": False,
        "totalRecords": total,
        "datasetChecksum": -(reporter * 7_919_000_000_000 + year),
        "firstReleased": f"{year + 1}-05-14T09:31:02.117",
        "lastReleased": f"{year + 1}-11-02T17:04:55",
    }
    record.update(changes)
    return record


def availability_run(root, years, *answers: list[dict]) -> RawZoneRun:
    return comtrade_run(root, "availability", years, *answers)


def availability_rows(con) -> list[dict]:
    return dicts(con, "SELECT * FROM raw.comtrade_availability ORDER BY period, reporterCode")


def test_availability_loads_into_its_own_typed_table(con, raw_zone):
    records = [availability_record(51, "ARM", 2018, 190), availability_record(156, "CHN", 2018, 4)]
    run = availability_run(raw_zone, [2018], records)

    result = load(con, raw_zone, run)

    assert result == LoadResult("comtrade", "availability", run.run_id, [2018], 1, 2, 0)
    types = dict(
        con.execute(
            "SELECT column_name, column_type FROM (DESCRIBE raw.comtrade_availability)"
        ).fetchall()
    )
    assert list(types) == [
        "landing_id", "dataset", "requested_at", "typeCode", "freqCode", "classificationCode",
        "period", "reporterCode", "reporterISO", "reporterDesc", "totalRecords",
        "datasetChecksum", "firstReleased", "lastReleased",
    ]  # fmt: skip
    assert {k: types[k] for k in AVAILABILITY_FIELDS} == AVAILABILITY_FIELDS
    assert types["requested_at"] == "TIMESTAMP WITH TIME ZONE"
    arm = availability_rows(con)[0]
    assert arm["landing_id"] == run.landings[0].landing_id and arm["dataset"] == "availability"
    assert (arm["period"], arm["reporterCode"], arm["reporterISO"]) == ("2018", 51, "ARM")
    assert arm["totalRecords"] == 190 and arm["classificationCode"] == "H5"
    # A checksum of 19 digits stays whole: it is a token, not a quantity.
    assert arm["datasetChecksum"] == str(-(51 * 7_919_000_000_000 + 2018))
    assert arm["firstReleased"] == dt.datetime(2019, 5, 14, 9, 31, 2, 117_000)
    assert arm["lastReleased"] == dt.datetime(2019, 11, 2, 17, 4, 55)
    # Trade records and availability never share a table.
    assert counts(con)["raw.comtrade_records"] == 0


def test_availability_runs_are_idempotent_and_replace_only_their_years(con, raw_zone):
    first = availability_run(
        raw_zone,
        [2017, 2018],
        [availability_record(51, "ARM", 2017, 180), availability_record(51, "ARM", 2018, 190)],
    )
    load(con, raw_zone, first)
    load(con, raw_zone, first)
    assert [(r["period"], r["totalRecords"]) for r in availability_rows(con)] == [
        ("2017", 180),
        ("2018", 190),
    ]
    # A later run for 2018 alone: the source revised Armenia 2018 and released Uzbekistan 2018.
    revised = availability_record(51, "ARM", 2018, 192, lastReleased="2020-02-01T08:00:00")
    second = availability_run(raw_zone, [2018], [revised, availability_record(860, "UZB", 2018, 7)])
    result = load(con, raw_zone, second)

    assert result.rows_replaced == 1 and result.rows_loaded == 2
    rows = [(r["period"], r["reporterISO"], r["totalRecords"]) for r in availability_rows(con)]
    assert rows == [("2017", "ARM", 180), ("2018", "ARM", 192), ("2018", "UZB", 7)]
    assert {r["landing_id"] for r in availability_rows(con) if r["period"] == "2017"} == {
        first.landings[0].landing_id
    }
