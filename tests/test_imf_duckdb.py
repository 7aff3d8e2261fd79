"""The loader reads landed SDMX-CSV with DuckDB's read_csv(all_varchar=true); prove it can."""

import gzip
import shutil
from pathlib import Path

import duckdb
import pytest

from eurasia.demo.imf_api import ImfDipEngine
from eurasia.imf.sdmx_csv import CSV_10_MEDIA_TYPE
from eurasia.rawzone import RawZoneRun

FIXTURES = Path(__file__).parent / "fixtures" / "imf"
CSV10 = FIXTURES / "imf_dip_synthetic_sdmx_csv10.csv"
CSV20 = FIXTURES / "imf_dip_sample_sdmx_csv20.csv"
COLUMNS = ("COUNTRY", "DV_TYPE", "COUNTERPART_COUNTRY", "TIME_PERIOD", "OBS_VALUE", "STATUS")


def read(path: Path) -> list[dict]:
    relation = duckdb.sql(
        "select * from read_csv(?, all_varchar=true, header=true)", params=[str(path)]
    )
    return [dict(zip(relation.columns, row, strict=True)) for row in relation.fetchall()]


def as_gz(path: Path, tmp_path: Path) -> Path:
    target = tmp_path / (path.name + ".gz")
    with open(path, "rb") as src, gzip.open(target, "wb") as dst:
        shutil.copyfileobj(src, dst)
    return target


@pytest.fixture(params=["plain", "gz"])
def opener(request, tmp_path):
    return (lambda p: p) if request.param == "plain" else (lambda p: as_gz(p, tmp_path))


def test_sdmx_csv_10(opener):
    rows = read(opener(CSV10))
    assert len(rows) == 16
    assert set(COLUMNS) <= set(rows[0]) and "DATAFLOW" in rows[0]
    assert rows[0]["DATAFLOW"] == "IMF.STA:DIP(12.0.1)"
    kaz = next(r for r in rows if r["COMMENTS"])
    assert kaz["COMMENTS"] == (
        "SYNTHETIC test row, not IMF data.\n"
        'Second line of a quoted field, with "doubled quotes" inside.'
    )
    confidential = [r for r in rows if r["STATUS"] == "C"]
    # DuckDB reads an empty field as NULL: a confidential cell has no value at all.
    assert len(confidential) == 2 and all(r["OBS_VALUE"] is None for r in confidential)
    assert {r["DV_TYPE"] for r in rows} == {"O", "SCC"}
    assert "-3500000" in {r["OBS_VALUE"] for r in rows}


def test_sdmx_csv_20_real_sample(opener):
    rows = read(opener(CSV20))
    assert len(rows) == 16
    assert set(COLUMNS) <= set(rows[0]) and "STRUCTURE_ID" in rows[0]
    assert rows[0]["STRUCTURE_ID"] == "IMF.STA:DIP(12.0.1)"
    assert all(r["FULL_DESCRIPTION"].count("\n") == 4 for r in rows)
    confidential = [r for r in rows if r["STATUS"] == "C"]
    assert len(confidential) == 5 and all(r["OBS_VALUE"] is None for r in confidential)
    assert [r["OBS_VALUE"] for r in rows if r["COUNTERPART_COUNTRY"] == "ARE"] == [
        "90067429.99999996",
        "386781000.0000001",
    ]


def test_a_landed_engine_answer(tmp_path):
    engine = ImfDipEngine(CSV10.read_text(encoding="utf-8"))
    _, headers, body = engine.answer(
        "/data/IMF.STA,DIP/KAZ+TKM.O+SCC.INWD_D_NETLA_FALL_ALL.CHN+RUS+G001.A",
        {"startPeriod": ["2009"], "endPeriod": ["2012"]},
        {"Accept": CSV_10_MEDIA_TYPE},
    )
    run = RawZoneRun(tmp_path, "imf_dip", "dip", "test", "live")
    record = run.land(
        url="u",
        params={},
        requested_at=0.0,
        http_status=200,
        content_type=headers["Content-Type"],
        body=body,
        extension="csv",
        record_count=5,
        years=[2011, 2012],
    )
    rows = read(tmp_path / record.body_file)
    assert len(rows) == record.record_count
    assert {(r["COUNTRY"], r["DV_TYPE"]) for r in rows} == {
        ("KAZ", "O"),
        ("KAZ", "SCC"),
        ("TKM", "SCC"),
    }


def test_both_flavours_in_one_read_with_explicit_quoting(tmp_path):
    """The options a loader reading many landings at once may add must not change the rows."""
    files = [str(as_gz(CSV10, tmp_path)), str(as_gz(CSV20, tmp_path))]
    relation = duckdb.sql(
        "select * from read_csv(?, all_varchar=true, header=true, union_by_name=true, "
        """filename=true, quote='"', escape='"', max_line_size=10000000)""",
        params=[files],
    )
    rows = [dict(zip(relation.columns, row, strict=True)) for row in relation.fetchall()]
    assert len(rows) == 32
    assert {r["DATAFLOW"] for r in rows} == {"IMF.STA:DIP(12.0.1)", None}
    assert sum(r["STATUS"] == "C" for r in rows) == 7
    assert sum((r["FULL_DESCRIPTION"] or "").count("\n") for r in rows) == 64
