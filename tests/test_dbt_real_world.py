"""dbt on the real sources' reporting patterns: unknowns stay unknown and the build publishes;
faults of the warehouse block it by name; anomalies of the source are flagged, not fatal.

Builds the hand-made raw input of test_dbt_marts with (a) Russia silent in UN Comtrade from
2022 - neither its own trade nor its declarations with the other republics - while Turkmenistan
never reports: Turkmenistan x Russia from 2022 has no declaration on either side; (b) a
reporter-year UN Comtrade lists as released but not landed; (c) a record with a null value and a
partner value above the world total.
"""

from __future__ import annotations

import types

import pytest
from test_dbt_marts import (
    RUS,
    T0,
    VARS,
    make_raw,
    node_statuses,
    one,
    query,
    run_dbt,
)

from eurasia import transform

pytestmark = pytest.mark.slow

# The hand-made input has three partner reporters (China, Russia, Germany), so one silent partner
# is a third of them; real republics have about 30, one of which Russia is. The count rule is
# relaxed to the real world's proportion: the major-partner rule must catch Russia on its own.
REAL_WORLD_VARS = VARS | {"mirror_min_reporter_ratio": 0.6}


def failed(result) -> set[str]:
    return {name for name, status in node_statuses(result).items() if status in ("fail", "error")}


def build_russia_silent(folder, extra_vars: dict | None = None):
    """The hand-made input with Russia silent from 2022, built by `dbt build` in `folder`."""
    warehouse = folder / "warehouse.duckdb"
    make_raw(russia_silent_from=2022).write(warehouse)
    result = run_dbt(["build"], warehouse, folder / "target", REAL_WORLD_VARS | (extra_vars or {}))
    return warehouse, result


@pytest.fixture(scope="module")
def russia_silent(tmp_path_factory):
    return build_russia_silent(tmp_path_factory.mktemp("dbt_russia_silent"))


def test_real_world_patterns_publish(russia_silent):
    warehouse, result = russia_silent
    assert result.success, result.exception
    assert failed(result) == set()
    assert query(warehouse, "select * from marts.data_quality where severity = 'error'") == []


def test_no_side_declares_turkmenistan_russia_from_2022_unknown_and_explained(russia_silent):
    warehouse, _ = russia_silent
    status, source, reason, release = one(
        warehouse,
        """
        select status, source, reason, republic_release from marts.coverage
        where republic_iso3 = 'TKM' and year = 2022 and measure = 'total'""",
    )
    assert (status, source, release) == ("unknown", None, "not released")
    assert reason.startswith(
        "republic did not report to UN Comtrade for this year, nor for any other year held "
        "(per UN Comtrade's data availability); partner-side totals incomplete, lacks Russian "
        "Federation (usually "
    )
    assert "not released to UN Comtrade for this year" in reason
    # the shares: null, never 0, with the missing partner named in the row
    rows = query(
        warehouse,
        """
        select partner_iso3, share, row_status, is_preferred, world_is_complete,
               world_missing_partners, notes
        from marts.trade_shares
        where republic_iso3 = 'TKM' and year = 2022 and flow = 'export' and basis = 'mirror'
        order by partner_iso3""",
    )
    assert [r[:5] for r in rows] == [
        ("CHN", None, "world_incomplete", False, False),
        ("RUS", None, "world_incomplete", False, False),
    ]
    for *_, missing, notes in rows:
        assert missing.startswith("Russian Federation (usually ")
        assert "lacks Russian Federation" in notes
    assert (
        query(
            warehouse,
            "select * from marts.trade_shares_preferred "
            "where republic_iso3 = 'TKM' and year = 2022",
        )
        == []
    )
    # no leader where a share is unknown
    assert query(
        warehouse,
        """
        select measure, china_share, russia_share, leader from marts.china_vs_russia
        where republic_iso3 = 'TKM' and year = 2022 and measure <> 'fdi_inward'
        order by measure""",
    ) == [
        ("export", None, None, None),
        ("import", None, None, None),
        ("total", None, None, None),
    ]
    # flagged for analysts, not fatal
    assert ("no_side_declares", "warn") in query(
        warehouse,
        "select issue, severity from marts.data_quality "
        "where republic_iso3 = 'TKM' and year = 2022 and measure = 'total'",
    )
    # the claim never uses the incomplete years: Turkmenistan's span ends in 2021
    assert one(
        warehouse,
        "select last_year, basis from marts.china_replacing_russia "
        "where republic_iso3 = 'TKM' and measure = 'export'",
    ) == (2021, "mirror")


def test_a_reporting_republic_keeps_its_own_report_and_flags_the_partner_side(russia_silent):
    warehouse, _ = russia_silent
    rows = query(
        warehouse,
        """
        select basis, row_status, is_preferred, world_missing_partners from marts.trade_shares
        where republic_iso3 = 'KAZ' and year = 2022 and flow = 'import' and partner_iso3 = 'CHN'
        order by basis""",
    )
    assert [r[:3] for r in rows] == [
        ("mirror", "world_incomplete", False),
        ("reported", "ok", True),
    ]
    assert rows[0][3].startswith("Russian Federation")
    # Russia itself: its own report is gone from 2022, its partners' side is complete
    status, reason = one(
        warehouse,
        "select status, reason from marts.coverage "
        "where republic_iso3 = 'RUS' and year = 2022 and measure = 'export'",
    )
    assert status == "mirror"
    assert reason.startswith(
        "republic did not report to UN Comtrade for this year (per UN Comtrade's data availability)"
    )


def test_the_same_input_fails_on_todays_rule_without_the_partner_rules(tmp_path):
    """Without the major-partner rule (threshold above 1) and the measured-partner rule (no
    measured partners) the partner-side world of TKM 2022 lacking Russia would be taken as complete
    and China's share of it inflated: the rules are what keep it unknown."""
    warehouse, result = build_russia_silent(
        tmp_path, {"mirror_major_reporter_min_share": 1.5, "mirror_measured_reporter_codes": []}
    )
    share, status = one(
        warehouse,
        "select share, row_status from marts.trade_shares where republic_iso3 = 'TKM' "
        "and year = 2022 and flow = 'export' and basis = 'mirror' and partner_iso3 = 'CHN'",
    )
    assert status == "ok" and share > 0.3  # 200 x 1.1 / (China + Germany) instead of unknown
    assert result.success  # (and Russia's cell is 'partner_not_reported', not a fault)
    # Russia's cell: its value is unknown, and the row says so
    assert one(
        warehouse,
        "select share, row_status, partner_value_is_unknown from marts.trade_shares "
        "where republic_iso3 = 'TKM' and year = 2022 and flow = 'export' and basis = 'mirror' "
        "and partner_iso3 = 'RUS'",
    ) == (None, "partner_not_reported", True)


def test_a_measured_partner_missing_makes_the_world_incomplete_however_small(tmp_path):
    """Russia is one of the two partners measured: a partner-side world without it lacks Russia's
    share even where Russia is a small part of it (below mirror_major_reporter_min_share, as in
    Turkmenistan's partner-side exports of the demo snapshot). The major-partner rule is switched
    off here (threshold above 1, as for a minor partner); the measured-partner rule alone
    keeps TKM's world from 2022 incomplete, names Russia, and leaves both shares unknown."""
    warehouse, result = build_russia_silent(tmp_path, {"mirror_major_reporter_min_share": 1.5})
    assert result.success, result.exception
    assert failed(result) == set()
    rows = query(
        warehouse,
        """
        select year, partner_iso3, share, row_status, is_preferred, world_is_complete,
               partner_value_is_unknown, world_missing_partners
        from marts.trade_shares
        where republic_iso3 = 'TKM' and year in (2021, 2022) and flow = 'export'
          and basis = 'mirror'
        order by year, partner_iso3""",
    )
    assert [r[:1] + r[3:7] for r in rows] == [
        (2021, "ok", True, True, False),
        (2021, "ok", True, True, False),
        (2022, "world_incomplete", False, False, False),  # China: a value, no share
        (2022, "world_incomplete", False, False, True),  # Russia: unknown
    ]
    assert [r[2] is None for r in rows] == [False, False, True, True]
    for row in rows[2:]:
        assert row[7].startswith("Russian Federation (usually ")
        assert row[7].endswith(
            "a partner whose share is measured; not released to UN Comtrade for this year)"
        )
    # no leader, and the claim's span ends before the incomplete years
    assert one(
        warehouse,
        "select china_share, russia_share, leader from marts.china_vs_russia "
        "where source = 'comtrade' and republic_iso3 = 'TKM' and year = 2022 "
        "and measure = 'export'",
    ) == (None, None, None)
    assert one(
        warehouse,
        "select last_year from marts.china_replacing_russia "
        "where source = 'comtrade' and republic_iso3 = 'TKM' and measure = 'export'",
    ) == (2021,)
    assert (
        query(
            warehouse,
            "select * from marts.trade_shares_preferred "
            "where republic_iso3 = 'TKM' and year = 2022 and flow = 'export'",
        )
        == []
    )


def test_a_released_but_unlanded_reporter_year_fails_the_build_by_name(tmp_path):
    raw = make_raw()
    # UN Comtrade lists Turkmenistan 2020 as released (it never is in this input): nothing landed
    landing = raw.landing("comtrade", "availability", 90_000, T0, [2020])
    raw.release(landing, T0, 2020, 795, 412)
    warehouse = tmp_path / "warehouse.duckdb"
    raw.write(warehouse)
    result = run_dbt(["build"], warehouse, tmp_path / "target")
    assert not result.success
    assert failed(result) == {"data_quality_has_no_blocking_faults"}
    assert query(
        warehouse,
        "select issue, republic_iso3, year from marts.data_quality where severity = 'error'",
    ) == [("extraction_gap", "TKM", 2020)]
    gap, reason = one(
        warehouse,
        "select is_extraction_gap, reason from marts.coverage "
        "where republic_iso3 = 'TKM' and year = 2020 and measure = 'export'",
    )
    assert gap and reason.startswith(
        "extraction gap: UN Comtrade lists this year of the republic as released (412 records)"
    )
    # what the failed run prints
    settings = types.SimpleNamespace(warehouse_path=warehouse)
    (line,) = transform.blocking_faults(settings)
    assert line.startswith("extraction_gap: TKM 2020 - UN Comtrade lists TKM 2020 as released")


def test_source_anomalies_are_flagged_and_published_never_zero(tmp_path):
    raw = make_raw()
    for record in raw.comtrade:
        key = (record["reporterCode"], record["refYear"], record["flowCode"], record["partnerCode"])
        if key == (398, 2021, "M", RUS) and record["dataset"] == "reporter":
            record["primaryValue"] = None  # KAZ's imports from Russia: a record, no value
        if key == (51, 2021, "X", 156) and record["dataset"] == "reporter":
            record["primaryValue"] = 5000.0  # ARM's exports to China above its world total
    warehouse = tmp_path / "warehouse.duckdb"
    raw.write(warehouse)
    result = run_dbt(["build"], warehouse, tmp_path / "target")
    assert result.success, result.exception
    assert failed(result) == set()
    assert one(
        warehouse,
        """
        select partner_value_usd, share, row_status, partner_value_is_imputed_zero,
               partner_value_is_unknown, is_preferred
        from marts.trade_shares
        where republic_iso3 = 'KAZ' and year = 2021 and flow = 'import' and partner_iso3 = 'RUS'
          and basis = 'reported'""",
    ) == (None, None, "partner_value_unknown", False, True, True)
    # the total with Russia is unknown too, not exports alone
    assert one(
        warehouse,
        "select partner_value_usd, row_status from marts.trade_shares where republic_iso3 = 'KAZ' "
        "and year = 2021 and flow = 'total' and partner_iso3 = 'RUS' and basis = 'reported'",
    ) == (None, "partner_value_unknown")
    assert one(
        warehouse,
        "select share, row_status from marts.trade_shares where republic_iso3 = 'ARM' "
        "and year = 2021 and flow = 'export' and partner_iso3 = 'CHN' and basis = 'reported'",
    ) == (None, "partner_exceeds_world")
    issues = query(
        warehouse,
        "select issue, severity, republic_iso3, measure, partner_iso3 from marts.data_quality "
        "where year = 2021 and issue in "
        "('record_value_null', 'partner_value_unknown', 'partner_exceeds_world') order by all",
    )
    assert issues == [
        ("partner_exceeds_world", "warn", "ARM", "export", "CHN"),
        ("partner_value_unknown", "warn", "KAZ", "import", "RUS"),
        ("record_value_null", "warn", "KAZ", "import", None),
    ]
