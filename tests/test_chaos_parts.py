"""The chaos suite's parts, without Airflow: comparing warehouses, the table, the fault hooks."""

from __future__ import annotations

import json

import duckdb
import pytest
import requests

from eurasia.chaos.compare import Difference, compare_marts, compare_raw, mart_keys
from eurasia.chaos.faults import (
    FAULT_CLASSES,
    nth,
    partner_side,
    reporter_side,
    rewrite_records,
    select,
)
from eurasia.chaos.harness import Outcome, ReleasedAgain
from eurasia.chaos.table import BEGIN, END, render, update_readme
from eurasia.demo.standin import Fault, StandinServer

SHARES = [
    ("KAZ", 2018, "import", 0.25, ["a"]),
    ("KAZ", 2019, "import", 0.5, ["b"]),
    ("UZB", 2019, "export", None, ["c"]),
]


def warehouse(path, shares, raw=((1, "x"), (2, "y"))):
    with duckdb.connect(str(path)) as con:
        con.execute("create schema marts; create schema raw")
        con.execute(
            "create table marts.coverage (republic_iso3 varchar, year int, measure varchar, "
            "share double, landing_ids varchar[])"
        )
        con.executemany("insert into marts.coverage values (?, ?, ?, ?, ?)", shares)
        con.execute("create table marts.landed_responses (landing_id varchar)")
        con.execute("create table raw.comtrade_records (landing_id varchar, v int, s varchar)")
        con.executemany(
            "insert into raw.comtrade_records values (?, ?, ?)",
            [(f"l{i}", v, s) for i, (v, s) in enumerate(raw)],
        )
    return path


@pytest.fixture
def clean(tmp_path):
    return warehouse(tmp_path / "clean.duckdb", SHARES)


def test_the_same_rows_with_other_provenance_and_float_noise_are_no_difference(clean, tmp_path):
    noisy = [(r, y, m, s * (1 + 1e-13) if s else s, ["other"]) for r, y, m, s, _ in SHARES]
    got = warehouse(tmp_path / "got.duckdb", noisy, raw=((2, "y"), (1, "x")))
    assert compare_marts(clean, got) == Difference()
    assert compare_raw(clean, got) == Difference()


def test_lost_duplicated_and_wrong_rows_are_counted(clean, tmp_path):
    got = warehouse(
        tmp_path / "got.duckdb",
        [
            ("KAZ", 2018, "import", 0.25, ["a"]),
            ("KAZ", 2018, "import", 0.25, ["a2"]),  # the same key twice
            ("KAZ", 2019, "import", 0.05, ["b"]),  # another value
            # UZB 2019 lost
        ],
        raw=((1, "x"), (1, "x")),
    )
    assert compare_marts(clean, got) == Difference(lost=1, duplicated=1, wrong=1)
    assert compare_raw(clean, got) == Difference(lost=1, duplicated=1)


def test_mart_keys_are_the_grains_dbt_tests_so_two_sources_are_not_duplicates():
    keys = mart_keys()
    # Comtrade and IMF rows of one cell differ only by their source: both in the key.
    assert keys["trade_shares"][0] == "source_dataset"
    assert "source" in keys["china_vs_russia"]
    assert keys["coverage"] == ("source_id", "republic_iso3", "year", "measure")


def test_a_mart_missing_altogether_is_all_lost(clean, tmp_path):
    got = tmp_path / "got.duckdb"
    with duckdb.connect(str(got)) as con:
        con.execute("create schema marts")
    assert compare_marts(clean, got) == Difference(lost=3)


def test_the_table_shows_every_class_and_goes_into_the_readme(tmp_path):
    outcome = Outcome(
        FAULT_CLASSES[0],
        runs=[None],
        recovered=False,
        difference=Difference(2, 0, 5),
        message="comtrade: x | y",
    )

    table = render([outcome], "2018-2019", 90)
    assert "| 429 with Retry-After | 1 | **no** | - | 2 | 0 | 5 | comtrade: x \\| y |" in table
    readme = tmp_path / "README.md"
    readme.write_text(f"intro\n{BEGIN}\nold\n{END}\nrest\n")
    update_readme(readme, table)
    assert readme.read_text() == f"intro\n{BEGIN}\n{table}\n{END}\nrest\n"


def test_every_class_is_one_entry_with_a_cause_to_name():
    names = [f.name for f in FAULT_CLASSES]
    assert len(names) == len(set(names))
    assert all(f.expect in ("recover", "stop", "serialise") and f.cause for f in FAULT_CLASSES)
    assert [f.name for f in select(["sigkill"])] == [
        "SIGKILL during extract",
        "SIGKILL during load",
        "SIGKILL during dbt build",
        "SIGKILL during publish",
    ]


def test_request_predicates_tell_the_two_comtrade_sides_apart():
    path = "/comtrade/public/v1/preview/C/A/HS"
    assert reporter_side(path, {"reporterCode": ["398,417"], "partnerCode": ["0,156,643"]})
    assert not partner_side(path, {"reporterCode": ["398"], "partnerCode": ["0,156,643"]})
    assert partner_side(path, {"reporterCode": ["156,643"], "partnerCode": ["31,398"]})
    assert not reporter_side(path, {"partnerCode": ["398"]})
    assert not partner_side("/comtrade/public/v1/getDA/C/A/HS", {"partnerCode": ["398"]})
    third = nth(partner_side, 3)
    assert [third(path, {"partnerCode": ["1"]}) for _ in range(4)] == [False, False, True, True]


class Answers:
    def answer(self, path, query, headers):
        body = {"count": 2, "data": [{"v": 1}, {"v": 2}], "path": path}
        return 200, {"Content-Type": "application/json"}, json.dumps(body).encode()


def test_standin_hooks_pick_requests_rewrite_answers_and_hang(tmp_path):
    with StandinServer({"/api": Answers()}) as server:
        server.fail_next(
            Fault(0, when=lambda path, query: "b" in query, rewrite=rewrite_records(lambda r: [])),
            Fault(0, hang_seconds=1.5, drop_connection=True, path_prefix="/api/slow"),
        )
        plain = requests.get(f"{server.url}/api/x?a=1", timeout=5).json()
        emptied = requests.get(f"{server.url}/api/x?b=1", timeout=5).json()
        with pytest.raises(requests.ReadTimeout):
            requests.get(f"{server.url}/api/slow", timeout=0.5)
    assert plain["count"] == 2 and len(plain["data"]) == 2
    assert emptied["count"] == 0 and emptied["data"] == []
    assert not server.faults  # each fault served once


def test_excused_republics_and_summaries_over_them_are_left_out(clean, tmp_path):
    changed = [("KAZ", 2018, "import", 0.9, ["a"]), *SHARES[1:]]
    got = warehouse(tmp_path / "got.duckdb", changed, raw=((1, "x"),))
    assert compare_marts(clean, got) == Difference(wrong=1)
    assert compare_marts(clean, got, frozenset({"KAZ"})) == Difference()


def test_released_again_moves_every_availability_record_and_nothing_else():
    class Availability:
        def answer(self, path, query, headers):
            body = {"count": 1, "data": [{"period": "2018", "lastReleased": "2019-05-01T00:00:00"}]}
            return 200, {}, json.dumps(body).encode()

    engine = ReleasedAgain(Availability(), "2026-12-01T00:00:00")
    _, _, listed = engine.answer("/public/v1/getDA/C/A/HS", {}, {})
    _, _, data = engine.answer("/public/v1/preview/C/A/HS", {}, {})
    assert json.loads(listed)["data"][0]["lastReleased"] == "2026-12-01T00:00:00"
    assert json.loads(data)["data"][0]["lastReleased"] == "2019-05-01T00:00:00"
