"""Empty answers never replace good data; malformed records are quarantined, never read as data.

Runs are written with the raw-zone helpers of tests/test_loader.py and loaded into DuckDB files in
temporary folders.
"""

from __future__ import annotations

import copy
import datetime as dt
import json

import duckdb
import pytest
from test_loader import (
    CHN_2010,
    NO_RESULTS_XML,
    REQUESTED_AT,
    complete_run,
    comtrade_body,
    comtrade_run,
    dicts,
    fixture_records,
    imf_run,
    with_year_and_value,
)

from eurasia.loader import load_run, load_runs
from eurasia.shrink_guard import ShrinkRefusedError

TABLES = (
    "raw.landings",
    "raw.comtrade_records",
    "raw.imf_dip_observations",
    "raw.comtrade_quarantine",
    "raw.imf_dip_quarantine",
)


@pytest.fixture
def raw_zone(tmp_path):
    return tmp_path / "raw"


@pytest.fixture
def con(tmp_path):
    # a fresh warehouse file per test, as in test_loader.py
    connection = duckdb.connect(str(tmp_path / "w.duckdb"))
    yield connection
    connection.close()


def load(con, raw_zone, run, **options):
    return load_run(con, raw_zone, run.folder, **options)


def everything(con) -> dict[str, list[tuple]]:
    return {name: con.execute(f"SELECT * FROM {name} ORDER BY ALL").fetchall() for name in TABLES}


def availability_run(raw_zone, year: int, *, checksum: str, released: dt.datetime):
    """A getDA answer saying reporter 156 (China) released `year` at `released`."""
    record = {
        "typeCode": "C",
        "freqCode": "A",
        "classificationCode": "H3",
        "period": str(year),
        "reporterCode": 156,
        "reporterISO": "CHN",
        "reporterDesc": "China",
        "totalRecords": 250_000,
        "datasetChecksum": checksum,
        "firstReleased": "2011-06-01T00:00:00",
        "lastReleased": released.strftime("%Y-%m-%dT%H:%M:%S"),
    }
    return complete_run(
        raw_zone, "comtrade", "availability", [year], [(comtrade_body([record]), "json", 1)]
    )


# --- §1: an answer that shrinks loaded data without a new release ------------------------------


def test_an_empty_reporter_side_answer_does_not_replace_loaded_records(con, raw_zone):
    load(con, raw_zone, comtrade_run(raw_zone, "reporter", [2010], fixture_records(CHN_2010)))
    before = everything(con)
    empty = comtrade_run(raw_zone, "reporter", [2010], [])

    with pytest.raises(ShrinkRefusedError) as refused:
        load(con, raw_zone, empty)

    message = str(refused.value)
    assert "comtrade/reporter" in message
    assert "2010 reporter 156 (CHN): 4 -> 0 rows" in message
    assert "2010: 4 -> 0 rows" in message and "nothing was replaced" in message
    assert "EURASIA_FULL_REFRESH=1" in message
    assert everything(con) == before


def test_losing_a_share_of_rows_is_refused_but_a_small_loss_is_not(con, raw_zone):
    template = fixture_records(CHN_2010)
    records = template + [
        with_year_and_value({**r, "partnerCode": code}, 2010, 1.0)
        for code in (8, 12, 20)
        for r in template[:2]
    ]  # 10 records of reporter 156
    load(con, raw_zone, comtrade_run(raw_zone, "reporter", [2010], records))

    with pytest.raises(ShrinkRefusedError, match="156 \\(CHN\\): 10 -> 7 rows"):
        load(con, raw_zone, comtrade_run(raw_zone, "reporter", [2010], records[:7]))
    # 10 -> 9 is a revision, not a broken answer
    assert (
        load_run(
            con, raw_zone, comtrade_run(raw_zone, "reporter", [2010], records[:9]).folder
        ).rows_loaded
        == 9
    )


def test_a_new_release_lets_an_answer_shrink_loaded_records(con, raw_zone):
    first_fetch = REQUESTED_AT.replace(tzinfo=None)
    load_runs(
        con,
        raw_zone,
        [
            availability_run(raw_zone, 2010, checksum="111", released=first_fetch).folder,
            comtrade_run(raw_zone, "reporter", [2010], fixture_records(CHN_2010)).folder,
        ],
    )

    # The same release again (same checksum, released before the loaded rows were fetched)
    same = availability_run(raw_zone, 2010, checksum="111", released=first_fetch)
    shrunk = comtrade_run(raw_zone, "reporter", [2010], fixture_records(CHN_2010)[:1])
    with pytest.raises(ShrinkRefusedError, match="no new release"):
        load_runs(con, raw_zone, [shrunk.folder, same.folder])

    # A new release (new checksum, released after that fetch): the source changed, accept it.
    # The availability run is listed last but loads first.
    new = availability_run(
        raw_zone, 2010, checksum="222", released=first_fetch + dt.timedelta(days=1)
    )
    shrunk = comtrade_run(raw_zone, "reporter", [2010], fixture_records(CHN_2010)[:1])
    results = load_runs(con, raw_zone, [shrunk.folder, new.folder])
    assert [r.dataset for r in results] == ["reporter", "availability"]
    assert con.execute("SELECT count(*) FROM raw.comtrade_records").fetchone()[0] == 1


def test_a_full_refresh_accepts_what_the_source_now_says(con, raw_zone):
    load(con, raw_zone, comtrade_run(raw_zone, "reporter", [2010], fixture_records(CHN_2010)))
    empty = comtrade_run(raw_zone, "reporter", [2010], [])

    result = load(con, raw_zone, empty, full_refresh=True)

    assert (result.rows_loaded, result.rows_replaced) == (0, 4)
    assert con.execute("SELECT count(*) FROM raw.comtrade_records").fetchone()[0] == 0


def test_a_partner_side_answer_losing_one_republic_is_refused(con, raw_zone):
    # Keyless: one call per partner republic; the call for partner 32 comes back empty.
    records = fixture_records(CHN_2010)
    load(con, raw_zone, comtrade_run(raw_zone, "mirror", [2010], records[:2], records[2:]))
    with pytest.raises(ShrinkRefusedError, match="2010 partner 32 \\(ARG\\): 2 -> 0 rows"):
        load(con, raw_zone, comtrade_run(raw_zone, "mirror", [2010], [], records[2:]))


DIP_HEADER = (
    "DATAFLOW,COUNTRY,DV_TYPE,INDICATOR,COUNTERPART_COUNTRY,FREQUENCY,TIME_PERIOD,OBS_VALUE,"
    "SCALE,STATUS"
)


def dip_csv(*rows: tuple[str, str, str, str]) -> bytes:
    """rows: (COUNTRY, COUNTERPART_COUNTRY, TIME_PERIOD, OBS_VALUE[, STATUS])."""
    lines = [DIP_HEADER]
    for country, counterpart, year, value, *status in rows:
        lines.append(
            f"IMF.STA:DIP(12.0.1),{country},O,INWD_D_NETLA_FALL_ALL,{counterpart},A,{year},"
            f"{value},6,{status[0] if status else ''}"
        )
    return ("\n".join(lines) + "\n").encode()


def dip_chunk(countries: list[str], years=(2018, 2019)) -> bytes:
    return dip_csv(
        *[(c, p, str(y), "1000") for c in countries for p in ("G001", "CHN") for y in years]
    )


def test_a_no_results_chunk_over_loaded_observations_is_refused(con, raw_zone):
    chunks = [["ARM", "AZE"], ["KAZ", "KGZ"], ["UZB"]]
    load(con, raw_zone, imf_run(raw_zone, [2018, 2019], *[dip_chunk(c) for c in chunks]))
    before = everything(con)
    answers = [
        (dip_chunk(chunks[0]), "csv", 8),
        (NO_RESULTS_XML, "xml", 0, 404),
        (dip_chunk(chunks[2]), "csv", 4),
    ]
    second = complete_run(raw_zone, "imf_dip", "dip", [2018, 2019], answers)

    with pytest.raises(ShrinkRefusedError) as refused:
        load(con, raw_zone, second)

    message = str(refused.value)
    for year in (2018, 2019):
        for republic in ("KAZ", "KGZ"):
            assert f"{year} republic {republic}: 2 -> 0 rows" in message
    assert "ARM" not in message and "UZB" not in message
    assert "imf_dip/dip" in message
    assert everything(con) == before


# --- §2: malformed records are quarantined -----------------------------------------------------


def test_malformed_comtrade_records_are_quarantined_with_request_and_reason(con, raw_zone):
    good = fixture_records(CHN_2010)  # 156 -> 32 M, 32 X, 276 M, 276 X
    missing = copy.deepcopy(good[0])  # 32 M: primaryValue gone, cifvalue still there
    del missing["primaryValue"]
    not_a_number = {**good[1], "primaryValue": "abc"}  # 32 X
    conflict_a = good[2]  # 276 M twice, with different values
    conflict_b = {**good[2], "primaryValue": good[2]["primaryValue"] / 10}
    identical = good[3]  # 276 X twice, the same: harmless, staging keeps one
    other_year = with_year_and_value(good[3], 2031, 5.0)
    answer = [missing, not_a_number, conflict_a, conflict_b, identical, identical, other_year]
    run = comtrade_run(raw_zone, "reporter", [2010], answer)

    result = load(con, raw_zone, run)

    assert (result.rows_loaded, result.rows_quarantined) == (2, 5)
    loaded = con.execute(
        "SELECT partnerCode, flowCode, primaryValue FROM raw.comtrade_records"
    ).fetchall()
    assert loaded == [(276, "X", good[3]["primaryValue"])] * 2
    quarantined = dicts(
        con,
        "SELECT q.*, l.url, l.params FROM raw.comtrade_quarantine AS q "
        "JOIN raw.landings AS l USING (landing_id) ORDER BY partnerCode, flowCode, reason",
    )
    reasons = [(q["partnerCode"], q["flowCode"], q["refYear"], q["reason"]) for q in quarantined]
    copies = "conflicting duplicates: 2 copies of this record with different values in one load"
    assert reasons == [
        (32, "M", 2010, "primaryValue missing"),
        (32, "X", 2010, "primaryValue not double (abc)"),
        (276, "M", 2010, copies),
        (276, "M", 2010, copies),
        (276, "X", 2031, "refYear 2031 not among the years asked (2010)"),
    ]
    for q in quarantined:
        assert q["landing_id"] == run.landings[0].landing_id
        assert q["url"] == "https://api.example.test/comtrade/reporter?call=0"
        assert json.loads(q["params"]) == {"call": 0}
        assert q["dataset"] == "reporter" and q["requested_at"] == REQUESTED_AT
    # the record as received, e.g. the cifvalue of the record without primaryValue
    assert json.loads(quarantined[0]["record"])["cifvalue"] == good[0]["cifvalue"]
    assert {json.loads(q["record"])["primaryValue"] for q in quarantined[2:4]} == {
        conflict_a["primaryValue"],
        conflict_b["primaryValue"],
    }

    # Loading the run again, or a fixed one, leaves no stale quarantine rows.
    load(con, raw_zone, run)
    assert con.execute("SELECT count(*) FROM raw.comtrade_quarantine").fetchone()[0] == 5
    load(con, raw_zone, comtrade_run(raw_zone, "reporter", [2010], good))
    assert con.execute("SELECT count(*) FROM raw.comtrade_quarantine").fetchone()[0] == 0


def test_non_numeric_imf_observations_are_quarantined_but_confidential_cells_are_not(con, raw_zone):
    body = dip_csv(
        ("ARM", "G001", "2018", "5000"),
        ("ARM", "CHN", "2018", "abc"),
        ("ARM", "RUS", "2018", "", "C"),
        ("KAZ", "G001", "2018", "100"),
        ("KAZ", "G001", "2018", "200"),
    )
    run = imf_run(raw_zone, [2018], body)

    result = load(con, raw_zone, run)

    assert (result.rows_loaded, result.rows_quarantined) == (2, 3)
    assert con.execute(
        "SELECT COUNTRY, COUNTERPART_COUNTRY, OBS_VALUE, STATUS FROM raw.imf_dip_observations "
        "ORDER BY ALL"
    ).fetchall() == [("ARM", "G001", "5000", None), ("ARM", "RUS", None, "C")]
    quarantined = con.execute(
        "SELECT COUNTRY, COUNTERPART_COUNTRY, reason, record->>'OBS_VALUE' "
        "FROM raw.imf_dip_quarantine ORDER BY ALL"
    ).fetchall()
    copies = "conflicting duplicates: 2 copies of this record with different values in one load"
    assert quarantined == [
        ("ARM", "CHN", "OBS_VALUE not a number (abc)", "abc"),
        ("KAZ", "G001", copies, "100"),
        ("KAZ", "G001", copies, "200"),
    ]
