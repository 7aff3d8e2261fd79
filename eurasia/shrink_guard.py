"""Refuse a load that would shrink data already in the warehouse without a new release.

A run replaces the rows of its dataset and years. An empty or partial answer (a Comtrade 200
with `count: 0`, an IMF "No Results Found" for one chunk) would then delete good data. So, before
anything is replaced, the rows a run brings are compared with the rows it would replace, per year
and per unit (a reporter, a partner republic, an IMF republic): a unit that loses all its rows or
more than MAX_SHRINK of them is refused unless the source released that reporter-year again since
the loaded rows were fetched (UN Comtrade's availability: a `lastReleased` after that time, or a
`datasetChecksum` that changed). IMF DIP has no release information, so any such shrink of it is
refused. The whole load transaction then rolls back: nothing is replaced.

A deliberate full refresh (EURASIA_FULL_REFRESH=1, `load_runs(..., full_refresh=True)`) accepts
what the source now says, for when it really withdrew data; the shrink is logged.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path

log = logging.getLogger(__name__)

# A unit losing more than this share of its rows without a new release is refused.
MAX_SHRINK = 0.2
FULL_REFRESH_HINT = (
    "If the source really withdrew these data, load them with a full refresh: "
    "EURASIA_FULL_REFRESH=1 (see README, Settings)."
)


class ShrinkRefusedError(RuntimeError):
    """A run would replace loaded data with sharply less, and the source released nothing new."""


@dataclass(frozen=True)
class Unit:
    column: str  # grouping column of the raw table
    label: str  # a readable name of the unit (an ISO code)
    noun: str
    has_releases: bool  # UN Comtrade's availability says when this unit was released


# (raw table, dataset) -> (year column, the temp table the run was read into, units)
GUARDED: dict[tuple[str, str], tuple[str, str, tuple[Unit, ...]]] = {
    ("raw.comtrade_records", "reporter"): (
        "refYear",
        "run_comtrade_read",
        (Unit("reporterCode", "reporterISO", "reporter", True),),
    ),
    ("raw.comtrade_records", "mirror"): (
        "refYear",
        "run_comtrade_read",
        (
            Unit("reporterCode", "reporterISO", "reporter", True),
            Unit("partnerCode", "partnerISO", "partner", False),
        ),
    ),
    ("raw.imf_dip_observations", "dip"): (
        "TIME_PERIOD",
        "run_imf_read",
        (Unit("COUNTRY", "COUNTRY", "republic", False),),
    ),
}

# A reporter-year released again after the loaded rows were fetched.
_RELEASED_SINCE = """
    EXISTS (
        SELECT 1 FROM raw.comtrade_availability AS a
        WHERE a.reporterCode = old.unit AND TRY_CAST(a.period AS INTEGER) = old.year
          AND (
              a.lastReleased > timezone('UTC', old.fetched)
              OR (a.requested_at > old.fetched AND EXISTS (
                  SELECT 1 FROM raw.comtrade_availability AS p
                  WHERE p.reporterCode = a.reporterCode AND p.period = a.period
                    AND p.requested_at <= old.fetched
                    AND p.datasetChecksum IS DISTINCT FROM a.datasetChecksum))
          )
    )
"""


def _shrunk_units(
    con, table: str, dataset: str, years: list[int], spec, scope: str = "true"
) -> list[tuple]:
    year_column, read_table, units = spec
    year = f'TRY_CAST("{year_column}" AS INTEGER)'
    found = []
    for unit in units:
        released = _RELEASED_SINCE if unit.has_releases else "false"
        found += con.execute(
            f"""
            WITH old AS (
                SELECT {year} AS year, "{unit.column}" AS unit, any_value("{unit.label}") AS label,
                       count(*) AS before, max(requested_at) AS fetched
                FROM {table}
                WHERE dataset = ? AND {year} IN (SELECT unnest(?::INTEGER[])) AND {scope}
                GROUP BY ALL
            ),
            new AS (
                SELECT {year} AS year, "{unit.column}" AS unit, count(*) AS after
                FROM {read_table} GROUP BY ALL
            )
            SELECT old.year, ?, old.unit, old.label, old.before, coalesce(new.after, 0)
            FROM old
            LEFT JOIN new ON new.year = old.year AND new.unit IS NOT DISTINCT FROM old.unit
            WHERE coalesce(new.after, 0) < old.before * (1 - {MAX_SHRINK})
              AND NOT ({released})
            ORDER BY ALL
            """,
            [dataset, sorted(years), unit.noun],
        ).fetchall()
    return found


def _year_totals(
    con, table: str, dataset: str, years: list[int], spec, scope: str = "true"
) -> dict[int, tuple]:
    year_column, read_table, _ = spec
    year = f'TRY_CAST("{year_column}" AS INTEGER)'
    rows = con.execute(
        f"""
        SELECT y.year,
               (SELECT count(*) FROM {table} WHERE dataset = ? AND {year} = y.year AND {scope}),
               (SELECT count(*) FROM {read_table} WHERE {year} = y.year)
        FROM (SELECT unnest(?::INTEGER[]) AS year) AS y
        """,
        [dataset, sorted(years)],
    ).fetchall()
    return {y: (before, after) for y, before, after in rows}


def refuse_sharp_shrink(
    con,
    table: str,
    manifest: dict,
    run_folder: Path,
    *,
    full_refresh: bool = False,
    scope: str = "true",
) -> None:
    """Raise ShrinkRefusedError if loading the run (already read) would shrink loaded data.

    Call after the run's records were read into their temp table and before the DELETE.
    scope: a condition on the table's rows limiting what the run replaces (a release-aware
    Comtrade pull replaces only its reporter-years; eurasia.loader)."""
    spec = GUARDED.get((table, manifest["dataset"]))
    if spec is None:
        return
    dataset, years = manifest["dataset"], manifest["years"]
    shrunk = _shrunk_units(con, table, dataset, years, spec, scope)
    if not shrunk:
        return
    totals = _year_totals(con, table, dataset, years, spec, scope)
    units = "; ".join(
        f"{year} {noun} {code}"
        + (f" ({label})" if label and label != str(code) else "")
        + f": {before} -> {after} rows"
        for year, noun, code, label, before, after in shrunk[:30]
    ) + (f"; and {len(shrunk) - 30} more" if len(shrunk) > 30 else "")
    years_hit = sorted({row[0] for row in shrunk})
    year_text = ", ".join(f"{y}: {totals[y][0]} -> {totals[y][1]} rows" for y in years_hit)
    what = f"{manifest['source']}/{dataset} run {manifest['run_id']} ({run_folder})"
    if full_refresh:
        log.warning(
            "full refresh: %s replaces loaded data with less, as the source now answers: %s "
            "(dataset-years %s)",
            what,
            units,
            year_text,
        )
        return
    release = (
        "UN Comtrade's availability shows no new release of these reporter-years since the "
        "loaded rows were fetched"
        if any(u.has_releases for u in spec[2])
        else "the source gives no release information for them"
    )
    raise ShrinkRefusedError(
        f"Refused to load {what}: it would shrink data already loaded ({units}; "
        f"dataset-years {year_text}) and {release}. An answer that lost rows the source still "
        "has is a faulty answer, so nothing was replaced (the whole load was rolled back). "
        f"Extract again later. {FULL_REFRESH_HINT}"
    )
