"""The short, human-readable summary printed at the end of a run (`python -m eurasia.report`)."""

from __future__ import annotations

import datetime as dt
import sys

import duckdb

from eurasia import demo
from eurasia.settings import Settings, SettingsError, load_settings
from eurasia.warehouse import connect_read_only

# For each republic, the latest year in which both shares are known on a measure. The marts
# already leave out partner-side values whose world total is still incomplete (release window).
CHINA_VS_RUSSIA_LATEST = """
select republic_iso3, measure, year, china_share, russia_share, leader, first_year_china_led,
       -- a share over a partial world total (FDI derived from counterparts) is inflated: say so
       basis || case when world_is_partial then ' (partial world total)' else '' end,
       coalesce(lead_history_on_partial_world, false)
from marts.china_vs_russia
where measure in ('total', 'fdi_inward')
  -- the UN Comtrade and IMF DIP series; the IMF's goods trade leads the summary on its own
  and source in ('comtrade', 'imf_dip')
  and china_share is not null
  and (russia_share is not null or republic_iso3 = 'RUS')
qualify year = max(year) over (partition by republic_iso3, measure)
order by republic_iso3, measure desc
"""


def _pct(value) -> str:
    return "   -  " if value is None else f"{100 * value:5.1f}%"


def china_vs_russia_table(con, title: str = "China vs Russia") -> list[str]:
    rows = con.execute(CHINA_VS_RUSSIA_LATEST).fetchall()
    lines = [
        f"{title}: latest year with data (trade = exports + imports; FDI = inward position)",
        f"{'republic':8} {'measure':10} {'year':>4} {'China':>7} {'Russia':>7} "
        f"{'leader':7} {'China first led':>15} basis",
    ]
    partial_history = False
    for iso3, measure, year, china, russia, leader, first_led, basis, on_partial in rows:
        first = f"{first_led}*" if first_led and on_partial else str(first_led or "never")
        partial_history = partial_history or bool(first_led and on_partial)
        lines.append(
            f"{iso3:8} {'trade' if measure == 'total' else 'fdi':10} {year:>4} {_pct(china):>7} "
            f"{_pct(russia):>7} {leader or '-':7} {first:>15} {basis or '-'}"
        )
    if partial_history:
        lines.append("  * China's lead rests on some years of a partial world total")
    return lines


MEASURE_ORDER = (
    "case measure when 'total' then 0 when 'export' then 1 when 'import' then 2 else 3 end"
)


def claim_lines(con, where: str = "true") -> list[str]:
    """The seed's claim - China replacing Russia - on shares; nominal growth beside it.

    `where` picks the summary rows (one source each: a claim never mixes sources)."""
    rows = con.execute(
        "select measure, republics_compared, republics_china_share_rose_russia_share_fell, "
        "republics_china_value_rose, republics_left_out_partial_world "
        f"from marts.china_replacing_russia_summary where {where} order by {MEASURE_ORDER}"
    ).fetchall()
    names = {"total": "trade", "export": "exports", "import": "imports", "fdi_inward": "FDI"}
    lines = [
        "Is China replacing Russia? Republics where China's share rose and Russia's fell",
        "(each republic over one span with both shares known on one basis at both ends;",
        " nominal: where China's US-dollar value rose over the same span, prices included)",
        f"  {'measure':8} {'shares':>12} {'nominal':>12}",
    ]
    left_out = []
    for measure, compared, replacing, nominal, partial in rows:
        lines.append(
            f"  {names.get(measure, measure):8} {f'{replacing} of {compared}':>12} "
            f"{f'{nominal} of {compared}':>12}"
        )
        if partial:
            left_out.append(f"{partial} for {names.get(measure, measure)}")
    if left_out:
        # a share over a partial world total (FDI derived from counterparts) is not like for like
        lines.append(
            f"  (republics left out, their span has a partial world total at an end: "
            f"{', '.join(left_out)})"
        )
    return lines


# The real answer: China's and Russia's shares of each republic's total goods trade by the IMF
# (real data, never the demo snapshot), at the years asked about, and the year China first led.
REAL_ANSWER_YEARS = (2000, 2010, 2020)
REAL_SHARES = """
select republic_iso3, year, china_share, russia_share, first_year_china_led, vintage
from marts.china_vs_russia
where source = 'imf' and not is_synthetic and measure = 'total'
order by republic_iso3, year
"""


def has_real_imf_rows(con) -> bool:
    try:
        return bool(
            con.execute(
                "select count(*) from marts.china_vs_russia "
                "where source = 'imf' and not is_synthetic and china_share is not null"
            ).fetchone()[0]
        )
    except duckdb.Error:  # a warehouse built before the marts had a source
        return False


def real_answer_lines(con) -> list[str]:
    """Per republic, China's and Russia's shares of total trade from the real IMF data."""
    rows = con.execute(REAL_SHARES).fetchall()
    by_republic: dict[str, dict[int, tuple]] = {}
    first_led: dict[str, int | None] = {}
    vintages = sorted({vintage for *_, vintage in rows if vintage})
    years_given = [year for _, year, china, *_ in rows if china is not None]
    for iso3, year, china, russia, first, _ in rows:
        by_republic.setdefault(iso3, {})[year] = (china, russia)
        first_led[iso3] = first
    span = f"{min(years_given)}-{max(years_given)}" if years_given else "-"
    heading = " ".join(f"{y:>6}" for y in REAL_ANSWER_YEARS)
    lines = [
        "REAL DATA - the IMF's goods trade by partner (Direction of Trade Statistics / IMTS), "
        f"vintage {', '.join(vintages) or '?'}",
        "China's and Russia's shares of each republic's total goods trade (exports + imports,",
        "partner / World of the republic's own IMF figures); China first led = the first year, in",
        f"the years the IMF gives ({span}), in which China's share exceeded Russia's.",
        f"{'republic':8} {'China ' + heading:>{7 * len(REAL_ANSWER_YEARS) + 5}}   "
        f"{'Russia ' + heading:>{7 * len(REAL_ANSWER_YEARS) + 6}}   China first led",
    ]
    for iso3, years in by_republic.items():
        china = " ".join(f"{_pct(years.get(y, (None, None))[0]):>6}" for y in REAL_ANSWER_YEARS)
        russia = " ".join(f"{_pct(years.get(y, (None, None))[1]):>6}" for y in REAL_ANSWER_YEARS)
        led = first_led.get(iso3)
        lines.append(
            f"{iso3:8} {china:>{7 * len(REAL_ANSWER_YEARS) + 5}}   "
            f"{russia:>{7 * len(REAL_ANSWER_YEARS) + 6}}   "
            + ("-  (the republic is Russia)" if iso3 == "RUS" else str(led or "never"))
        )
    return lines


def data_quality_lines(con) -> list[str]:
    """What marts.data_quality flags: anomalies of the source (published) and blocking faults."""
    rows = con.execute(
        "select severity, issue, count(*) from marts.data_quality group by all order by 1, 2"
    ).fetchall()
    warned = [f"{issue} {n}" for severity, issue, n in rows if severity == "warn"]
    blocking = [f"{issue} {n}" for severity, issue, n in rows if severity == "error"]
    lines = [
        f"Data quality (marts.data_quality): {sum(n for s, _, n in rows if s == 'warn')} "
        "source anomalies flagged, "
        f"{sum(n for s, _, n in rows if s == 'error')} blocking faults"
    ]
    lines += ["  flagged: " + ", ".join(warned)] * bool(warned)
    lines += ["  blocking: " + ", ".join(blocking)] * bool(blocking)
    return lines


def coverage_lines(con) -> list[str]:
    # one line per source and measure: the IMF's goods trade has rows of its own (source_id)
    has_source = con.execute(
        "select count(*) from information_schema.columns where table_schema = 'marts' "
        "and table_name = 'coverage' and column_name = 'source_id'"
    ).fetchone()[0]
    measure = "measure"
    if has_source:
        measure += " || case when source_id = 'imf' then ' (IMF)' else '' end"
    rows = con.execute(
        f"select {measure}, status, count(*) from marts.coverage group by all order by 1, 2"
    ).fetchall()
    by_measure: dict[str, list[str]] = {}
    for measure, status, n in rows:
        by_measure.setdefault(measure, []).append(f"{status} {n}")
    return ["Coverage (republic-years by status):"] + [
        f"  {measure:16} " + ", ".join(parts) for measure, parts in sorted(by_measure.items())
    ]


SHARE_CHANGES = """
select republic_iso3, year, measure, partner_iso3, basis, old_share, new_share, releases
from marts.share_changes where pipeline_run = ?
order by abs(coalesce(difference, 1)) desc, republic_iso3, year, measure, partner_iso3, basis
"""


def share_changes_lines(con, pipeline_run: str | None, shown: int = 5) -> list[str]:
    """What this run moved (marts.share_changes): how many shares, and the largest moves.
    Without a run id (a summary printed outside the DAG), the latest run that moved any."""
    which = "this run"
    try:
        if not pipeline_run:
            latest = con.execute(
                "select pipeline_run from marts.share_changes order by run_order desc limit 1"
            ).fetchall()
            if not latest:
                return []
            pipeline_run, which = latest[0][0], "the latest run that moved shares"
        rows = con.execute(SHARE_CHANGES, [pipeline_run]).fetchall()
    except duckdb.CatalogException:  # a warehouse built before share_changes existed
        return []
    if not rows:
        return [f"Share changes (marts.share_changes): none in this run ({pipeline_run})"]
    lines = [
        f"Share changes (marts.share_changes): {which} ({pipeline_run}) moved {len(rows)} "
        f"shares; the largest:"
    ]
    for iso3, year, measure, partner, basis, old, new, releases in rows[:shown]:
        lines.append(
            f"  {iso3} {year} {measure} {partner} {basis}: {_pct(old).strip()} -> "
            f"{_pct(new).strip()}" + (f" ({releases})" if releases else "")
        )
    return lines


def provenance_lines(con) -> tuple[list[str], bool]:
    rows = con.execute(
        "select source, vintage, regexp_extract(url, '^([a-z]+://[^/?]+)', 1) as host, "
        "count(*), sum(record_count), max(requested_at) "
        "from raw.landings group by all order by 1, 2, 3"
    ).fetchall()
    is_demo = any(str(vintage).startswith("demo") for _, vintage, *_ in rows)
    lines = ["Raw landings loaded:"] + [
        f"  {src:9} vintage={vintage:18} from {host or '?':27} responses={n:<4} "
        f"records={recs or 0:<6} latest={ts.astimezone(dt.UTC):%Y-%m-%d %H:%M}Z"
        for src, vintage, host, n, recs, ts in rows
    ]
    return lines, is_demo


def run_summary(settings: Settings, pipeline_run: str | None = None) -> str:
    # The published copy is what analysts read, and reading it never blocks a running pipeline.
    path = settings.published_path if settings.published_path.exists() else settings.warehouse_path
    with connect_read_only(path) as con:
        provenance, is_demo = provenance_lines(con)
        lines = [f"Eurasia warehouse {path} — years {settings.years}"]
        # The real answer first, from the IMF's real figures; the demo after it, apart.
        real = has_real_imf_rows(con)
        if real:
            lines += ["", *real_answer_lines(con), ""]
            lines += ["REAL DATA (IMF goods trade; each republic over the years the IMF gives):"]
            lines += claim_lines(con, "source = 'imf' and not is_synthetic")
        if is_demo:
            lines += ["", "=" * 78, "*** " + demo.DEMO_NOTICE + " ***"]
            lines += [
                "*** Everything below is UN Comtrade / IMF DIP demo data unless it says IMF. ***"
            ]
        lines += ["", *provenance, "", *coverage_lines(con), *data_quality_lines(con)]
        kind = "SYNTHETIC DEMO" if is_demo else "live"
        where = "source <> 'imf'" if real else "true"
        lines += [
            "",
            *china_vs_russia_table(con, f"China vs Russia ({kind}: UN Comtrade, IMF DIP)"),
        ]
        lines += ["", f"{kind.upper()} DATA:", *claim_lines(con, where)]
        lines += ["", *changes] if (changes := share_changes_lines(con, pipeline_run)) else []
        if is_demo:
            lines += ["", "*** DEMO DATA — synthetic numbers, not statistics. ***"]
    return "\n".join(lines)


def main() -> int:
    try:
        settings = load_settings()
    except SettingsError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    print(run_summary(settings))
    return 0


if __name__ == "__main__":
    sys.exit(main())
