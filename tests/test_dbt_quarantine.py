"""Quarantined records make their cells unknown in the marts: never 0, never "did not report".

The hand-made input of tests/test_dbt_marts.py, with three records moved from the raw tables into
the quarantine tables, as the loader does with malformed records (eurasia/quarantine.py):
Kazakhstan's 2021 world imports (primaryValue missing), its 2021 exports to China
(primaryValue "abc") and Kyrgyzstan's own 2021 world FDI position (OBS_VALUE "abc").
"""

from __future__ import annotations

import json

import duckdb
import pytest
from test_dbt_marts import CHN, REPUBLICS, make_raw, node_statuses, query, run_dbt

pytestmark = pytest.mark.slow

KAZ, KGZ = REPUBLICS["KAZ"], REPUBLICS["KGZ"]


def is_kaz_2021(record: dict, flow: str, partner: int) -> bool:
    return (
        record["reporterCode"] == KAZ
        and record["refYear"] == 2021
        and record["flowCode"] == flow
        and record["partnerCode"] == partner
        and record["dataset"] == "reporter"
    )


def quarantine_input(warehouse) -> None:
    raw = make_raw()
    moved = {
        "primaryValue missing": next(r for r in raw.comtrade if is_kaz_2021(r, "M", 0)),
        "primaryValue not double (abc)": next(r for r in raw.comtrade if is_kaz_2021(r, "X", CHN)),
    }
    fdi = next(
        o
        for o in raw.imf
        if (o["COUNTRY"], o["DV_TYPE"], o["COUNTERPART_COUNTRY"], o["TIME_PERIOD"])
        == ("KGZ", "O", "G001", "2021")
    )
    raw.comtrade = [r for r in raw.comtrade if not any(r is m for m in moved.values())]
    raw.imf = [o for o in raw.imf if o is not fdi]
    raw.write(warehouse)
    with duckdb.connect(str(warehouse)) as con:
        for reason, record in moved.items():
            con.execute(
                "INSERT INTO raw.comtrade_quarantine VALUES "
                "(?, ?, ?, ?, ?, 0, ?, 2021, 'A', 'TOTAL', 'C00', 0, ?, ?)",
                [
                    record["landing_id"],
                    record["dataset"],
                    record["requested_at"],
                    record["reporterCode"],
                    record["partnerCode"],
                    record["flowCode"],
                    json.dumps(record, default=str),
                    reason,
                ],
            )
        con.execute(
            "INSERT INTO raw.imf_dip_quarantine VALUES "
            "(?, 'dip', ?, 'KGZ', 'O', 'INWD_D_NETLA_FALL_ALL', 'G001', 'A', '2021', ?, ?)",
            [
                fdi["landing_id"],
                fdi["requested_at"],
                json.dumps({**fdi, "OBS_VALUE": "abc"}, default=str),
                "OBS_VALUE not a number (abc)",
            ],
        )


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("dbt_quarantine")
    warehouse = tmp / "warehouse.duckdb"
    quarantine_input(warehouse)
    result = run_dbt(["build"], warehouse, tmp / "target")
    return warehouse, result


def coverage(warehouse, iso: str, year: int, measure: str) -> tuple:
    [row] = query(
        warehouse,
        "select status, reason, source from marts.coverage "
        "where republic_iso3 = ? and year = ? and measure = ?",
        [iso, year, measure],
    )
    return row


def test_the_build_flags_quarantined_cells_without_failing(built):
    _, result = built
    failed = {n: s for n, s in node_statuses(result).items() if s in ("fail", "error")}
    assert failed == {}, failed


def test_a_quarantined_world_total_is_unknown_not_did_not_report(built):
    warehouse, _ = built
    status, reason, source = coverage(warehouse, "KAZ", 2021, "import")
    assert (status, reason, source) == ("unknown", "quarantined: primaryValue missing", None)
    status, reason, _ = coverage(warehouse, "KAZ", 2021, "total")
    assert status == "unknown" and "did not report" not in reason
    # the republic's imports are not switched to the partner side
    preferred = query(
        warehouse,
        "select basis, share from marts.trade_shares where republic_iso3 = 'KAZ' and year = 2021 "
        "and flow = 'import' and is_preferred",
    )
    assert preferred == [("reported", None), ("reported", None)]


def test_a_quarantined_partner_value_is_unknown_not_zero(built):
    warehouse, _ = built
    [(partner_value, share)] = query(
        warehouse,
        "select partner_value_usd, share from marts.trade_shares where republic_iso3 = 'KAZ' "
        "and year = 2021 and flow = 'export' and partner_iso3 = 'CHN' and basis = 'reported'",
    )
    assert (partner_value, share) == (None, None)
    status, reason, _ = coverage(warehouse, "KAZ", 2021, "export")
    assert status == "reported"
    assert reason.endswith("quarantined: primaryValue not double (abc)")


def test_a_quarantined_fdi_world_position_is_unknown(built):
    warehouse, _ = built
    status, reason, _ = coverage(warehouse, "KGZ", 2021, "fdi_inward")
    assert (status, reason) == ("unknown", "quarantined: OBS_VALUE not a number (abc)")
    # not replaced by the series derived from counterpart reports
    shares = query(
        warehouse,
        "select basis, share from marts.fdi_shares where republic_iso3 = 'KGZ' and year = 2021",
    )
    assert shares == [("reported", None), ("reported", None)]


def test_the_quarantined_records_trace_to_their_requests(built):
    warehouse, _ = built
    rows = query(
        warehouse,
        "select source, reason, url is not null, json_extract_string(record, '$.reporterCode') "
        "from staging.stg_raw_zone__quarantined_records order by all",
    )
    assert rows == [
        ("comtrade", "primaryValue missing", True, str(KAZ)),
        ("comtrade", "primaryValue not double (abc)", True, str(KAZ)),
        ("imf_dip", "OBS_VALUE not a number (abc)", True, None),
    ]
