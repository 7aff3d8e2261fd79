"""Which reporter-years a release-aware pull asks for, and how they are packed into requests."""

from __future__ import annotations

import json
import time

from eurasia.comtrade import plan, releases
from eurasia.rawzone import RawZoneRun

KAZ, KGZ, CHN = 398, 417, 156


def land_availability(root, records: list[dict], run_id: str = "a1") -> None:
    run = RawZoneRun(root, "comtrade", "availability", run_id, "live")
    run.land(
        url=f"http://127.0.0.1/getDA?{run_id}",
        params={},
        requested_at=time.time(),
        http_status=200,
        content_type="application/json",
        body=json.dumps({"count": len(records), "data": records}).encode(),
        extension="json",
        record_count=len(records),
        years=[2013, 2014],
    )
    run.complete([2013, 2014], {})


def released(reporter: int, year: int, last: str, checksum: int) -> dict:
    return {
        "reporterCode": reporter,
        "period": str(year),
        "lastReleased": last,
        "datasetChecksum": checksum,
    }


def write_loaded(root, rows: list[tuple]) -> None:
    (root / "comtrade").mkdir(parents=True, exist_ok=True)
    (root / "comtrade" / releases.LOADED_FILE).write_text(
        json.dumps(
            [
                {
                    "dataset": dataset,
                    "reporterCode": reporter,
                    "period": str(year),
                    "lastReleased": last,  # as DuckDB writes it: a space, not a T
                    "datasetChecksum": str(checksum),
                }
                for dataset, reporter, year, last, checksum in rows
            ]
        )
    )


AVAILABLE = [
    released(KAZ, 2013, "2014-05-01T00:00:00", 11),
    released(KAZ, 2014, "2026-11-20T00:00:00", 99),  # revised: later, new checksum
    released(KGZ, 2013, "2014-06-01T00:00:00", 12),  # released since the last load
    released(KGZ, 2014, "2015-06-01T00:00:00", 13),
    released(CHN, 2014, "2015-04-01T00:00:00", 14),  # not a republic: partner side only
]
LOADED = [
    (dataset, reporter, year, last, checksum)
    for dataset in ("reporter", "mirror")
    for reporter, year, last, checksum in (
        (KAZ, 2013, "2014-05-01 00:00:00", 11),
        (KAZ, 2014, "2015-05-01 00:00:00", 21),
        (KGZ, 2014, "2015-06-01 00:00:00", 13),
        (CHN, 2014, "2015-04-01 00:00:00", 14),
    )
]


def test_only_new_or_revised_reporter_years_are_selected(tmp_path):
    land_availability(tmp_path, AVAILABLE)
    write_loaded(tmp_path, LOADED)
    for dataset in ("reporter", "mirror"):
        selection = releases.select(dataset, tmp_path, [2013, 2014], full_refresh=False)
        assert selection.changed == [(KAZ, 2014), (KGZ, 2013)], dataset
        assert [(r.reporter, r.year, r.checksum) for r in selection.releases] == [
            (KAZ, 2014, "99"),
            (KGZ, 2013, "12"),
        ]


def test_a_partner_side_revision_is_asked_on_the_partner_side_only(tmp_path):
    land_availability(tmp_path, [*AVAILABLE[:4], released(CHN, 2014, "2026-11-21T00:00", 15)])
    write_loaded(tmp_path, LOADED)
    reporter = releases.select("reporter", tmp_path, [2014], full_refresh=False)
    mirror = releases.select("mirror", tmp_path, [2014], full_refresh=False)
    assert reporter.changed == [(KAZ, 2014)]
    assert mirror.changed == [(CHN, 2014), (KAZ, 2014)]


def test_nothing_loaded_yet_or_a_full_refresh_asks_for_whole_years(tmp_path):
    land_availability(tmp_path, AVAILABLE)
    assert releases.select("mirror", tmp_path, [2013, 2014], full_refresh=False).changed is None
    write_loaded(tmp_path, LOADED)
    assert releases.select("mirror", tmp_path, [2013, 2014], full_refresh=True).changed is None


def test_nothing_released_since_asks_nothing(tmp_path):
    land_availability(tmp_path, [AVAILABLE[0], AVAILABLE[3]])
    write_loaded(tmp_path, LOADED)
    selection = releases.select("reporter", tmp_path, [2013, 2014], full_refresh=False)
    assert selection.changed == [] and selection.releases == []


def test_reporter_years_are_packed_by_shared_reporters():
    requests = plan.plan_reporter_years(
        [(KAZ, 2014), (KGZ, 2013), (KAZ, 2013), (KGZ, 2012), (KAZ, 2012)], [0, CHN], cap=100_000
    )
    assert [(r.reporters, r.years) for r in requests] == [
        ((KAZ, KGZ), (2012, 2013)),
        ((KAZ,), (2014,)),
    ]
    assert all(r.partners == (0, CHN) and r.flows == ("M", "X") for r in requests)
    assert plan.plan_reporter_years([], [0, CHN], cap=500) == []
