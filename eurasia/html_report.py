"""`make report`: the published marts as charts in one self-contained HTML file.

Reads only the published copy and writes `published/report.html` beside it: per republic,
China's and Russia's shares over time (exports, imports, total trade, inward FDI), one line per
source, real data solid and synthetic demo data dashed and labelled, the year China first led
marked; a coverage grid (republic x year, coloured by status); the claim's answer. plotly.js is
inlined once, so the file opens offline and fetches nothing.

Real and synthetic never share a line: every trace is one source and one kind (real or
synthetic demo). Which rows are synthetic is read from the marts: an explicit flag column where
the marts have one (`is_synthetic`, `is_demo` or `is_real`), otherwise a `demo-` vintage.
"""

from __future__ import annotations

import datetime as dt
import html
import logging
import os
import sys
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

import plotly.graph_objects as go
from plotly.offline import get_plotlyjs
from plotly.subplots import make_subplots

from eurasia.settings import Settings, SettingsError, load_settings
from eurasia.warehouse import connect_read_only

log = logging.getLogger(__name__)

REPORT_NAME = "report.html"
MEASURES = {
    "export": "Exports",
    "import": "Imports",
    "total": "Total trade",
    "fdi_inward": "Inward FDI position",
}
# Names for the marts' source codes; a code not listed here is shown as it is.
SOURCE_LABELS = {
    "imf": "IMF goods trade by partner (DOTS/IMTS)",
    "comtrade": "UN Comtrade",
    "imf_dip": "IMF direct investment positions",
}
PARTNER_COLOURS = {"China": "#c0392b", "Russia": "#2c5aa0"}
STATUS_COLOURS = {
    "reported": "#2e7d32",
    "mirror": "#81c784",
    "derived": "#aed581",
    "not yet released": "#bdbdbd",
    "missing": "#e53935",
}
OTHER_STATUS_COLOURS = ["#ffb300", "#8e24aa", "#00897b", "#6d4c41"]
DEMO_NOTICE = (
    "DEMO DATA: synthetic numbers made by the project's demo generator, not statistics about "
    "any real economy."
)
# Set before plotly.js loads, so a script error anywhere in the page is recorded on <html>
# (data-script-errors) where a test reading the rendered DOM can find it.
ERROR_RECORDER = """
window.__reportErrors = [];
window.addEventListener('error', function (event) {
  window.__reportErrors.push(String(event.message || event));
  document.documentElement.setAttribute('data-script-errors', window.__reportErrors.join(' | '));
});
"""
STYLE = """
body { font-family: system-ui, sans-serif; margin: 1.5em auto; max-width: 1200px; color: #222; }
.demo { background: #fff3cd; border: 2px solid #e0a800; padding: .6em 1em; font-weight: 600; }
.real { background: #e8f5e9; border: 1px solid #2e7d32; padding: .6em 1em; }
table { border-collapse: collapse; margin: .5em 0; } td, th { border: 1px solid #ccc;
padding: .2em .6em; text-align: left; } .note { color: #555; font-size: .9em; }
section.republic { border-top: 1px solid #ddd; margin-top: 1.5em; }
"""


@dataclass
class Series:
    """China's and Russia's shares of one republic's measure from one source and kind."""

    source: str
    synthetic: bool
    years: list[int] = field(default_factory=list)
    china: list[float | None] = field(default_factory=list)
    russia: list[float | None] = field(default_factory=list)
    basis: list[str | None] = field(default_factory=list)
    first_year_china_led: int | None = None
    # some year behind first_year_china_led rests on a partial world total (FDI derived)
    lead_on_partial_world: bool = False

    @property
    def label(self) -> str:
        kind = "synthetic demo" if self.synthetic else "real"
        return f"{SOURCE_LABELS.get(self.source, self.source)} ({kind})"


def synthetic_expression(columns: set[str]) -> str:
    """SQL saying whether a mart row is synthetic, from the mart's own flag where it has one."""
    if "is_synthetic" in columns:
        return "coalesce(is_synthetic, false)"
    if "is_demo" in columns:
        return "coalesce(is_demo, false)"
    if "is_real" in columns:
        return "not coalesce(is_real, false)"
    return "coalesce(vintage like 'demo-%', false)"


def mart_columns(con, mart: str) -> set[str]:
    rows = con.execute(
        "select column_name from information_schema.columns "
        "where table_schema = 'marts' and table_name = ?",
        [mart],
    ).fetchall()
    return {name for (name,) in rows}


def source_expression(columns: set[str], default: str) -> str:
    return f"coalesce(source, {default})" if "source" in columns else default


def read_series(con) -> dict[str, dict[str, list[Series]]]:
    """republic -> measure -> series (real first), from marts.china_vs_russia."""
    columns = mart_columns(con, "china_vs_russia")
    default_source = "case when measure = 'fdi_inward' then 'imf_dip' else 'comtrade' end"
    partial = (
        "coalesce(lead_history_on_partial_world, false)"
        if "lead_history_on_partial_world" in columns
        else "false"
    )
    rows = con.execute(
        f"""
        select republic_iso3, measure, {source_expression(columns, default_source)} as source,
               {synthetic_expression(columns)} as synthetic, year, china_share, russia_share,
               basis, first_year_china_led, {partial} as lead_on_partial_world
        from marts.china_vs_russia
        where china_share is not null or russia_share is not null
        order by republic_iso3, measure, source, synthetic, year
        """
    ).fetchall()
    grouped: dict[tuple, Series] = {}
    for iso3, measure, source, synthetic, year, china, russia, basis, first_led, partial in rows:
        series = grouped.setdefault(
            (iso3, measure, source, synthetic), Series(source=source, synthetic=synthetic)
        )
        series.years.append(year)
        series.china.append(None if china is None else 100 * china)
        series.russia.append(None if russia is None else 100 * russia)
        series.basis.append(basis)
        if first_led is not None:
            series.first_year_china_led = first_led
            series.lead_on_partial_world = series.lead_on_partial_world or partial
    result: dict[str, dict[str, list[Series]]] = defaultdict(lambda: defaultdict(list))
    for (iso3, measure, _, _), series in grouped.items():
        result[iso3][measure].append(series)
    for measures in result.values():
        for series_list in measures.values():
            series_list.sort(key=lambda s: (s.synthetic, s.source))
    return result


def republic_names(con) -> dict[str, str]:
    rows = con.execute(
        "select distinct republic_iso3, republic_name from marts.coverage order by 1"
    ).fetchall()
    return dict(rows)


def republic_figure(name: str, measures: dict[str, list[Series]]) -> go.Figure:
    fig = make_subplots(
        rows=2,
        cols=2,
        subplot_titles=list(MEASURES.values()),
        horizontal_spacing=0.08,
        vertical_spacing=0.14,
    )
    shown_in_legend: set[str] = set()
    for index, measure in enumerate(MEASURES):
        row, col = divmod(index, 2)
        for rank, series in enumerate(measures.get(measure, [])):
            for partner, values in (("China", series.china), ("Russia", series.russia)):
                if all(v is None for v in values):
                    continue  # e.g. Russia's share of Russia's own trade does not exist
                legend_name = f"{partner}: {series.label}"
                fig.add_trace(
                    go.Scatter(
                        x=series.years,
                        y=values,
                        name=legend_name,
                        legendgroup=legend_name,
                        showlegend=legend_name not in shown_in_legend,
                        mode="lines+markers",
                        marker={"size": 4},
                        line={
                            "color": PARTNER_COLOURS[partner],
                            "dash": "dash" if series.synthetic else "solid",
                            "width": 1.5 if series.synthetic else 2.5,
                        },
                        customdata=[[b or ""] for b in series.basis],
                        hovertemplate=(
                            f"{partner} %{{y:.1f}}% in %{{x}}<br>basis %{{customdata[0]}}"
                            f"<br>{html.escape(series.label)}<extra></extra>"
                        ),
                    ),
                    row=row + 1,
                    col=col + 1,
                )
                shown_in_legend.add(legend_name)
            if series.first_year_china_led is not None:
                fig.add_vline(
                    x=series.first_year_china_led,
                    line={"dash": "dot", "color": "#555" if rank == 0 else "#aaa"},
                    annotation_text=(
                        f"China first led {series.first_year_china_led}"
                        + (" (partial world total)" if series.lead_on_partial_world else "")
                        + (" (demo)" if series.synthetic else "")
                    ),
                    annotation_font_size=10,
                    row=row + 1,
                    col=col + 1,
                )
    fig.update_yaxes(title_text="share, %", ticksuffix="%")
    fig.update_layout(
        title=name,
        height=620,
        margin={"t": 70, "b": 40, "l": 60, "r": 20},
        legend={"orientation": "h", "y": -0.08},
        template="plotly_white",
    )
    return fig


@dataclass
class Coverage:
    republics: list[str]
    years: list[int]
    # measure -> (republic, year) -> (status, source, reason)
    cells: dict[str, dict[tuple[str, int], tuple[str, str, str]]]
    synthetic: bool


def read_coverage(con) -> Coverage:
    columns = mart_columns(con, "coverage")
    rows = con.execute(
        f"""
        select republic_iso3, year, measure, status, coalesce(source, ''), coalesce(reason, ''),
               {synthetic_expression(columns)}
        from marts.coverage
        -- the grid is UN Comtrade's and IMF DIP's; the IMF's goods trade has rows of its own
        where {"source_id <> 'imf'" if "source_id" in columns else "true"}
        order by republic_iso3, year
        """
    ).fetchall()
    cells: dict[str, dict] = defaultdict(dict)
    for iso3, year, measure, status, source, reason, _ in rows:
        cells[measure][(iso3, year)] = (status, source, reason)
    return Coverage(
        republics=sorted({r[0] for r in rows}),
        years=sorted({r[1] for r in rows}),
        cells=cells,
        synthetic=any(r[6] for r in rows),
    )


def coverage_figure(coverage: Coverage) -> go.Figure:
    statuses = [s for s in STATUS_COLOURS if _status_used(coverage, s)]
    statuses += sorted(
        {cell[0] for grid in coverage.cells.values() for cell in grid.values()} - set(statuses)
    )
    extra = iter(OTHER_STATUS_COLOURS * 4)
    colours = [STATUS_COLOURS.get(s) or next(extra) for s in statuses]
    # A stepped colour scale: status number i is drawn in colours[i], nothing in between.
    steps = max(len(statuses), 1)
    colorscale = []
    for i, colour in enumerate(colours):
        colorscale += [[i / steps, colour], [(i + 1) / steps, colour]]
    measures = [m for m in MEASURES if m in coverage.cells]
    fig = make_subplots(rows=len(measures), cols=1, subplot_titles=[MEASURES[m] for m in measures])
    for index, measure in enumerate(measures):
        grid = coverage.cells[measure]
        z, text = [], []
        for iso3 in coverage.republics:
            cells = [grid.get((iso3, year)) for year in coverage.years]
            z.append([None if c is None else statuses.index(c[0]) for c in cells])
            text.append(
                [
                    ""
                    if c is None
                    else html.escape(f"{c[0]}" + (f" - {c[1]}" if c[1] else ""))
                    + (f"<br>{html.escape(c[2])}" if c[2] else "")
                    for c in cells
                ]
            )
        fig.add_trace(
            go.Heatmap(
                x=coverage.years,
                y=coverage.republics,
                z=z,
                text=text,
                zmin=-0.5,
                zmax=steps - 0.5,
                colorscale=colorscale,
                xgap=1,
                ygap=1,
                showscale=index == 0,
                colorbar={
                    "tickvals": list(range(len(statuses))),
                    "ticktext": statuses,
                    "title": {"text": "status"},
                },
                hovertemplate="%{y} %{x}: %{text}<extra></extra>",
            ),
            row=index + 1,
            col=1,
        )
    fig.update_yaxes(autorange="reversed")  # republics alphabetically from the top
    fig.update_layout(
        title="Coverage: where each number comes from, and why some are missing",
        height=380 * max(len(measures), 1),
        margin={"t": 80, "b": 40},
        template="plotly_white",
    )
    return fig


def _status_used(coverage: Coverage, status: str) -> bool:
    return any(cell[0] == status for grid in coverage.cells.values() for cell in grid.values())


@dataclass
class Claim:
    lines: list[tuple[str, bool]]  # (summary, synthetic)


def read_claim(con) -> Claim:
    """The claim on shares - China's rose and Russia's fell - per source and measure.

    Nominal growth alone rises with prices, so the share claim (china_replacing_russia_summary,
    whose sentences give the nominal count beside) is the answer; china_growth_summary only
    stands in for a copy published before that mart existed."""
    mart = "china_replacing_russia_summary"
    columns = mart_columns(con, mart)
    order = "source, case measure when 'total' then 0 when 'export' then 1 else 2 end, measure"
    if not columns:
        mart, columns = "china_growth_summary", mart_columns(con, "china_growth_summary")
        order = ("source, " if "source" in columns else "") + "partner_iso3, measure"
    rows = con.execute(
        f"""
        select summary, {synthetic_expression(columns)} as synthetic
        from marts.{mart}
        order by synthetic, {order}
        """
    ).fetchall()
    return Claim(lines=[(summary, synthetic) for summary, synthetic in rows])


def figure_html(fig: go.Figure, div_id: str) -> str:
    # plotly.js is inlined once in <head>; every figure only calls it.
    return fig.to_html(
        full_html=False,
        include_plotlyjs=False,
        div_id=div_id,
        config={"displaylogo": False, "responsive": True},
    )


def demo_box(text: str = DEMO_NOTICE) -> str:
    return f'<p class="demo">{html.escape(text)}</p>'


def first_led_table(series_by_republic: dict, names: dict[str, str]) -> str:
    header = "".join(f"<th>{html.escape(label)}</th>" for label in MEASURES.values())
    rows = []
    for iso3 in sorted(series_by_republic):
        cells = []
        for measure in MEASURES:
            entries = [
                f"{_first_led_text(s)}"
                + (" <em>(synthetic demo)</em>" if s.synthetic else "")
                + f" <span class='note'>{html.escape(SOURCE_LABELS.get(s.source, s.source))}</span>"
                for s in series_by_republic[iso3].get(measure, [])
            ]
            cells.append("<td>" + "<br>".join(entries or ["no data"]) + "</td>")
        name = html.escape(names.get(iso3, iso3))
        rows.append(f"<tr><th>{name} ({iso3})</th>{''.join(cells)}</tr>")
    return f"<table><tr><th>republic</th>{header}</tr>{''.join(rows)}</table>"


def _first_led_text(series: Series) -> str:
    if series.first_year_china_led is not None:
        partial = " (on a partial world total)" if series.lead_on_partial_world else ""
        return f"{series.first_year_china_led}{partial}"
    if all(v is None for v in series.russia):
        return "n/a (no Russia share)"  # Russia's share of Russia's own trade
    return "never"


def render(settings: Settings) -> str:
    published = settings.published_path
    with connect_read_only(published) as con:
        series = read_series(con)
        names = republic_names(con)
        coverage = read_coverage(con)
        claim = read_claim(con)
    any_synthetic = (
        coverage.synthetic
        or any(s.synthetic for m in series.values() for ss in m.values() for s in ss)
        or any(synthetic for _, synthetic in claim.lines)
    )
    published_at = dt.datetime.fromtimestamp(published.stat().st_mtime, dt.UTC)
    parts = [
        "<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'>",
        "<title>China and Russia in the former Soviet republics</title>",
        f"<script>{ERROR_RECORDER}</script>",
        f"<script>{get_plotlyjs()}</script>",
        f"<style>{STYLE}</style></head><body>",
        "<h1>Is the former USSR turning from post-Soviet into pre-China?</h1>",
        f"<p class='note'>From the published copy {html.escape(str(published))}, published "
        f"{published_at:%Y-%m-%d %H:%M} UTC. Shares are of each republic's own trade (exports, "
        "imports, exports + imports) and inward direct investment position.</p>",
    ]
    if any_synthetic:
        parts.append(
            demo_box(
                DEMO_NOTICE + " Lines drawn dashed and labelled 'synthetic demo' are demo data; "
                "solid lines are real data."
            )
        )
    parts += ["<h2 id='claim'>The claim's answer</h2>", _claim_html(claim)]
    parts += [
        "<h3>The year China first led</h3>",
        "<p class='note'>The first year China's share exceeded Russia's, per source.</p>",
        first_led_table(series, names),
    ]
    parts.append("<h2 id='coverage'>Coverage</h2>")
    if coverage.synthetic:
        parts.append(demo_box())
    parts.append(figure_html(coverage_figure(coverage), "coverage-grid"))
    parts.append("<h2 id='republics'>China and Russia, republic by republic</h2>")
    for iso3 in sorted(names):
        measures = series.get(iso3, {})
        title = f"{names[iso3]} ({iso3})"
        parts.append(f"<section class='republic' id='republic-{iso3}'><h3>{title}</h3>")
        if any(s.synthetic for ss in measures.values() for s in ss):
            parts.append(demo_box("Dashed lines: " + DEMO_NOTICE))
        parts.append(figure_html(republic_figure(title, measures), f"chart-{iso3}"))
        parts.append("</section>")
    parts.append("</body></html>")
    return "\n".join(parts)


def _claim_html(claim: Claim) -> str:
    if not claim.lines:
        return "<p>No answer yet: the claim marts are empty.</p>"
    blocks = []
    for synthetic in (False, True):
        lines = [summary for summary, s in claim.lines if s == synthetic]
        if not lines:
            continue
        items = "".join(f"<li>{html.escape(line)}</li>" for line in lines)
        if synthetic:
            blocks.append(demo_box() + f"<ul>{items}</ul>")
        else:
            blocks.append(f"<div class='real'>Real data:<ul>{items}</ul></div>")
    return "\n".join(blocks)


def write_report(settings: Settings) -> Path:
    target = settings.published_path.parent / REPORT_NAME
    page = render(settings)
    partial = target.with_name(f".{REPORT_NAME}.partial")
    partial.write_text(page, encoding="utf-8")
    os.replace(partial, target)  # a browser never opens a half-written report
    log.info("report: %s", target)
    return target


def main() -> int:
    try:
        print(write_report(load_settings()))
    except (SettingsError, FileNotFoundError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
