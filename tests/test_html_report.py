"""The HTML report on marts that hold real IMF rows beside synthetic demo rows (issue 8's shape).

A small published copy is built here by hand: china_vs_russia with a `source` column, real IMF
trade rows (vintage not demo-) and synthetic Comtrade rows. The report must draw them as separate
lines, labelled, the real one solid, and never combine them.
"""

from __future__ import annotations

import json
import re

import duckdb
import pytest

from eurasia.html_report import render
from eurasia.settings import load_settings


@pytest.fixture
def settings(tmp_path):
    settings = load_settings({"EURASIA_WAREHOUSE": str(tmp_path / "eurasia.duckdb")})
    settings.published_path.parent.mkdir(parents=True)
    with duckdb.connect(str(settings.published_path)) as con:
        con.execute("create schema marts")
        con.execute(
            """
            create table marts.china_vs_russia as
            select * from (values
                ('KAZ', 'Kazakhstan', 2010, 'total', 0.10, 0.20, 'imf', 2012, 'imf', 'imf-dots'),
                ('KAZ', 'Kazakhstan', 2012, 'total', 0.25, 0.20, 'imf', 2012, 'imf', 'imf-dots'),
                ('KAZ', 'Kazakhstan', 2010, 'total', 0.30, 0.10, 'reported', 2010, 'comtrade',
                 'demo-synthetic-v1'),
                ('KAZ', 'Kazakhstan', 2012, 'total', 0.35, 0.10, 'reported', 2010, 'comtrade',
                 'demo-synthetic-v1')
            ) t(republic_iso3, republic_name, year, measure, china_share, russia_share, basis,
                first_year_china_led, source, vintage)
            """
        )  # fmt: skip
        con.execute(
            "create table marts.coverage as select 'KAZ' as republic_iso3, "
            "'Kazakhstan' as republic_name, 2010 as year, 'total' as measure, "
            "'reported' as status, 'IMF DOTS' as source, null::varchar as reason, "
            "'imf-dots' as vintage"
        )
        con.execute(
            "create table marts.china_replacing_russia_summary as select * from (values "
            "('imf', 'total', 'China''s share rose and Russia''s fell in 1 of 1 republics', "
            "false), ('comtrade', 'total', 'China''s share rose and Russia''s fell in 15 of 15 "
            "republics', true)) t(source, measure, summary, is_synthetic)"
        )
        # nominal growth alone, which rises with prices: not the claim's answer
        con.execute(
            "create table marts.china_growth_summary as select * from (values "
            "('CHN', 'total', 'China''s trade rose in 1 of 1 republics', 'imf-dots')"
            ") t(partner_iso3, measure, summary, vintage)"
        )
    return settings


def traces(page: str) -> list[dict]:
    """The scatter traces plotly is given, from the figures' JSON in the page."""
    found = []
    for match in re.finditer(r"Plotly\.newPlot\(\s*\"chart-KAZ\",\s*(\[.*?\]),\s*\{", page, re.S):
        found += json.loads(match.group(1))
    return found


def test_real_and_synthetic_rows_are_separate_labelled_lines(settings):
    page = render(settings)
    lines = {t["name"]: t for t in traces(page)}
    real = lines["China: IMF goods trade by partner (DOTS/IMTS) (real)"]
    demo = lines["China: UN Comtrade (synthetic demo)"]
    assert real["y"] == [10.0, 25.0] and real["line"]["dash"] == "solid"
    assert demo["y"] == [30.0, 35.0] and demo["line"]["dash"] == "dash"
    assert lines["Russia: IMF goods trade by partner (DOTS/IMTS) (real)"]["y"] == [20.0, 20.0]
    # The year China first led, per source, and the demo notice because synthetic data appear.
    assert "China first led 2012" in page and "China first led 2010 (demo)" in page
    assert "DEMO DATA" in page


def test_the_claim_shows_real_and_synthetic_answers_apart(settings):
    page = render(settings)
    claim = page[page.index("The claim's answer") : page.index("The year China first led")]
    real, demo = claim.index("fell in 1 of 1"), claim.index("fell in 15 of 15")
    assert claim.index("Real data") < real < claim.index("DEMO DATA") < demo
    assert "China&#x27;s trade rose" not in claim and "China's trade rose" not in claim


def test_no_demo_notice_where_no_synthetic_data_appear(settings):
    with duckdb.connect(str(settings.published_path)) as con:
        con.execute("delete from marts.china_vs_russia where vintage like 'demo-%'")
        con.execute("delete from marts.china_replacing_russia_summary where is_synthetic")
    page = render(settings)
    assert "DEMO DATA" not in page and "synthetic demo" not in page
    assert "(real)" in page


def test_a_lead_resting_on_a_partial_world_total_says_so(settings):
    with duckdb.connect(str(settings.published_path)) as con:
        con.execute(
            "alter table marts.china_vs_russia add column lead_history_on_partial_world boolean"
        )
        con.execute(
            "update marts.china_vs_russia set lead_history_on_partial_world = (source = 'imf')"
        )
    page = render(settings)
    assert "China first led 2012 (partial world total)" in page
    assert "China first led 2010 (demo)" in page  # the other series' lead is on a whole world
    assert "2012 (on a partial world total)" in page
