"""The bundled IMF DOTS workbooks (REAL data): unchanged, read right, every name mapped, landed
as received and loaded idempotently beside the synthetic demo data.

The values asserted were checked by hand outside DuckDB, in the sheet XML inside each workbook
(unzip, then the <c> element of the partner's row under the year's column): Kyrgyz Rep., sheet
'Imports, CIF', row 'China, P.R.: Mainland', 2019 (1,735 million, as Kyrgyzstan's statistics
office has it); Russian Federation, both sheets, China, 2018 (56,079 + 52,168 = 108.2 billion);
Kazakhstan, 'Exports, FOB', Austria, 1992 ('3.81 e'); Tajikistan-China 2000 (a cell without value).
"""

from __future__ import annotations

import csv
import hashlib
import shutil
from pathlib import Path

import duckdb
import pytest

from eurasia.imf import dots
from eurasia.loader import create_raw_tables, load_runs
from eurasia.rawzone import MANIFEST, RawZoneRun, new_run_id

ROOT = Path(__file__).resolve().parent.parent
SEED = ROOT / "dbt_project" / "seeds" / "imf_partner_names.csv"
REPORTERS = {
    "DOTS_9.xlsx": "ARM",
    "DOTS_13.xlsx": "AZE",
    "DOTS_18.xlsx": "BLR",
    "DOTS_40.xlsx": "CHN",
    "DOTS_65.xlsx": "EST",
    "DOTS_76.xlsx": "GEO",
    "DOTS_103.xlsx": "KAZ",
    "DOTS_109.xlsx": "KGZ",
    "DOTS_111.xlsx": "LVA",
    "DOTS_116.xlsx": "LTU",
    "DOTS_129.xlsx": "MDA",
    "DOTS_162.xlsx": "RUS",
    "DOTS_192.xlsx": "TJK",
    "DOTS_201.xlsx": "TKM",
    "DOTS_205.xlsx": "UKR",
    "DOTS_210.xlsx": "UZB",
}
# The digests of the files as copied from the source repository (see ATTRIBUTION.md), written
# here independently of SHA256SUMS so that a changed workbook and a changed list both fail.
KNOWN_DIGESTS = {
    "DOTS_9.xlsx": "4b9d33bd419b306acae613245978252363de58ddcc54cc0403fa4f449254efd7",
    "DOTS_162.xlsx": "4783e66b8277651c508087b13491cec0cb0edc2895ec6b1e7e4b1c1baba05de1",
    "DOTS_109.xlsx": "750e4325f244758a8f54e2c4e3cbec74088f08c1b3d0d75fbebdb412cd1e7dc7",
}


@pytest.fixture(scope="module")
def cells() -> duckdb.DuckDBPyConnection:
    """Every value cell of the bundled workbooks, as the loader reads them, in table `cells`."""
    con = duckdb.connect()
    dots.load_excel_extension(con)
    paths = [str(p) for p in dots.verified_workbooks()]
    con.execute(f"CREATE TABLE cells AS {dots.workbook_values_sql(paths)}")
    yield con
    con.close()


def cell(con, reporter: str, sheet: str, partner: str, year: str) -> list[str]:
    return [
        r[0]
        for r in con.execute(
            "SELECT value_text FROM cells WHERE reporter_name = ? AND sheet = ? "
            "AND partner_name = ? AND year = ?",
            [reporter, sheet, partner, year],
        ).fetchall()
    ]


def seed_rows() -> list[dict]:
    with open(SEED, newline="", encoding="utf-8") as f:
        return list(csv.DictReader(f))


# --- the bundle ------------------------------------------------------------------------------


def test_the_bundle_is_the_sixteen_files_byte_for_byte():
    expected = dots.expected_checksums()
    assert set(expected) == set(REPORTERS)
    for name, digest in KNOWN_DIGESTS.items():
        assert expected[name] == digest
    for path in dots.verified_workbooks():
        assert hashlib.sha256(path.read_bytes()).hexdigest() == expected[path.name]
    assert (dots.BUNDLE_DIR / "ATTRIBUTION.md").read_text().count("February 2022") >= 1


def test_a_changed_or_missing_workbook_is_refused(tmp_path):
    copy = tmp_path / "imf_dots"
    shutil.copytree(dots.BUNDLE_DIR, copy)
    data = bytearray((copy / "DOTS_109.xlsx").read_bytes())
    data[-1] ^= 1
    (copy / "DOTS_109.xlsx").write_bytes(bytes(data))
    with pytest.raises(dots.BundleError, match="DOTS_109.xlsx is not the bundled"):
        dots.verified_workbooks(copy)
    (copy / "DOTS_109.xlsx").unlink()
    with pytest.raises(dots.BundleError, match="missing"):
        dots.verified_workbooks(copy)


# --- the reader ------------------------------------------------------------------------------


def test_values_read_are_the_cells_checked_by_hand(cells):
    assert cell(cells, "Kyrgyz Rep.", "Imports, CIF", "China, P.R.: Mainland", "2019") == [
        "1734.9705080000001"
    ]
    assert cell(cells, "Russian Federation", "Exports, FOB", "China, P.R.: Mainland", "2018") == [
        "56079.088095999999"
    ]
    assert cell(cells, "Russian Federation", "Imports, CIF", "China, P.R.: Mainland", "2018") == [
        "52167.592203"
    ]
    # an IMF estimate keeps its mark; an empty cell has no row (Tajikistan-China 2000)
    assert cell(cells, "Kazakhstan, Rep. of", "Exports, FOB", "Austria", "1992") == ["3.81 e"]
    assert cell(cells, "Tajikistan, Rep. of", "Imports, CIF", "China, P.R.: Mainland", "2000") == []


def test_every_sheet_is_read_with_its_header_cells(cells):
    rows = cells.execute(
        "SELECT reporter_name, sheet, any_value(title), list_distinct(list(unit)), "
        "count(*), min(year), max(year), count(*) FILTER (WHERE year IS NULL) "
        "FROM cells GROUP BY ALL"
    ).fetchall()
    assert len(rows) == 32  # 16 workbooks x 2 sheets
    for reporter, sheet, title, units, count, first, last, unlabelled in rows:
        assert title.startswith(sheet), (reporter, sheet, title)
        assert units == ["US Dollars, Millions"]
        assert count > 2000 and last == "2020" and unlabelled == 0
        assert first <= "1992"
    assert cells.execute("SELECT count(*) FROM cells").fetchone()[0] == 127421


def test_every_value_is_a_number_or_a_marked_estimate(cells):
    odd = cells.execute(
        "SELECT value_text FROM cells WHERE try_cast(value_text AS DOUBLE) IS NULL "
        "AND NOT regexp_full_match(value_text, '[0-9]{1,3}(,[0-9]{3})*\\.[0-9]+ e')"
    ).fetchall()
    assert odd == []


# --- the name mapping ------------------------------------------------------------------------


def test_every_name_in_the_workbooks_maps_or_is_knowingly_not_an_economy(cells):
    seed = {row["imf_name"]: row for row in seed_rows()}
    names = {
        r[0]
        for r in cells.execute(
            "SELECT partner_name FROM cells UNION SELECT reporter_name FROM cells"
        ).fetchall()
    }
    assert names - set(seed) == set(), "names missing from imf_partner_names.csv"
    kinds = {"economy", "former_economy", "world", "aggregate", "unallocated", "heading"}
    for name, row in seed.items():
        assert row["kind"] in kinds, name
        if row["kind"] == "economy":
            assert len(row["iso3"]) == 3 and row["iso3"].isupper(), name
        if row["kind"] in ("world", "aggregate", "unallocated", "heading"):
            assert row["iso3"] == "", name
    codes = [row["iso3"] for row in seed.values() if row["iso3"]]
    assert len(codes) == len(set(codes))
    assert seed["China, P.R.: Mainland"]["iso3"] == "CHN"
    assert seed["Russian Federation"]["iso3"] == "RUS"
    assert seed["China, P.R.: Hong Kong"]["iso3"] == "HKG"
    assert seed["World"]["kind"] == "world"
    assert seed["Advanced Economies"]["kind"] == "aggregate"


def test_each_workbook_reports_the_economy_of_its_file_name(cells):
    seed = {row["imf_name"]: row["iso3"] for row in seed_rows()}
    found = {
        Path(filename).name: seed[reporter]
        for filename, reporter in cells.execute(
            "SELECT DISTINCT filename, reporter_name FROM cells"
        ).fetchall()
    }
    assert found == REPORTERS


# --- landing and loading ---------------------------------------------------------------------


@pytest.fixture(scope="module")
def landed(tmp_path_factory):
    root = tmp_path_factory.mktemp("raw")
    run = RawZoneRun(root, dots.SOURCE, dots.DATASET, new_run_id(), dots.VINTAGE)
    summary = dots.extract(run)
    return root, run, summary


def test_workbooks_land_as_received_with_sidecars(landed):
    root, run, summary = landed
    assert summary["workbooks"] == 16 and summary["value_cells"] == 127421
    assert (run.folder / MANIFEST).exists()
    expected = dots.expected_checksums()
    for record in run.landings:
        name = record.params["file"]
        body = (root / record.body_file).read_bytes()
        assert record.body_file.endswith(".xlsx")  # the file itself, not re-compressed
        assert hashlib.sha256(body).hexdigest() == record.body_sha256 == expected[name]
        assert record.vintage == "imf-dots-2022-02" and record.source == "imf_dots"
        assert record.http_status is None and record.url.endswith(name)
        assert record.record_count > 2000 and 2020 in record.years


@pytest.mark.parametrize("beside", ["demo-synthetic-v1", "live"])
def test_loading_is_idempotent_and_sits_beside_demo_or_live_data(landed, tmp_path, beside):
    root, run, _ = landed
    con = duckdb.connect(str(tmp_path / "w.duckdb"))
    # a warehouse already holding demo (or live) data takes the real workbooks beside it
    create_raw_tables(con)
    con.execute(
        "INSERT INTO raw.landings (landing_id, source, dataset, vintage, years) "
        "VALUES ('comtrade/reporter/run=x/00001', 'comtrade', 'reporter', ?, [2019])",
        [beside],
    )
    first = load_runs(con, root, [run.folder])[0]
    again = load_runs(con, root, [run.folder])[0]
    assert first.rows_loaded == again.rows_loaded == again.rows_replaced == 127421
    assert con.execute("SELECT count(*) FROM raw.imf_dots_values").fetchone()[0] == 127421
    assert con.execute(
        "SELECT value_text FROM raw.imf_dots_values WHERE reporter_name = 'Kyrgyz Rep.' "
        "AND sheet = 'Imports, CIF' AND partner_name = 'China, P.R.: Mainland' AND year = '2019'"
    ).fetchall() == [("1734.9705080000001",)]
    vintages = con.execute("SELECT DISTINCT vintage FROM raw.landings").fetchall()
    assert sorted(vintages) == sorted([(beside,), ("imf-dots-2022-02",)])
    # ... while demo and live data still never meet, with or without the real rows beside them
    other = "live" if beside.startswith("demo-") else "demo-synthetic-v1"
    stranger = RawZoneRun(root, "comtrade", "reporter", new_run_id(), other)
    stranger.complete([2019], {})
    with pytest.raises(RuntimeError, match="kept in separate warehouses"):
        load_runs(con, root, [stranger.folder])
    con.close()


def test_a_landed_workbook_changed_afterwards_is_not_loaded(landed, tmp_path):
    root, run, _ = landed
    copy = tmp_path / "raw"
    shutil.copytree(root, copy)
    folder = copy / run.folder.relative_to(root)
    body = folder / "00002.xlsx"
    body.write_bytes(body.read_bytes() + b"\0")
    con = duckdb.connect(str(tmp_path / "w.duckdb"))
    with pytest.raises(RuntimeError, match="not the file that was landed"):
        load_runs(con, copy, [folder])
    assert con.execute("SELECT count(*) FROM raw.imf_dots_values").fetchone()[0] == 0
    con.close()
