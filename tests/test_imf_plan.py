import logging

from eurasia import reference
from eurasia.http import build_url
from eurasia.imf.plan import FIRST_SURVEY_YEAR, ImfRequest, plan_requests
from eurasia.settings import DEFAULT_IMF_SDMX_BASE_URL, YearRange


def test_every_republic_is_asked_for_once_in_chunks_of_five():
    plan = plan_requests(YearRange(2009, 2025))
    asked = [iso3 for request in plan for iso3 in request.countries]
    assert sorted(asked) == sorted(e.iso3 for e in reference.republics())
    assert len(asked) == len(set(asked)) == 15
    assert [len(r.countries) for r in plan] == [5, 5, 5]


def test_key_asks_for_both_dv_types_and_the_three_counterparts():
    request = ImfRequest(countries=("KAZ", "KGZ"), first_year=2009, last_year=2025)
    assert request.key() == "KAZ+KGZ.O+SCC.INWD_D_NETLA_FALL_ALL.CHN+RUS+G001.A"
    assert request.path() == "data/IMF.STA,DIP/KAZ+KGZ.O+SCC.INWD_D_NETLA_FALL_ALL.CHN+RUS+G001.A"
    assert request.params() == {"startPeriod": 2009, "endPeriod": 2025}


def test_url_is_sent_unescaped_and_short():
    request = plan_requests(YearRange(2009, 2025))[0]
    url = build_url(DEFAULT_IMF_SDMX_BASE_URL, request.path(), request.params())
    assert url == (
        "https://api.imf.org/external/sdmx/2.1/data/IMF.STA,DIP/"
        "ARM+AZE+BLR+EST+GEO.O+SCC.INWD_D_NETLA_FALL_ALL.CHN+RUS+G001.A"
        "?startPeriod=2009&endPeriod=2025"
    )
    assert len(url) < 200


def test_years_are_clipped_to_the_first_survey_year():
    plan = plan_requests(YearRange(2000, 2012))
    assert {(r.first_year, r.last_year) for r in plan} == {(FIRST_SURVEY_YEAR, 2012)}
    assert plan[0].years == [2009, 2010, 2011, 2012]


def test_a_range_ending_before_the_survey_plans_nothing_and_says_so(caplog):
    with caplog.at_level(logging.WARNING, logger="eurasia.imf"):
        assert plan_requests(YearRange(2000, 2008)) == []
    assert "before 2009" in caplog.text


def test_countries_and_chunk_size_can_be_chosen():
    plan = plan_requests([2010], countries=["ARM", "KAZ", "UZB"], chunk_size=2)
    assert [r.countries for r in plan] == [("ARM", "KAZ"), ("UZB",)]
