"""The demo Comtrade engine answers like the real API, checked against recorded real answers."""

from __future__ import annotations

import copy
import datetime as dt
import json
import re
import time
from pathlib import Path

import pytest

from eurasia.demo import SNAPSHOT_AS_OF
from eurasia.demo.comtrade_api import (
    KEYED_DA_PATH,
    KEYED_PATH,
    PREVIEW_DA_PATH,
    PREVIEW_PATH,
    ComtradeEngine,
)

FIXTURES = Path(__file__).parent / "fixtures" / "comtrade"
USA_JPN = "comtrade_public_v1_preview_C_A_HS_reporter842_partner392_2023_TOTAL.json"
CHN_ARG_DEU = "comtrade_v1_get_C_A_HS_reporter156_partners32-276_2010_TOTAL.json"
EMPTY = "comtrade_v1_get_S_A_EB_empty_result.json"
KEY = "engine-test-key-0123456789"


def fixture_bytes(name: str) -> bytes:
    return (FIXTURES / name).read_bytes()


def fixture_records(name: str) -> list[dict]:
    return json.loads(fixture_bytes(name))["data"]


@pytest.fixture
def engine() -> ComtradeEngine:
    return ComtradeEngine(fixture_records(CHN_ARG_DEU) + fixture_records(USA_JPN), api_key=KEY)


def ask(engine, path=PREVIEW_PATH, headers=None, **params):
    status, headers_out, body = engine.answer(
        path, {name: [value] for name, value in params.items()}, headers or {}
    )
    return status, headers_out, body


def data(engine, path=PREVIEW_PATH, headers=None, **params) -> list[dict]:
    status, _, body = ask(engine, path, headers, **params)
    assert status == 200, body
    payload = json.loads(body)
    assert payload["count"] == len(payload["data"])
    return payload["data"]


def pairs(records) -> list[tuple]:
    return [(r["reporterCode"], r["partnerCode"], r["flowCode"], r["refYear"]) for r in records]


def synthetic(count: int) -> list[dict]:
    """`count` records shaped like a real one, each with its own reporter."""
    template = fixture_records(CHN_ARG_DEU)[0]
    records = []
    for i in range(count):
        record = copy.deepcopy(template)
        record.update(reporterCode=1000 + i, reporterISO=f"X{i:04d}", primaryValue=float(i))
        records.append(record)
    return records


def test_answer_is_byte_for_byte_the_recorded_real_answer(engine):
    # The recorded request: reporterCode=842&partnerCode=392&period=2023&cmdCode=TOTAL&flowCode=M,X
    status, headers, body = ask(
        engine,
        reporterCode="842",
        partnerCode="392",
        period="2023",
        cmdCode="TOTAL",
        flowCode="M,X",
        includeDesc="true",
    )

    assert status == 200
    assert headers["Content-Type"].startswith("application/json")
    real = re.sub(rb'"elapsedTime":"[^"]*"', b'"elapsedTime":"0.01 secs"', fixture_bytes(USA_JPN))
    assert body == real


def test_keyed_answer_matches_the_recorded_keyed_answer(engine):
    # The recorded request asked for partners 32,280,276; 280 (West Germany) has no rows.
    status, _, body = ask(
        engine,
        KEYED_PATH,
        {"Ocp-Apim-Subscription-Key": KEY},
        reporterCode="156",
        partnerCode="32,280,276",
        period="2010",
        cmdCode="TOTAL",
        motCode="0",
        partner2Code="0",
        customsCode="C00",
        includeDesc="TRUE",
    )

    assert status == 200
    real = re.sub(
        rb'"elapsedTime":"[^"]*"', b'"elapsedTime":"0.01 secs"', fixture_bytes(CHN_ARG_DEU)
    )
    assert body == real


def test_filters(engine):
    assert len(data(engine)) == 6  # no filter at all: every record
    assert {r["reporterCode"] for r in data(engine, reporterCode="156")} == {156}
    assert pairs(data(engine, partnerCode="32")) == [(156, 32, "M", 2010), (156, 32, "X", 2010)]
    assert pairs(data(engine, partnerCode="32,276", flowCode="X")) == [
        (156, 32, "X", 2010),
        (156, 276, "X", 2010),
    ]
    assert len(data(engine, period="2010,2023")) == 6
    assert {r["refYear"] for r in data(engine, period="2023")} == {2023}
    assert len(data(engine, cmdCode="TOTAL", customsCode="C00", motCode="0", partner2Code="0")) == 6
    assert data(engine, cmdCode="01") == []
    assert data(engine, motCode="1000") == []
    assert data(engine, partner2Code="156") == []
    assert data(engine, customsCode="C01") == []


def test_parameter_names_are_case_insensitive_like_the_api(engine):
    # comtradeapicall sends "reportercode" in lower case, and the API honours it.
    assert pairs(data(engine, reportercode="842", flowcode="M")) == [(842, 392, "M", 2023)]


def test_no_match_is_an_empty_200_answer_like_the_real_one(engine):
    status, _, body = ask(engine, reporterCode="398", period="2010")

    real = json.loads(fixture_bytes(EMPTY))
    assert status == 200
    assert json.loads(body) == {**real, "elapsedTime": "0.01 secs"}


def test_preview_cuts_silently_at_500_and_keyed_does_not():
    engine = ComtradeEngine(synthetic(600), api_key=KEY)

    preview = data(engine, partnerCode="32")
    keyed = data(engine, KEYED_PATH, {"Ocp-Apim-Subscription-Key": KEY}, partnerCode="32")

    assert len(preview) == 500
    assert [r["reporterCode"] for r in preview] == list(range(1000, 1500))
    assert len(keyed) == 600


def test_max_records_lowers_the_cap_but_never_raises_it():
    engine = ComtradeEngine(synthetic(600))

    assert len(data(engine, maxRecords="10")) == 10
    assert len(data(engine, maxRecords="100000")) == 500


@pytest.mark.parametrize(
    ("headers", "message"),
    [({}, "missing subscription key"), ({"Ocp-Apim-Subscription-Key": "wrong"}, "invalid")],
)
def test_keyed_path_refuses_without_the_right_key(engine, headers, message):
    status, out_headers, body = ask(engine, KEYED_PATH, headers, reporterCode="156")

    assert status == 401
    assert out_headers["Content-Type"].startswith("application/json")
    payload = json.loads(body)
    assert payload["statusCode"] == 401
    assert message in payload["message"]
    assert KEY.encode() not in body


def test_key_header_name_is_case_insensitive(engine):
    records = data(engine, KEYED_PATH, {"ocp-apim-subscription-key": KEY}, reporterCode="156")
    assert len(records) == 4


def test_engine_without_a_key_refuses_every_keyed_request():
    engine = ComtradeEngine(fixture_records(USA_JPN))
    status, _, _ = ask(engine, KEYED_PATH, {"Ocp-Apim-Subscription-Key": "anything"})
    assert status == 401


def test_preview_ignores_the_key(engine):
    assert len(data(engine, headers={"Ocp-Apim-Subscription-Key": "wrong"})) == 6


def test_unknown_path_is_404(engine):
    status, _, body = ask(engine, "/data/v1/get/S/A/EB")
    assert status == 404
    assert json.loads(body)["statusCode"] == 404


def test_hundreds_of_queries_over_30k_records_stay_fast():
    template = fixture_records(CHN_ARG_DEU)[0]
    records = []
    for reporter in range(250):
        for partner in (31, 51, 112, 398, 417, 643):
            for year in range(2000, 2010):
                record = dict(
                    template,
                    reporterCode=reporter,
                    partnerCode=partner,
                    refYear=year,
                    period=str(year),
                )
                records.append(record)
                records.append(dict(record, flowCode="X"))
    engine = ComtradeEngine(records)
    assert len(records) == 30_000

    started = time.perf_counter()
    for partner in (31, 51, 112, 398, 417, 643):
        for year in range(2000, 2010):
            for flow in ("M", "X"):
                assert (
                    len(data(engine, partnerCode=str(partner), period=str(year), flowCode=flow))
                    == 250
                )
    for reporter in range(0, 250, 2):
        assert len(data(engine, reporterCode=str(reporter), period="2000,2001")) == 24
    elapsed = time.perf_counter() - started

    assert elapsed < 5, f"245 queries took {elapsed:.1f} s"


# --- data availability (getDA) ------------------------------------------------------------------

DA_FIELDS = [
    "datasetCode", "typeCode", "freqCode", "period", "reporterCode", "reporterISO",
    "reporterDesc", "classificationCode", "classificationSearchCode", "isOriginalClassification",
    "isExtendedFlowCode", "isExtendedPartnerCode", "isExtendedPartner2Code", "isExtendedCmdCode",
    "isExtendedCustomsCode", "isExtendedMotCode", "totalRecords", "datasetChecksum",
    "firstReleased", "lastReleased",
]  # fmt: skip


def availability(engine, path=PREVIEW_DA_PATH, headers=None, **params) -> dict[tuple, dict]:
    return {(r["period"], r["reporterCode"]): r for r in data(engine, path, headers, **params)}


def test_getda_lists_each_reporter_year_with_records_and_counts_them(engine):
    listed = availability(engine)
    assert sorted(listed) == [("2010", 156), ("2023", 842)]
    china = listed[("2010", 156)]
    assert list(china) == DA_FIELDS
    assert (china["typeCode"], china["freqCode"], china["classificationCode"]) == ("C", "A", "H3")
    assert (china["reporterISO"], china["reporterDesc"], china["totalRecords"]) == (
        "CHN", "China", 4
    )  # fmt: skip
    assert listed[("2023", 842)]["totalRecords"] == 2
    assert isinstance(china["datasetChecksum"], int) and china["datasetChecksum"] > 0
    first, last = (dt.datetime.fromisoformat(china[k]) for k in ("firstReleased", "lastReleased"))
    assert dt.datetime(2011, 1, 1) <= first <= last <= dt.datetime.fromisoformat(SNAPSHOT_AS_OF)


def test_getda_filters_by_reporter_and_period_and_lists_nothing_unreleased(engine):
    assert sorted(availability(engine, reporterCode="842")) == [("2023", 842)]
    assert sorted(availability(engine, period="2010,2023", reporterCode="156,842")) == [
        ("2010", 156),
        ("2023", 842),
    ]
    assert availability(engine, period="2011") == {}
    assert availability(engine, reporterCode="398") == {}  # Kazakhstan: no records, not listed


def test_getda_keyed_needs_the_key_and_agrees_with_keyless(engine):
    status, _, body = ask(engine, KEYED_DA_PATH, period="2010")
    assert status == 401 and b"missing subscription key" in body
    keyed = availability(engine, KEYED_DA_PATH, headers={"Ocp-Apim-Subscription-Key": KEY})
    assert keyed == availability(engine)


def test_getda_checksum_follows_the_records_and_releases_can_be_set():
    records = fixture_records(CHN_ARG_DEU)
    before = availability(ComtradeEngine(records))[("2010", 156)]
    again = availability(ComtradeEngine(copy.deepcopy(records)))[("2010", 156)]
    assert again == before  # deterministic: same records, same answer
    revised = copy.deepcopy(records)
    revised[0]["primaryValue"] += 1
    releases = {(156, 2010): ("2011-06-01T10:00:00", "2012-02-03T04:05:06")}
    after = availability(ComtradeEngine(revised, releases=releases))[("2010", 156)]
    assert after["datasetChecksum"] != before["datasetChecksum"]
    assert (after["firstReleased"], after["lastReleased"]) == releases[(156, 2010)]
    assert after["totalRecords"] == before["totalRecords"]


def test_getda_release_times_never_pass_the_engines_date():
    records = synthetic(30)
    for i, record in enumerate(records):
        record.update(period=str(2000 + i % 26), refYear=2000 + i % 26)
    for as_of in ("2026-04-30", "2024-03-01"):
        for r in data(ComtradeEngine(records, as_of=as_of), PREVIEW_DA_PATH):
            first, last = (
                dt.datetime.fromisoformat(r[k]) for k in ("firstReleased", "lastReleased")
            )
            assert dt.datetime(int(r["period"]) + 1, 1, 1) <= first <= last, r
            if int(r["period"]) < int(as_of[:4]):  # a year that had ended by that date
                assert last <= dt.datetime.fromisoformat(as_of), r


def test_getda_preview_is_cut_at_500_like_the_data_endpoint():
    records = synthetic(600)
    assert len(data(ComtradeEngine(records), PREVIEW_DA_PATH)) == 500
    keyed = ComtradeEngine(records, api_key=KEY)
    headers = {"Ocp-Apim-Subscription-Key": KEY}
    assert len(data(keyed, KEYED_DA_PATH, headers)) == 600
