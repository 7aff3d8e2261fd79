"""eurasia.transform dates the build by the data, and eurasia.report counts what data_quality
flags and states the claim on shares - both read a warehouse, so a small DuckDB file serves."""

from __future__ import annotations

import types

import duckdb

from eurasia import demo, report, transform


def warehouse_with(tmp_path, sql: str):
    path = tmp_path / "warehouse.duckdb"
    con = duckdb.connect(str(path))
    con.execute(sql)
    con.close()
    return types.SimpleNamespace(warehouse_path=path)


LANDINGS = (
    "create schema raw; create table raw.landings (vintage varchar, requested_at timestamptz);"
)


def test_demo_data_is_as_of_the_snapshots_own_date(tmp_path):
    settings = warehouse_with(
        tmp_path, LANDINGS + f"insert into raw.landings values ('{demo.VINTAGE}', now())"
    )
    assert transform.dbt_vars(settings) == {"as_of_date": demo.SNAPSHOT_AS_OF}


def test_live_data_is_as_of_the_latest_request_in_utc(tmp_path):
    settings = warehouse_with(
        tmp_path,
        LANDINGS + "insert into raw.landings values ('live', '2027-01-31 23:30:00-05:00'), "
        "('live', '2026-05-01 10:00:00+00:00')",
    )
    # 23:30 in New York on 31 January is 1 February in UTC - the data's date, not the clock's
    assert transform.dbt_vars(settings) == {"as_of_date": "2027-02-01"}


def test_the_years_asked_for_are_not_passed_to_dbt(tmp_path):
    settings = warehouse_with(tmp_path, LANDINGS)
    # nothing landed: dbt then reads raw.landings itself (and says so if empty)
    assert transform.dbt_vars(settings) == {}


def test_blocking_faults_are_named_and_an_unbuilt_mart_says_nothing(tmp_path):
    settings = warehouse_with(
        tmp_path,
        "create schema marts; create table marts.data_quality as select * from (values "
        "('extraction_gap', 'error', 'TKM', 2020, null, null, 'r', 'UN Comtrade lists TKM 2020'),"
        " ('fdi_basis_switch', 'warn', 'EST', 2021, 'fdi_inward', null, 'r', 'switch')"
        ") as t (issue, severity, republic_iso3, year, measure, partner_iso3, rule, detail)",
    )
    assert transform.blocking_faults(settings) == [
        "extraction_gap: TKM 2020 - UN Comtrade lists TKM 2020"
    ]
    (tmp_path / "unbuilt").mkdir()
    unbuilt = warehouse_with(tmp_path / "unbuilt", "create schema marts")
    assert transform.blocking_faults(unbuilt) == []


def test_report_states_the_claim_on_shares_and_counts_data_quality(tmp_path):
    settings = warehouse_with(
        tmp_path,
        "create schema marts;"
        "create table marts.china_replacing_russia_summary as select * from (values "
        "('export', 14, 9, 13, 0), ('total', 14, 11, 14, 0), ('fdi_inward', 13, 10, 13, 1)) "
        "as t (measure, republics_compared, republics_china_share_rose_russia_share_fell, "
        "republics_china_value_rose, republics_left_out_partial_world);"
        "create table marts.data_quality as select * from (values "
        "('no_side_declares', 'warn'), ('no_side_declares', 'warn'), ('fdi_basis_switch', 'warn')"
        ") as t (issue, severity)",
    )
    con = duckdb.connect(str(settings.warehouse_path), read_only=True)
    try:
        claim = report.claim_lines(con)
        quality = report.data_quality_lines(con)
    finally:
        con.close()
    assert claim[0].startswith("Is China replacing Russia?")
    assert [line.split() for line in claim[-4:-1]] == [
        ["trade", "11", "of", "14", "14", "of", "14"],
        ["exports", "9", "of", "14", "13", "of", "14"],
        ["FDI", "10", "of", "13", "13", "of", "13"],
    ]
    # a span over a partial world total is left out of the count, and the summary says so
    assert claim[-1] == (
        "  (republics left out, their span has a partial world total at an end: 1 for FDI)"
    )
    assert quality == [
        "Data quality (marts.data_quality): 3 source anomalies flagged, 0 blocking faults",
        "  flagged: fdi_basis_switch 1, no_side_declares 2",
    ]


def test_the_summary_says_when_a_share_or_lead_rests_on_a_partial_world_total(tmp_path):
    settings = warehouse_with(
        tmp_path,
        "create schema marts;"
        "create table marts.china_vs_russia as select * from (values "
        "('TKM', 'fdi_inward', 2024, 0.25, 0.15, 'China', 2017, 'derived', true, true, 'imf_dip'),"
        "('KAZ', 'fdi_inward', 2024, 0.10, 0.20, 'Russia', null, 'reported', false, false, "
        "'imf_dip')) as t (republic_iso3, measure, year, china_share, russia_share, leader, "
        "first_year_china_led, basis, world_is_partial, lead_history_on_partial_world, source)",
    )
    con = duckdb.connect(str(settings.warehouse_path), read_only=True)
    try:
        lines = report.china_vs_russia_table(con)
    finally:
        con.close()
    rows = {line.split()[0]: line for line in lines[2:] if line[:3] in ("KAZ", "TKM")}
    assert rows["TKM"].split()[-5:] == ["2017*", "derived", "(partial", "world", "total)"]
    assert rows["KAZ"].split()[-2:] == ["never", "reported"]
    assert lines[-1] == "  * China's lead rests on some years of a partial world total"
