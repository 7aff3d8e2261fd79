"""The short, human-readable summary printed at the end of a run (`python -m eurasia.report`)."""

from __future__ import annotations

import sys

from eurasia import demo
from eurasia.settings import Settings, SettingsError, load_settings
from eurasia.warehouse import connect_read_only

# For each republic, the latest year in range in which both shares are known on a measure.
CHINA_VS_RUSSIA_LATEST = """
with latest as (
    select republic_iso3, measure, max(year) as year
    from marts.china_vs_russia
    where china_share is not null
      and (russia_share is not null or republic_iso3 = 'RUS')
    group by all
)
select c.republic_iso3, c.measure, c.year, c.china_share, c.russia_share, c.leader,
       c.first_year_china_led, c.basis
from marts.china_vs_russia c join latest using (republic_iso3, measure, year)
where c.measure in ('total', 'fdi_inward')
order by c.republic_iso3, c.measure desc
"""


def _pct(value) -> str:
    return "   -  " if value is None else f"{100 * value:5.1f}%"


def china_vs_russia_table(con) -> list[str]:
    rows = con.execute(CHINA_VS_RUSSIA_LATEST).fetchall()
    lines = [
        "China vs Russia: latest year with data (trade = exports + imports; FDI = inward position)",
        f"{'republic':8} {'measure':10} {'year':>4} {'China':>7} {'Russia':>7} "
        f"{'leader':7} {'China first led':>15} basis",
    ]
    for iso3, measure, year, china, russia, leader, first_led, basis in rows:
        lines.append(
            f"{iso3:8} {'trade' if measure == 'total' else 'fdi':10} {year:>4} {_pct(china):>7} "
            f"{_pct(russia):>7} {leader or '-':7} {first_led or 'never':>15} {basis or '-'}"
        )
    return lines


def coverage_lines(con) -> list[str]:
    rows = con.execute(
        "select measure, status, count(*) from marts.coverage group by all order by 1, 2"
    ).fetchall()
    by_measure: dict[str, list[str]] = {}
    for measure, status, n in rows:
        by_measure.setdefault(measure, []).append(f"{status} {n}")
    return ["Coverage (republic-years by status):"] + [
        f"  {measure:10} " + ", ".join(parts) for measure, parts in sorted(by_measure.items())
    ]


def provenance_lines(con) -> tuple[list[str], bool]:
    rows = con.execute(
        "select source, vintage, count(*), sum(record_count), max(requested_at) "
        "from raw.landings group by all order by 1, 2"
    ).fetchall()
    is_demo = any(str(v).startswith("demo") for _, v, *_ in rows)
    lines = ["Raw landings loaded:"] + [
        f"  {src:9} vintage={vintage:18} responses={n:<5} records={recs or 0:<7} "
        f"latest={ts:%Y-%m-%d %H:%M}Z"
        for src, vintage, n, recs, ts in rows
    ]
    return lines, is_demo


def run_summary(settings: Settings) -> str:
    with connect_read_only(settings.warehouse_path) as con:
        provenance, is_demo = provenance_lines(con)
        lines = [f"Eurasia warehouse {settings.warehouse_path} — years {settings.years}"]
        if is_demo:
            lines += ["", "*** " + demo.DEMO_NOTICE + " ***"]
        lines += ["", *provenance, "", *coverage_lines(con), "", *china_vs_russia_table(con)]
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
