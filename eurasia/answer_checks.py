"""Answers that contradict what the source says exists are faults: asked again, then the run stops.

- UN Comtrade, reporter side: the data availability (getDA, landed by
  eurasia.comtrade.availability before the data pulls) lists the reporter-years released with
  their record counts. An answer that lacks a reporter-year it lists with totalRecords > 0 (a 200
  with `count: 0, data: []`, or one missing a republic) is asked again; if it still lacks it, the
  run stops naming the reporter-years, so the empty answer is never landed nor loaded.
- IMF DIP: an answer with no observations ("No Results Found") for a chunk of republics whose
  observations of those years the warehouse already holds is asked again; if it stays empty, the
  run stops naming the republics - unless EURASIA_FULL_REFRESH=1 says the source really withdrew
  them.

The loader's shrink guard (eurasia.shrink_guard) is the second line: whatever gets past these
checks still cannot replace loaded data with sharply less without a new release.
"""

from __future__ import annotations

import functools
import gzip
import json
import logging
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import TypeVar

import duckdb

from eurasia import reference
from eurasia.http import ApiError
from eurasia.rawzone import MANIFEST

log = logging.getLogger(__name__)

ATTEMPTS = 3  # the first ask and two more
Answer = TypeVar("Answer")


class ContradictedAnswerError(ApiError):
    """An answer lacks data the source itself says exists, and asking again did not help."""


def ask_until_whole(
    fetch: Callable[[], Answer],
    lacking: Callable[[Answer], list],
    *,
    what: str,
    explain: Callable[[list], str],
    attempts: int = ATTEMPTS,
) -> Answer:
    """fetch() until lacking(answer) is empty; ContradictedAnswerError after `attempts` asks."""
    for attempt in range(1, attempts + 1):
        answer = fetch()
        missing = lacking(answer)
        if not missing:
            return answer
        if attempt < attempts:
            log.warning(
                "%s: the answer lacks %s; asking again (%d of %d)",
                what,
                explain(missing),
                attempt + 1,
                attempts,
            )
    raise ContradictedAnswerError(
        f"{what}: asked {attempts} times, the answer still lacks {explain(missing)}. Nothing of "
        "this pull was loaded, so the warehouse keeps what it had. Run again later; if it "
        "persists, the source's data and its own description of them disagree: report it to "
        "the source."
    )


# --- UN Comtrade: availability -------------------------------------------------------------


def _bodies(run_folder: Path, raw_zone: Path) -> Iterable[bytes]:
    for sidecar in sorted(run_folder.glob("*.request.json")):
        body = raw_zone / json.loads(sidecar.read_text())["body_file"]
        data = body.read_bytes()
        yield gzip.decompress(data) if body.suffix == ".gz" else data


def released_reporter_years(raw_zone: Path) -> dict[tuple[int, int], int]:
    """(reporterCode, year) -> totalRecords from the newest complete availability pulls."""
    runs = [p.parent for p in (raw_zone / "comtrade" / "availability").glob(f"run=*/{MANIFEST}")]
    released: dict[tuple[int, int], int] = {}

    def completed_at(run_folder: Path) -> str:
        return json.loads((run_folder / MANIFEST).read_text()).get("completed_at", "")

    for run_folder in sorted(runs, key=completed_at, reverse=True):  # newest first
        for body in _bodies(run_folder, raw_zone):
            for record in json.loads(body).get("data") or []:
                try:
                    key = (int(record["reporterCode"]), int(record["period"]))
                    released.setdefault(key, int(record.get("totalRecords") or 0))
                except (KeyError, TypeError, ValueError):
                    continue  # the loader quarantines or types these; here they prove nothing
    return released


def _reporter_names() -> dict[int, str]:
    return {economy.m49_code: economy.iso3 for economy in reference.republics()}


class ComtradeCheck:
    """Reporter-side answers must hold every reporter-year the availability lists as released."""

    def __init__(self, released: dict[tuple[int, int], int]) -> None:
        self.released = released

    def lacking(self, request, records: list) -> list[tuple[int, int, int]]:
        if request.reporters is None:
            return []
        present = set()
        for record in records:
            if isinstance(record, dict):
                present.add((record.get("reporterCode"), record.get("refYear")))
        return [
            (reporter, year, self.released[(reporter, year)])
            for reporter in request.reporters
            for year in request.years
            if self.released.get((reporter, year), 0) > 0 and (reporter, year) not in present
        ]

    def ask(self, request, fetch: Callable[[], tuple]) -> tuple:
        """fetch() -> (response, records), asked again while it lacks released reporter-years."""
        names = _reporter_names()

        def explain(missing: list[tuple[int, int, int]]) -> str:
            listed = ", ".join(
                f"{names.get(reporter, reporter)} ({reporter}) {year}: {total} records"
                for reporter, year, total in missing
            )
            return (
                f"reporter-years that UN Comtrade's data availability lists as released ({listed})"
            )

        return ask_until_whole(
            fetch,
            lambda answer: self.lacking(request, answer[1]),
            what=f"UN Comtrade, reporter side, {request.describe()}",
            explain=explain,
        )


class _NoCheck:
    def ask(self, request, fetch: Callable[[], tuple]) -> tuple:
        return fetch()


def comtrade_check(dataset: str, raw_zone: Path) -> ComtradeCheck | _NoCheck:
    """The check for one Comtrade pull: the reporter side against the landed availability.

    (The partner side asks every reporter about one republic: the availability, which is per
    reporter, cannot say which of them must appear.)"""
    if dataset != "reporter":
        return _NoCheck()
    released = released_reporter_years(raw_zone)
    if not released:
        log.warning(
            "comtrade reporter: no data availability landed in %s, so answers cannot be checked "
            "against it; the loader still refuses one that would shrink loaded data",
            raw_zone,
        )
    return ComtradeCheck(released)


# --- IMF DIP: what the warehouse holds -------------------------------------------------------


@functools.lru_cache(maxsize=4)
def _held(warehouse: Path, modified: float) -> frozenset[tuple[str, int]]:
    try:
        con = duckdb.connect(str(warehouse), read_only=True)
    except duckdb.Error as exc:  # e.g. held by a writer: the loader's guard still applies
        log.warning("IMF DIP: cannot read %s to check answers against it (%s)", warehouse, exc)
        return frozenset()
    try:
        rows = con.execute(
            "SELECT DISTINCT COUNTRY, TRY_CAST(TIME_PERIOD AS INTEGER) "
            "FROM raw.imf_dip_observations WHERE OBS_VALUE IS NOT NULL OR STATUS IS NOT NULL"
        ).fetchall()
    except duckdb.CatalogException:  # nothing loaded yet
        rows = []
    finally:
        con.close()
    return frozenset(rows)


def imf_republic_years_held(warehouse: Path) -> frozenset[tuple[str, int]]:
    """(republic, year) pairs the warehouse holds IMF DIP observations for."""
    if not warehouse.exists():
        return frozenset()
    return _held(warehouse, warehouse.stat().st_mtime)


def imf_ask(request, fetch: Callable[[], tuple], settings) -> tuple:
    """fetch() -> (response, observation count, extension), asked again while it has no
    observations for republic-years the warehouse holds (unless settings.full_refresh)."""
    held = (
        frozenset() if settings.full_refresh else imf_republic_years_held(settings.warehouse_path)
    )

    def lacking(answer: tuple) -> list[str]:
        if answer[1]:
            return []
        return [c for c in request.countries if any((c, y) in held for y in request.years)]

    def explain(republics: list[str]) -> str:
        return (
            f"any observation ('No Results Found') for {', '.join(republics)} in "
            f"{request.first_year}-{request.last_year}, which the warehouse holds from an earlier "
            "pull (if the IMF really withdrew them, run with EURASIA_FULL_REFRESH=1)"
        )

    return ask_until_whole(
        fetch, lacking, what=f"IMF DIP, {', '.join(request.countries)}", explain=explain
    )
