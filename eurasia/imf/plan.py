"""Which IMF DIP requests an extraction makes.

One request per chunk of republics asks, in one series key, for both kinds of figure:

- DV_TYPE `O`: reported by the economy itself;
- DV_TYPE `SCC`: derived from the counterpart economies' reports (mirror data) - the only figures
  there are for economies that do not take part in the survey, e.g. Turkmenistan;

for the inward position (INWD_D_NETLA_FALL_ALL: net liabilities less assets, all instruments, all
entities) held by China, Russia and the world total (G001), annual, over the settings' years
clipped to the survey's first year.

Why chunks of five republics: the series key grows with every code, and the URL is logged and
landed, so short keys keep it readable and far below the lengths that gateways in front of SDMX
services refuse (HTTP 414). Answers stay small too: every observation carries the dataflow's long
attribute texts (about 2.5 KB a row in the IMF's CSV), so a 15-republic answer could reach some
4 MB that a timeout or a 5xx would make us fetch again whole. Three calls for the whole set is
still polite.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import ClassVar

from eurasia import reference
from eurasia.imf.sdmx_api import SeriesKeyRequest
from eurasia.imf.sdmx_csv import DATAFLOW_ID

log = logging.getLogger("eurasia.imf")

# The Coordinated Direct Investment Survey's first reference year; nothing earlier exists.
FIRST_SURVEY_YEAR = 2009
INDICATOR = "INWD_D_NETLA_FALL_ALL"
DV_TYPES = ("O", "SCC")
COUNTERPARTS = ("CHN", "RUS", "G001")
FREQUENCY = "A"
COUNTRIES_PER_REQUEST = 5


@dataclass(frozen=True)
class ImfRequest(SeriesKeyRequest):
    countries: tuple[str, ...]
    first_year: int
    last_year: int
    dv_types: tuple[str, ...] = DV_TYPES
    indicator: str = INDICATOR
    counterparts: tuple[str, ...] = COUNTERPARTS
    frequency: str = FREQUENCY

    dataflow_id: ClassVar[str] = DATAFLOW_ID

    def key_dimensions(self) -> tuple[tuple[str, ...], ...]:
        return (
            self.countries,
            self.dv_types,
            (self.indicator,),
            self.counterparts,
            (self.frequency,),
        )


def survey_years(years: Iterable[int]) -> list[int]:
    """The requested years the survey can have data for."""
    return [year for year in years if year >= FIRST_SURVEY_YEAR]


def _chunks(items: Sequence[str], size: int) -> list[tuple[str, ...]]:
    return [tuple(items[i : i + size]) for i in range(0, len(items), size)]


def plan_requests(
    years: Iterable[int],
    *,
    countries: Sequence[str] | None = None,
    chunk_size: int = COUNTRIES_PER_REQUEST,
) -> list[ImfRequest]:
    """Requests covering `countries` (default: the 15 republics) for `years` from 2009 on."""
    wanted = survey_years(years)
    if not wanted:
        log.warning(
            "IMF DIP: no request planned - the years asked for end before %d, the first year "
            "of the Coordinated Direct Investment Survey",
            FIRST_SURVEY_YEAR,
        )
        return []
    if countries is None:
        countries = [economy.iso3 for economy in reference.republics()]
    return [
        ImfRequest(countries=chunk, first_year=min(wanted), last_year=max(wanted))
        for chunk in _chunks(list(countries), chunk_size)
    ]
