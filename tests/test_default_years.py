"""Default years: the demo snapshot's own years on any day; live runs fetch up to last year.

"Today" is settable (load_settings(today=...)), so these tests say the same on any date.
"""

from __future__ import annotations

import datetime as dt
import gzip
import json

import pytest

from eurasia.demo import SNAPSHOT_AS_OF, SNAPSHOT_YEARS
from eurasia.demo.comtrade_api import PREVIEW_DA_PATH
from eurasia.demo.snapshot_engines import COMTRADE_SNAPSHOT, snapshot_routes
from eurasia.settings import YearRange, default_years, load_settings

DAYS = [dt.date(2026, 5, 1), dt.date(2026, 12, 31), dt.date(2027, 1, 1), dt.date(2028, 6, 15)]


@pytest.mark.parametrize("today", DAYS, ids=str)
def test_demo_default_years_are_the_snapshots_whatever_the_date(today):
    settings = load_settings({}, today=today)
    assert settings.source == "snapshot"
    assert str(settings.years) == SNAPSHOT_YEARS == default_years("snapshot", today=today)
    assert settings.years == YearRange(2000, 2025)


@pytest.mark.parametrize("today", DAYS, ids=str)
def test_live_default_years_run_from_2000_to_last_year(today):
    settings = load_settings({"EURASIA_SOURCE": "live"}, today=today)
    assert settings.years == YearRange(2000, today.year - 1)


def test_explicit_years_still_win_and_the_latest_year_follows_today():
    assert load_settings({"EURASIA_YEARS": "2010-2012"}, today=DAYS[0]).years == YearRange(
        2010, 2012
    )
    assert load_settings({"EURASIA_YEARS": "2027"}, today=dt.date(2028, 1, 1)).years.last == 2027


def test_snapshot_years_and_date_are_the_snapshots_own():
    with gzip.open(COMTRADE_SNAPSHOT, "rt", encoding="utf-8") as f:
        years = {r["refYear"] for r in json.load(f)["data"]}
    assert f"{min(years)}-{max(years)}" == SNAPSHOT_YEARS
    as_of = dt.datetime.fromisoformat(SNAPSHOT_AS_OF)
    assert as_of.date() > dt.date(max(years), 12, 31)  # after the snapshot's last year
    engine = snapshot_routes()["comtrade"]
    released = []
    for year in sorted(years):  # a year a call: all reporters' availability fits under the cap
        status, _, body = engine.answer(PREVIEW_DA_PATH, {"period": [str(year)]}, {})
        assert status == 200
        for r in json.loads(body)["data"]:
            released += [dt.datetime.fromisoformat(r[k]) for k in ("firstReleased", "lastReleased")]
    assert len(released) > 1000
    # Nothing in the snapshot was released after its date, and its last year was released.
    assert max(released) <= as_of
    assert max(released) >= dt.datetime(max(years) + 1, 1, 1)
