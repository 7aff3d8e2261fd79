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
