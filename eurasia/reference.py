"""Reference lists shared with dbt, read from its seeds so that there is one list of republics."""

from __future__ import annotations

import csv
from dataclasses import dataclass
from functools import cache

from eurasia.settings import PROJECT_ROOT

SEEDS = PROJECT_ROOT / "dbt_project" / "seeds"


@dataclass(frozen=True)
class Economy:
    iso3: str
    m49_code: int
    name: str


@cache
def republics() -> tuple[Economy, ...]:
    """The 15 former Soviet republics, ordered by ISO3 code."""
    with open(SEEDS / "republics.csv", newline="") as f:
        return tuple(
            Economy(row["republic_iso3"], int(row["m49_code"]), row["republic_name"])
            for row in csv.DictReader(f)
        )


@cache
def partners() -> tuple[Economy, ...]:
    """World, China and Russia: the partners whose values the marts compare."""
    with open(SEEDS / "partners.csv", newline="") as f:
        return tuple(
            Economy(row["partner_iso3"], int(row["m49_code"]), row["partner_name"])
            for row in csv.DictReader(f)
        )


@dataclass(frozen=True)
class ComtradeReporter:
    code: int
    first_year: int  # the code's entryEffectiveDate
    last_year: int | None  # its entryExpiredDate; None while it is in use


@cache
def comtrade_reporters() -> tuple[ComtradeReporter, ...]:
    """Every reporter code UN Comtrade knows (Reporters.json), groups and historical ones too."""
    with open(SEEDS / "comtrade_reporters.csv", newline="") as f:
        return tuple(
            ComtradeReporter(
                int(row["reporter_code"]),
                int(row["entry_effective_date"][:4]),
                int(row["entry_expired_date"][:4]) if row["entry_expired_date"] else None,
            )
            for row in csv.DictReader(f)
        )


def reporters_active(first_year: int, last_year: int) -> int:
    """How many reporter codes were in use at some time from first_year to last_year."""
    return sum(
        1
        for r in comtrade_reporters()
        if r.first_year <= last_year and (r.last_year is None or r.last_year >= first_year)
    )
