from pathlib import Path

import pytest

from eurasia.imf.sdmx_csv import (
    NotSdmxCsvError,
    count_observations,
    decode,
    flavour,
    is_no_results,
    read_table,
)

FIXTURES = Path(__file__).parent / "fixtures" / "imf"
CSV10 = (FIXTURES / "imf_dip_synthetic_sdmx_csv10.csv").read_bytes()
CSV20 = (FIXTURES / "imf_dip_sample_sdmx_csv20.csv").read_bytes()


def test_counts_rows_not_lines_when_quoted_fields_span_lines():
    assert CSV20.count(b"\n") > 17  # the attribute texts span several lines...
    assert count_observations(CSV20) == 16  # ...but the sample has 16 observations
    assert count_observations(CSV10) == 16


def test_both_flavours_are_recognised():
    assert flavour(read_table(decode(CSV10))[0]) == "1.0"
    assert flavour(read_table(decode(CSV20))[0]) == "2.0"


def test_real_sample_keeps_the_multi_line_text_and_the_confidential_cell():
    header, rows = read_table(decode(CSV20))
    description = rows[0][header.index("FULL_DESCRIPTION")]
    assert description.count("\n") == 4
    confidential = [r for r in rows if r[header.index("STATUS")] == "C"]
    assert confidential and all(r[header.index("OBS_VALUE")] == "" for r in confidential)


def test_header_only_answer_has_no_observations():
    assert count_observations(CSV10.split(b"\n")[0] + b"\n") == 0


def test_byte_order_mark_is_tolerated():
    assert count_observations(b"\xef\xbb\xbf" + CSV10) == 16


@pytest.mark.parametrize(
    "body",
    [
        b"",
        b"<html><body>Service moved</body></html>",
        b'{"statusCode": 500, "message": "oops"}',
        b"a,b\n1,2\n",
        b"\xff\xfe\x00n\x00o",
    ],
)
def test_anything_else_is_rejected(body):
    with pytest.raises(NotSdmxCsvError):
        count_observations(body)


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        (b'<ErrorMessage code="100"><Text>NoResultsFound</Text></ErrorMessage>', True),
        (b"No Results Found", True),
        (b"NoRecordsFound", True),
        (b"no route for /x", False),
        (b"Resource not found", False),
    ],
)
def test_no_results_answers_are_recognised(body, expected):
    assert is_no_results(body) is expected
