"""What analysts get from a published demo copy: Parquet, dbt docs, and the HTML report.

The report is opened in a real headless browser (Debian's chromium), which must draw a chart for
every republic without a script error.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from html.parser import HTMLParser

import duckdb
import pytest
from faked_clock import without_faketime
from published_demo import published_demo, settings_env

from eurasia.publish import published_parquet_folder
from eurasia.reference import republics
from eurasia.settings import PROJECT_ROOT

pytestmark = pytest.mark.slow

REPUBLICS = sorted(economy.iso3 for economy in republics())  # the 15, from the seed
# A <script src>, <link href>, <img src>, <iframe src> ... that would fetch from a network.
NETWORK_REFERENCE = re.compile(
    r"<(script|link|img|iframe)\b[^>]*\b(src|href)\s*=\s*[\"']?(https?:)?//", re.IGNORECASE
)


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    return published_demo(tmp_path_factory)


def make(target: str, demo) -> subprocess.CompletedProcess:
    result = subprocess.run(
        ["make", "-s", target],
        capture_output=True,
        text=True,
        cwd=PROJECT_ROOT,
        env=settings_env(demo),
        timeout=600,
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    return result


def mart_names(demo) -> list[str]:
    with duckdb.connect(str(demo.published_path), read_only=True) as con:
        rows = con.execute(
            "select table_name from information_schema.tables where table_schema = 'marts' "
            "order by 1"
        ).fetchall()
    return [name for (name,) in rows]


def test_every_published_mart_has_an_equal_parquet_file(demo):
    folder = published_parquet_folder(demo)
    marts = mart_names(demo)
    assert len(marts) >= 9
    assert sorted(p.stem for p in folder.glob("*.parquet")) == marts
    with duckdb.connect(str(demo.published_path), read_only=True) as con:
        for mart in marts:
            parquet = str(folder / f"{mart}.parquet")
            table = con.execute(f"select * from marts.{mart}").fetchall()
            assert con.execute("select * from read_parquet(?)", [parquet]).fetchall() == table
            assert (
                con.execute(f"describe select * from marts.{mart}").fetchall()
                == con.execute("describe select * from read_parquet(?)", [parquet]).fetchall()
            )


# ---------------------------------------------------------------- dbt docs


def embedded_json(page: str, key: str) -> dict:
    """The manifest or catalog dbt inlines into its static page (`key:{...}`)."""
    start = page.index(key + ':{"metadata"') + len(key) + 1
    return json.JSONDecoder().raw_decode(page, start)[0]


@pytest.fixture(scope="module")
def docs_page(demo):
    make("docs", demo)
    page = (demo.published_path.parent / "docs" / "index.html").read_text()
    return page


def test_make_docs_builds_a_static_site_describing_every_mart_and_column(demo, docs_page):
    manifest = embedded_json(docs_page, "manifest")
    catalog = embedded_json(docs_page, "catalog")
    marts = mart_names(demo)
    models = {n["name"]: n for n in manifest["nodes"].values() if n["resource_type"] == "model"}
    for mart in marts:
        assert f"model.eurasia.{mart}" in docs_page
        node = models[mart]
        assert node["description"].strip(), mart
        # The catalog is read from the published copy: every column it has must be described.
        columns = catalog["nodes"][f"model.eurasia.{mart}"]["columns"]
        assert columns, mart
        undescribed = [c for c in columns if not node["columns"].get(c, {}).get("description")]
        assert not undescribed, (mart, undescribed)


def test_docs_show_sources_with_their_api_endpoints_and_the_analyses(docs_page):
    manifest = embedded_json(docs_page, "manifest")
    sources = {s["source_name"]: s for s in manifest["sources"].values()}
    assert "comtradeapi.un.org/data/v1/get/C/A/HS" in str(sources["comtrade"]["source_meta"])
    assert "api.imf.org/external/sdmx/2.1" in str(sources["imf"]["source_meta"])
    analyses = {n["name"] for n in manifest["nodes"].values() if n["resource_type"] == "analysis"}
    assert analyses == {p.stem for p in (PROJECT_ROOT / "dbt_project" / "analyses").glob("*.sql")}
    # Lineage: the marts' parents are in the page.
    assert manifest["parent_map"]["model.eurasia.china_vs_russia"]


def test_docs_page_fetches_nothing_from_a_network(docs_page):
    assert not NETWORK_REFERENCE.search(docs_page)


def test_docs_are_built_without_writing_the_published_copy(demo, docs_page):
    before = demo.published_path.stat().st_mtime_ns
    make("docs", demo)
    assert demo.published_path.stat().st_mtime_ns == before
    assert not demo.published_path.with_name(demo.published_path.name + ".wal").exists()


# ---------------------------------------------------------------- the HTML report


@pytest.fixture(scope="module")
def report(demo):
    make("report", demo)
    return demo.published_path.parent / "report.html"


def test_report_is_one_self_contained_file(report):
    page = report.read_text()
    assert not NETWORK_REFERENCE.search(page)
    assert "Plotly.newPlot" in page and len(page) > 1_000_000  # plotly.js inlined
    for iso3 in REPUBLICS:
        assert f'id="republic-{iso3}"' in page or f"id='republic-{iso3}'" in page


def test_report_labels_demo_data_wherever_it_appears(demo, report):
    page = report.read_text()
    sections = re.split(r"<section class='republic'", page)
    assert "DEMO DATA" in sections[0].split("The claim")[0], "the notice leads the page"
    assert len(sections) == 16
    for section in sections[1:]:
        assert "DEMO DATA" in section and "synthetic demo" in section
    # A line is labelled real only if the marts hold real (not demo-) values.
    with duckdb.connect(str(demo.published_path), read_only=True) as con:
        (real_rows,) = con.execute(
            "select count(*) from marts.china_vs_russia "
            "where vintage not like 'demo-%' and china_share is not null"
        ).fetchone()
    assert ("(real)" in page) == (real_rows > 0)


class RenderedCharts(HTMLParser):
    """Counts plotly's rendered <svg class="main-svg"> inside each republic's section."""

    def __init__(self):
        super().__init__()
        self.section_stack: list[str | None] = []
        self.charts: dict[str, int] = {}
        self.script_errors: str | None = None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "html":
            self.script_errors = attrs.get("data-script-errors")
        if tag == "section":
            section = (attrs.get("id") or "").removeprefix("republic-")
            self.section_stack.append(section)
            self.charts.setdefault(section, 0)
        classes = (attrs.get("class") or "").split()
        if tag == "svg" and "main-svg" in classes and self.section_stack:
            self.charts[self.section_stack[-1]] += 1

    def handle_endtag(self, tag):
        if tag == "section" and self.section_stack:
            self.section_stack.pop()


def chromium() -> str:
    """Debian's chromium, installed with apt-get when missing; else skip, saying why."""
    found = shutil.which("chromium")
    if found:
        return found
    apt = shutil.which("apt-get")
    if apt:
        print("chromium missing: installing Debian's chromium with apt-get")
        for command in ([apt, "update"], [apt, "install", "-y", "chromium"]):
            done = subprocess.run(command, capture_output=True, text=True, timeout=900)
            if done.returncode != 0:
                reason = f"{' '.join(command)} failed: {done.stderr.strip()[-300:]}"
                print(reason)
                pytest.skip(f"no headless browser to render the report: {reason}")
        found = shutil.which("chromium")
    if not found:
        reason = "Debian's chromium is not installed and apt-get is not available"
        print(reason)
        pytest.skip(f"no headless browser to render the report: {reason}")
    return found


def test_report_renders_a_chart_per_republic_in_headless_chromium(report, tmp_path):
    browser = chromium()
    result = subprocess.run(
        [browser, "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
         f"--user-data-dir={tmp_path / 'profile'}", "--enable-logging=stderr", "--v=0",
         "--virtual-time-budget=20000", "--dump-dom", report.as_uri()],
        capture_output=True,
        text=True,
        timeout=180,
        # The browser only views the file the pipeline wrote: under make test-clock-ahead it
        # runs on the real clock, since Chromium hangs under libfaketime.
        env=without_faketime(os.environ),
    )  # fmt: skip
    assert result.returncode == 0, result.stderr[-2000:]
    console = [line for line in result.stderr.splitlines() if ":CONSOLE" in line]
    assert not console, console
    dom = RenderedCharts()
    dom.feed(result.stdout)
    assert dom.script_errors is None
    assert sorted(k for k, v in dom.charts.items() if v > 0) == REPUBLICS, dom.charts
    assert 'id="coverage-grid"' in result.stdout and "main-svg" in result.stdout
