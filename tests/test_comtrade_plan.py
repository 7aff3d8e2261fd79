"""Request planning: every request fits under the endpoint's cap, and the plan covers each
(reporter, partner, flow, year) exactly once."""

from __future__ import annotations

import itertools
from collections import Counter

import pytest

from eurasia import reference
from eurasia.comtrade.plan import (
    KEYED_CAP,
    MAX_PERIODS_PER_REQUEST,
    PREVIEW_CAP,
    REPORTERS_UPPER_BOUND,
    CannotSplitError,
    ComtradeRequest,
    plan_mirror_side,
    plan_reporter_side,
    plan_summary,
)

REPUBLICS = [e.m49_code for e in reference.republics()]
PARTNERS = [e.m49_code for e in reference.partners()]
YEARS = list(range(2000, 2026))  # the default EURASIA_YEARS: 26 years


def combos(requests):
    """Every (reporter, partner, flow, year) the requests ask for; reporter None = all."""
    return Counter(
        itertools.chain.from_iterable(
            itertools.product(r.reporters or (None,), r.partners, r.flows, r.years)
            for r in requests
        )
    )


def test_reference_lists_are_the_15_republics_and_world_china_russia():
    assert len(REPUBLICS) == 15
    assert PARTNERS == [0, 156, 643]


@pytest.mark.parametrize("cap", [KEYED_CAP, PREVIEW_CAP])
def test_reporter_side_fits_under_the_cap_and_covers_each_combination_once(cap):
    requests = plan_reporter_side(REPUBLICS, PARTNERS, years=YEARS, cap=cap)

    assert all(r.max_records() <= cap for r in requests)
    assert all(len(r.years) <= MAX_PERIODS_PER_REQUEST for r in requests)
    expected = Counter(itertools.product(sorted(REPUBLICS), PARTNERS, ("M", "X"), YEARS))
    assert combos(requests) == expected


def test_reporter_side_request_counts():
    # 15 x 3 x 2 = 90 records per year: keyed is limited by 12 periods per request only,
    # preview fits 5 years (450 records) per request.
    keyed = plan_reporter_side(REPUBLICS, years=YEARS, cap=KEYED_CAP)
    preview = plan_reporter_side(REPUBLICS, years=YEARS, cap=PREVIEW_CAP)

    assert [len(r.years) for r in keyed] == [9, 9, 8]
    assert [len(r.years) for r in preview] == [5, 5, 4, 4, 4, 4]
    assert all(len(r.reporters) == 15 and r.partners == (0, 156, 643) for r in keyed + preview)


@pytest.mark.parametrize("cap", [KEYED_CAP, PREVIEW_CAP])
def test_mirror_side_fits_under_the_cap_and_covers_each_combination_once(cap):
    requests = plan_mirror_side(REPUBLICS, YEARS, cap)

    assert all(r.reporters is None for r in requests)
    assert all(r.max_records(REPORTERS_UPPER_BOUND) <= cap for r in requests)
    assert all(len(r.years) <= MAX_PERIODS_PER_REQUEST for r in requests)
    expected = Counter(itertools.product([None], sorted(REPUBLICS), ("M", "X"), YEARS))
    assert combos(requests) == expected


def test_mirror_keyed_plan_needs_far_fewer_requests_than_preview():
    keyed = plan_mirror_side(REPUBLICS, YEARS, KEYED_CAP)
    preview = plan_mirror_side(REPUBLICS, YEARS, PREVIEW_CAP)

    # keyed: 260 x 15 x 2 = 7,800 records a year, at most 12 years a request -> 3 requests.
    assert len(keyed) == 3
    assert max(r.max_records() for r in keyed) == 9 * 7_800
    # preview: 260 x 2 flows = 520 > 500, so one partner, one flow and one year a request.
    assert len(preview) == 15 * 2 * 26 == 780
    assert all(len(r.partners) == len(r.flows) == len(r.years) == 1 for r in preview)


def test_mirror_plan_adapts_to_the_reporters_bound():
    # With at most 200 reporters, both flows of a partner-year fit in one preview answer.
    requests = plan_mirror_side(REPUBLICS, [2010], PREVIEW_CAP, reporters_upper_bound=200)

    assert len(requests) == 15
    assert all(r.flows == ("M", "X") for r in requests)


def test_a_cap_below_one_combination_is_refused():
    with pytest.raises(ValueError, match="more than the cap"):
        plan_mirror_side(REPUBLICS, YEARS, 100)


def test_params_are_the_api_names_without_any_key():
    request = ComtradeRequest(
        reporters=(398, 417), partners=(0, 156), flows=("M", "X"), years=(2010, 2011)
    )

    assert request.params() == {
        "cmdCode": "TOTAL",
        "flowCode": "M,X",
        "partnerCode": "0,156",
        "reporterCode": "398,417",
        "period": "2010,2011",
        "customsCode": "C00",
        "motCode": "0",
        "partner2Code": "0",
        "includeDesc": "true",
    }
    assert request.params(max_records=500)["maxRecords"] == "500"
    assert not any("key" in name.lower() for name in request.params(max_records=500))


def test_all_reporters_omits_reporter_code():
    request = ComtradeRequest(reporters=None, partners=(398,), flows=("M",), years=(2010,))

    assert "reporterCode" not in request.params()
    assert request.max_records(260) == 260
    assert request.max_records(100) == 100


def test_split_halves_years_then_reporters_then_partners_then_flows():
    request = ComtradeRequest((398, 417, 860), (0, 156), ("M", "X"), (2010, 2011, 2012))

    first, second = request.split()
    assert (first.years, second.years) == ((2010, 2011), (2012,))
    assert first.reporters == second.reporters == request.reporters

    one_year = ComtradeRequest((398, 417, 860), (0, 156), ("M", "X"), (2010,))
    assert [p.reporters for p in one_year.split()] == [(398, 417), (860,)]

    one_reporter = ComtradeRequest((398,), (0, 156), ("M", "X"), (2010,))
    assert [p.partners for p in one_reporter.split()] == [(0,), (156,)]

    all_reporters = ComtradeRequest(None, (398,), ("M", "X"), (2010,))
    assert [p.flows for p in all_reporters.split()] == [("M",), ("X",)]
    assert all(p.reporters is None for p in all_reporters.split())


def test_split_parts_cover_the_request_exactly():
    request = ComtradeRequest((398, 417, 860), (0, 156, 643), ("M", "X"), (2010, 2011, 2012))
    parts, done = [request], []
    while parts:
        part = parts.pop()
        try:
            parts.extend(part.split())
        except CannotSplitError:
            done.append(part)

    assert len(done) == 3 * 3 * 2 * 3
    assert combos(done) == combos([request])


def test_a_smallest_request_cannot_be_split():
    with pytest.raises(CannotSplitError):
        ComtradeRequest(None, (398,), ("M",), (2010,)).split()


def test_empty_dimensions_are_refused():
    with pytest.raises(ValueError):
        ComtradeRequest((), (398,), ("M",), (2010,))
    with pytest.raises(ValueError):
        ComtradeRequest(None, (398,), ("M",), ())
    with pytest.raises(ValueError, match="no years"):
        plan_mirror_side(REPUBLICS, [], KEYED_CAP)


def test_plan_summary():
    summary = plan_summary(plan_mirror_side(REPUBLICS, YEARS, KEYED_CAP))

    assert summary["requests"] == 3
    assert summary["reporters"] == "all"
    assert summary["years"] == YEARS
    assert summary["partners"] == sorted(REPUBLICS)
    assert summary["flows"] == ["M", "X"]
    assert summary["largest_answer_bound"] == 70_200
    assert summary["records_bound"] == 26 * 7_800

    reporter = plan_summary(plan_reporter_side(REPUBLICS, years=YEARS, cap=PREVIEW_CAP))
    assert reporter["reporters"] == sorted(REPUBLICS)
    assert reporter["records_bound"] == 26 * 90


def test_live_mirror_plan_counts_only_reporter_codes_in_use_in_the_years():
    from eurasia.comtrade.client import plan_requests
    from eurasia.reference import reporters_active

    # UN Comtrade's reference list: 255 codes, of which 226 in use at some time in 2000-2025
    # (codes such as the GDR, Czechoslovakia or Belgium-Luxembourg expired before 2000).
    assert reporters_active(2000, 2025) == 226
    assert reporters_active(1990, 2025) > reporters_active(2000, 2025)
    years = list(range(2000, 2026))
    preview = plan_requests("mirror", years, PREVIEW_CAP)
    # 226 x 2 flows = 452 <= 500: one partner-year a call, both flows.
    assert len(preview) == 15 * 26 == 390
    assert all(r.flows == ("M", "X") and len(r.partners) == len(r.years) == 1 for r in preview)
    assert len(plan_requests("mirror", years, KEYED_CAP)) == 3
