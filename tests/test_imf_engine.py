import csv
import io
from pathlib import Path

import pytest

from eurasia.demo.imf_api import CSV_CONTENT_TYPE, ImfDipEngine
from eurasia.imf.sdmx_csv import CSV_10_MEDIA_TYPE, is_no_results

FIXTURES = Path(__file__).parent / "fixtures" / "imf"
CSV10 = (FIXTURES / "imf_dip_synthetic_sdmx_csv10.csv").read_text(encoding="utf-8")
CSV20 = (FIXTURES / "imf_dip_sample_sdmx_csv20.csv").read_text(encoding="utf-8")
ACCEPT = {"Accept": CSV_10_MEDIA_TYPE}
KEY = ".O+SCC.INWD_D_NETLA_FALL_ALL.CHN+RUS+G001.A"


def rows_of(body: bytes) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(body.decode("utf-8"), newline="")))


def ask(engine, key, headers=ACCEPT, flow="IMF.STA,DIP", **query):
    return engine.answer(f"/data/{flow}/{key}", {k: [v] for k, v in query.items()}, headers)


def test_filters_by_every_dimension_and_period():
    status, headers, body = ask(
        ImfDipEngine(CSV10), "ARM" + KEY, startPeriod="2009", endPeriod="2012"
    )
    assert status == 200
    assert headers["Content-Type"] == CSV_CONTENT_TYPE
    got = {(r["COUNTERPART_COUNTRY"], r["TIME_PERIOD"]) for r in rows_of(body)}
    # DEU is not asked for; 2013 is after endPeriod.
    assert got == {("CHN", "2010"), ("RUS", "2010"), ("G001", "2010"), ("RUS", "2011")}


def test_empty_key_parts_are_wildcards():
    status, _, body = ask(ImfDipEngine(CSV10), "KAZ....")
    assert status == 200
    assert {r["DV_TYPE"] for r in rows_of(body)} == {"O", "SCC"}
    status, _, body = ask(ImfDipEngine(CSV10), "all")
    assert len(rows_of(body)) == 16


def test_serves_the_same_columns_and_keeps_multi_line_fields_intact():
    status, _, body = ask(ImfDipEngine(CSV10), "all")
    # The fixture is written the way the csv module writes, so a full answer is the fixture.
    assert body == CSV10.encode("utf-8")
    status, _, body = ask(ImfDipEngine(CSV10), "KAZ.O..CHN.A", startPeriod="2011")
    [row] = rows_of(body)
    assert row["COMMENTS"].splitlines()[1].startswith("Second line")
    assert '"doubled quotes"' in row["COMMENTS"]


def test_serves_the_real_sdmx_csv_20_sample_with_its_own_header():
    status, _, body = ask(ImfDipEngine(CSV20), "AUT.O..AGO.A")
    assert status == 200
    assert body.decode().startswith("STRUCTURE[;],STRUCTURE_ID,ACTION,COUNTRY")
    rows = rows_of(body)
    assert [(r["OBS_VALUE"], r["STATUS"]) for r in rows] == [("", "C"), ("", "C")]
    assert rows[0]["FULL_DESCRIPTION"].count("\n") == 4


def test_no_match_is_sdmx_no_results_found():
    status, headers, body = ask(ImfDipEngine(CSV10), "BLR" + KEY)
    assert status == 404
    assert b"NoResultsFound" in body and b'code="100"' in body
    assert is_no_results(body)


def test_unknown_path_is_a_different_404():
    engine = ImfDipEngine(CSV10)
    for path in ("/data/IMF.STA,CPIS/ARM....", "/dataflow/IMF.STA/DIP", "/"):
        status, _, body = engine.answer(path, {}, ACCEPT)
        assert status == 404 and not is_no_results(body)


@pytest.mark.parametrize("flow", ["IMF.STA:DIP", "IMF.STA,DIP,12.0.1", "IMF.STA,DIP,latest"])
def test_flow_reference_variants(flow):
    assert ask(ImfDipEngine(CSV10), "ARM" + KEY, flow=flow)[0] == 200


def test_malformed_key_and_period_are_400():
    assert ask(ImfDipEngine(CSV10), "ARM.O")[0] == 400
    assert ask(ImfDipEngine(CSV10), "ARM" + KEY, startPeriod="soon")[0] == 400


def test_asks_for_csv():
    status, _, _ = ask(ImfDipEngine(CSV10), "ARM" + KEY, headers={"Accept": "application/xml"})
    assert status == 406


def test_key_is_required_when_configured_in_any_header_case():
    engine = ImfDipEngine(CSV10, api_key="k-123")
    assert ask(engine, "ARM" + KEY)[0] == 401
    wrong = {**ACCEPT, "Ocp-Apim-Subscription-Key": "nope"}
    assert ask(engine, "ARM" + KEY, headers=wrong)[0] == 401
    right = {**ACCEPT, "ocp-apim-subscription-key": "k-123"}
    assert ask(engine, "ARM" + KEY, headers=right)[0] == 200


def test_accepts_rows_as_well_as_text():
    rows = list(csv.DictReader(io.StringIO(CSV10, newline="")))
    assert ask(ImfDipEngine(rows), "all")[2] == CSV10.encode("utf-8")
    assert ask(ImfDipEngine(CSV10.encode()), "all")[2] == CSV10.encode("utf-8")


def test_ragged_input_is_refused():
    with pytest.raises(ValueError, match="do not have"):
        ImfDipEngine(CSV10 + "IMF.STA:DIP(12.0.1),ARM,O\n")
