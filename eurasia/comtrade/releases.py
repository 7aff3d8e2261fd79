"""Release-aware Comtrade pulls: fetch only the reporter-years UN Comtrade released since last time.

Every run lands UN Comtrade's data availability first (eurasia.comtrade.availability): one record
per released reporter-year, with its `lastReleased` and `datasetChecksum`. A data pull then asks
only for the reporter-years whose release differs from the one the warehouse loaded last, per
reporter-year and per pull:

- reporter side: a republic's own declarations (with World, China and Russia), so a revision of
  Kazakhstan 2023 refreshes Kazakhstan's reported shares of 2023;
- partner side (mirror): that reporter's declarations about all 15 republics, so the same
  revision (or one of China 2023) refreshes its weight in every republic's mirror totals.

What the warehouse loaded is read from `<raw zone>/comtrade/_RELEASES_LOADED.json`, which the
loader rewrites after each committed load from raw.comtrade_releases_loaded (eurasia.loader):
extraction workers see the raw zone, never the warehouse (docker-compose). A load that failed
or was rolled back leaves that file as it was, so its reporter-years are asked again next time.

No file, no release recorded for a pull yet, or a full refresh: the whole plan (every
reporter-year of the years), as before. Nothing changed: a plan of no requests, so the run lands
nothing and the loader replaces nothing.
"""

from __future__ import annotations

import datetime as dt
import gzip
import json
import logging
from dataclasses import dataclass
from pathlib import Path

from eurasia import reference
from eurasia.rawzone import MANIFEST

log = logging.getLogger("eurasia.comtrade")

LOADED_FILE = "_RELEASES_LOADED.json"
# In a Comtrade data run's folder, beside its manifest: what the pull asked for and the releases
# it was fetched for (eurasia.loader reads it; a run without it replaces whole years).
SELECTION_FILE = "_RELEASES.json"


@dataclass(frozen=True)
class Release:
    """One reporter-year as UN Comtrade's availability lists it."""

    reporter: int
    year: int
    last_released: str | None  # ISO 8601, normalised
    checksum: str | None
    landing_id: str | None = None  # the availability landing that listed it

    def as_manifest(self) -> dict:
        return {
            "reporterCode": self.reporter,
            "period": str(self.year),
            "lastReleased": self.last_released,
            "datasetChecksum": self.checksum,
            "availability_landing_id": self.landing_id,
        }

    @property
    def version(self) -> tuple[str | None, str | None]:
        return self.last_released, self.checksum


def normalise_time(value: object) -> str | None:
    """'2025-03-01T00:00:00', '2025-03-01 00:00:00' and '2025-03-01T00:00:00Z' are one time."""
    if value in (None, ""):
        return None
    try:
        parsed = dt.datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    except ValueError:
        return str(value)
    return parsed.replace(tzinfo=None).isoformat(timespec="seconds")


def _text(value: object) -> str | None:
    return None if value in (None, "") else str(value)


def newest_availability_run(raw_zone: Path) -> Path | None:
    """The availability run completed last (the one this pipeline run just landed)."""
    runs = [p.parent for p in (raw_zone / "comtrade" / "availability").glob(f"run=*/{MANIFEST}")]

    def completed_at(run_folder: Path) -> tuple[str, str]:
        return json.loads((run_folder / MANIFEST).read_text()).get("completed_at", ""), str(
            run_folder
        )

    return max(runs, key=completed_at, default=None)


def availability_releases(raw_zone: Path, run_folder: Path) -> dict[tuple[int, int], Release]:
    """(reporterCode, year) -> Release, from the bodies of one complete availability run."""
    releases: dict[tuple[int, int], Release] = {}
    for sidecar in sorted(run_folder.glob("*.request.json")):
        landing = json.loads(sidecar.read_text())
        data = (raw_zone / landing["body_file"]).read_bytes()
        body = gzip.decompress(data) if landing["body_file"].endswith(".gz") else data
        for record in json.loads(body).get("data") or []:
            try:
                key = (int(record["reporterCode"]), int(record["period"]))
            except (KeyError, TypeError, ValueError):
                continue  # the loader quarantines or types these; they announce nothing here
            releases[key] = Release(
                *key,
                normalise_time(record.get("lastReleased")),
                _text(record.get("datasetChecksum")),
                landing["landing_id"],
            )
    return releases


def loaded_releases(raw_zone: Path, dataset: str) -> dict[tuple[int, int], tuple] | None:
    """(reporterCode, year) -> (lastReleased, checksum) the warehouse loaded last for a pull;
    None when no load has recorded any release of it."""
    path = raw_zone / "comtrade" / LOADED_FILE
    if not path.exists():
        return None
    rows = [row for row in json.loads(path.read_text()) if row["dataset"] == dataset]
    if not rows:
        return None
    return {
        (int(row["reporterCode"]), int(row["period"])): (
            normalise_time(row["lastReleased"]),
            _text(row["datasetChecksum"]),
        )
        for row in rows
    }


def in_scope(dataset: str) -> set[int] | None:
    """The reporters a pull asks about: the republics (reporter side), or all (mirror: None)."""
    if dataset == "reporter":
        return {economy.m49_code for economy in reference.republics()}
    return None


@dataclass(frozen=True)
class Selection:
    """What a pull asks for. `changed` None: the whole plan, every reporter-year of the years."""

    releases: list[Release]  # the releases of what is asked (recorded when loaded)
    changed: list[tuple[int, int]] | None

    def describe(self) -> str:
        if self.changed is None:
            return f"every reporter-year ({len(self.releases)} released)"
        shown = ", ".join(f"{r} {y}" for r, y in self.changed[:20])
        more = f" and {len(self.changed) - 20} more" if len(self.changed) > 20 else ""
        return f"{len(self.changed)} new or revised reporter-years" + (
            f": {shown}{more}" if self.changed else " (nothing to ask)"
        )


def select(
    dataset: str,
    raw_zone: Path,
    years: list[int],
    *,
    full_refresh: bool,
    availability_run: Path | None = None,
) -> Selection:
    """The reporter-years of `years` this pull must ask for, from the newest availability run."""
    availability_run = availability_run or newest_availability_run(raw_zone)
    scope = in_scope(dataset)
    released = {} if availability_run is None else availability_releases(raw_zone, availability_run)
    wanted = {
        key: release
        for key, release in sorted(released.items())
        if key[1] in set(years) and (scope is None or key[0] in scope)
    }
    loaded = None if full_refresh else loaded_releases(raw_zone, dataset)
    if availability_run is None or loaded is None:
        if availability_run is None:
            log.warning(
                "comtrade %s: no data availability landed in %s, so every reporter-year is asked",
                dataset,
                raw_zone,
            )
        return Selection(list(wanted.values()), None)
    changed = [key for key, release in wanted.items() if loaded.get(key) != release.version]
    return Selection([wanted[key] for key in changed], changed)


def write_selection(run_folder: Path, selection: Selection) -> None:
    """Write SELECTION_FILE: reporter_years (None: whole years) and their releases."""
    content = {
        "reporter_years": None
        if selection.changed is None
        else [list(key) for key in selection.changed],
        "releases": [release.as_manifest() for release in selection.releases],
    }
    tmp = run_folder / (SELECTION_FILE + ".tmp")
    tmp.write_text(json.dumps(content, indent=1))
    tmp.replace(run_folder / SELECTION_FILE)


def read_selection(run_folder: Path) -> dict | None:
    path = run_folder / SELECTION_FILE
    return json.loads(path.read_text()) if path.exists() else None
