"""Generate the bundled synthetic snapshot (DEMO DATA) in the APIs' own wire formats.

    python -m eurasia.demo.generate_snapshot

writes `snapshot/comtrade_annual_totals.json.gz` (one UN Comtrade `data/v1/get` answer) and
`snapshot/imf_dip_positions.csv.gz` (one IMF DIP SDMX-CSV 1.0 answer). Every number is made up
from a fixed seed: plausible in magnitude, describing no real economy. The output is
byte-for-byte the same on every run (fixed seeds, sorted output, gzip mtime 0), and a test
regenerates it and compares it with the committed files, so the two cannot drift apart.

How the trade numbers are made: one "true" FOB value for every flow between a republic and
each partner economy (trend x cycle x noise x partner share); each economy then *declares*
that flow with its own valuation (importers CIF, exporters FOB) and its own noise, as real
customs offices do, so reporter-side and mirror-side figures agree roughly but not exactly.
A republic's world total is the sum of everything it declares plus unlisted partners.
"""

from __future__ import annotations

import csv
import gzip
import io
import json
import math
import random
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from functools import cache
from itertools import pairwise
from pathlib import Path

from eurasia.demo import SNAPSHOT_YEARS
from eurasia.demo.snapshot_engines import COMTRADE_SNAPSHOT, IMF_DIP_SNAPSHOT
from eurasia.reference import SEEDS

SEED = 19911226
_FIRST, _LAST = (int(y) for y in SNAPSHOT_YEARS.split("-"))
YEARS = range(_FIRST, _LAST + 1)
FDI_YEARS = range(2009, 2025)  # 2025 positions are not released yet
Anchors = Mapping[int, float]  # year -> value; linear in between, flat outside

# ---------------------------------------------------------------------------------------------
# Who reports what, when
# ---------------------------------------------------------------------------------------------

# Reporter-side gaps of the republics: years in which a republic declares nothing itself, as
# in the real UN Comtrade: Turkmenistan never reports, Uzbekistan only from 2017, Tajikistan
# misses years, and Russia's customs service stopped publishing in 2022 - so from 2022 Russia
# declares nothing, neither its own trade nor, as a partner-side reporter, anyone else's.
NEVER_REPORTS = frozenset({"TKM"})
RUSSIA_SILENT_FROM = 2022
MISSING_YEARS: Mapping[str, frozenset[int]] = {
    "RUS": frozenset(range(RUSSIA_SILENT_FROM, YEARS[-1] + 1)),
    "TJK": frozenset({2000, 2001, 2002, 2003, 2019}),
    "UZB": frozenset(range(2000, 2017)),
    # Release lag: these have not published 2024 yet (and therefore not 2025 either).
    "AZE": frozenset({2024, 2025}),
    "KGZ": frozenset({2024, 2025}),
}
# Release lag: only these economies have published 2025; everyone else stops at 2024.
RELEASED_LAST_YEAR = frozenset(
    {"ARM", "EST", "GEO", "KAZ", "LTU", "MDA"}  # republics
    | {"CHN", "DEU", "ESP", "FRA", "ITA", "JPN", "KOR", "TUR", "USA"}
)
# Non-republic reporters that declare trade with the republics (mirror side), with a rough
# weight as trade partner of the region. S19 is Comtrade 490 "Other Asia, nes".
OTHER_REPORTERS: Mapping[str, float] = {
    "DEU": 10, "NLD": 7, "ITA": 6, "TUR": 6, "USA": 6, "POL": 5, "KOR": 4, "JPN": 4,
    "FRA": 4, "GBR": 4, "CHE": 4, "IND": 3, "ARE": 3, "IRN": 2, "FIN": 2, "BEL": 2,
    "ESP": 2, "CZE": 2, "SWE": 2, "S19": 1,
}  # fmt: skip
# Iran stops reporting after 2018; other reporters skip a year now and then at random.
STOPPED_REPORTING = {"IRN": 2019}
RANDOM_SKIP_PROBABILITY = 0.04
# Comtrade group reporter 97 (EU): its value is the sum of the members present, so a world sum
# that counted it would double-count. Members in the dataset, with (first, last) member year.
EU_ISO3 = "EUR"
EU_MEMBERS: Mapping[str, tuple[int, int]] = {
    **dict.fromkeys(("BEL", "DEU", "ESP", "FIN", "FRA", "ITA", "NLD", "SWE"), (2000, 2025)),
    **dict.fromkeys(("CZE", "POL", "EST", "LTU", "LVA"), (2004, 2025)),
    "GBR": (2000, 2019),
}

# ---------------------------------------------------------------------------------------------
# Trade profiles: trend levels (USD bn) and partner shares (fractions of world trade)
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class TradeProfile:
    exports: tuple[float, float]  # world exports, USD bn, trend level in 2000 and in 2024
    imports: tuple[float, float]
    china_x: Anchors  # China's share of the republic's exports
    china_m: Anchors
    russia_x: Anchors = field(default_factory=dict)  # empty for Russia itself
    russia_m: Anchors = field(default_factory=dict)
    intra: float = 0.08  # share of trade with the other republics, Russia aside
    shocks: Anchors = field(default_factory=dict)  # country-specific log deviations


TRADE: Mapping[str, TradeProfile] = {
    # Russia's share jumps in 2022 (re-exports); China never overtakes Russia.
    "ARM": TradeProfile(
        (0.30, 7.0), (0.88, 12.0),
        china_x={2000: 0.002, 2012: 0.02, 2025: 0.06},
        china_m={2000: 0.02, 2010: 0.08, 2025: 0.17},
        russia_x={2000: 0.15, 2013: 0.15, 2021: 0.28, 2022: 0.41, 2025: 0.38},
        russia_m={2000: 0.15, 2012: 0.25, 2021: 0.28, 2022: 0.36, 2025: 0.35},
        intra=0.04,
    ),
    # China's share of exports stays flat: an exception to the rising trend.
    "AZE": TradeProfile(
        (1.7, 28.0), (1.2, 17.0),
        china_x={2000: 0.01, 2025: 0.012},
        china_m={2000: 0.03, 2012: 0.08, 2025: 0.18},
        russia_x={2000: 0.10, 2010: 0.05, 2025: 0.04},
        russia_m={2000: 0.22, 2010: 0.17, 2025: 0.16},
        intra=0.05,
    ),
    # Russia dominates throughout and its share rises late: China never overtakes.
    "BLR": TradeProfile(
        (7.3, 45.0), (8.6, 48.0),
        china_x={2000: 0.02, 2025: 0.05},
        china_m={2000: 0.01, 2012: 0.05, 2025: 0.15},
        russia_x={2000: 0.50, 2012: 0.35, 2018: 0.38, 2022: 0.62, 2025: 0.66},
        russia_m={2000: 0.65, 2012: 0.55, 2021: 0.50, 2022: 0.56, 2025: 0.58},
        intra=0.08,
    ),
    "EST": TradeProfile(
        (3.2, 20.0), (4.2, 23.0),
        china_x={2000: 0.005, 2025: 0.02},
        china_m={2000: 0.02, 2012: 0.05, 2025: 0.08},
        russia_x={2000: 0.12, 2013: 0.12, 2021: 0.07, 2022: 0.03, 2025: 0.02},
        russia_m={2000: 0.10, 2013: 0.07, 2021: 0.06, 2022: 0.02, 2025: 0.01},
        intra=0.15,
    ),
    # An embargo cuts exports to Russia in 2006-2013; China overtakes, then Russia catches up.
    "GEO": TradeProfile(
        (0.33, 5.6), (0.72, 15.5),
        china_x={2000: 0.005, 2012: 0.02, 2017: 0.07, 2025: 0.06},
        china_m={2000: 0.01, 2010: 0.06, 2025: 0.13},
        russia_x={2000: 0.20, 2005: 0.18, 2006: 0.02, 2013: 0.02, 2014: 0.06, 2025: 0.10},
        russia_m={2000: 0.15, 2006: 0.10, 2010: 0.06, 2025: 0.12},
        intra=0.20,
    ),
    "KAZ": TradeProfile(
        (9.1, 80.0), (5.0, 60.0),
        china_x={2000: 0.07, 2010: 0.17, 2016: 0.11, 2025: 0.17},
        china_m={2000: 0.04, 2010: 0.17, 2025: 0.33},
        russia_x={2000: 0.20, 2010: 0.08, 2025: 0.10},
        russia_m={2000: 0.48, 2008: 0.36, 2012: 0.37, 2025: 0.27},
        intra=0.08,
    ),
    "KGZ": TradeProfile(
        (0.5, 3.5), (0.55, 11.0),
        china_x={2000: 0.03, 2025: 0.05},
        china_m={2000: 0.06, 2010: 0.18, 2025: 0.36},
        russia_x={2000: 0.15, 2025: 0.12},
        russia_m={2000: 0.28, 2010: 0.33, 2025: 0.22},
        intra=0.30,
    ),
    # China's share falls from 2021 on (a diplomatic row): the main exception.
    "LTU": TradeProfile(
        (3.8, 44.0), (5.2, 48.0),
        china_x={2000: 0.002, 2020: 0.012, 2022: 0.002, 2025: 0.002},
        china_m={2000: 0.01, 2012: 0.03, 2020: 0.05, 2021: 0.035, 2022: 0.022, 2025: 0.02},
        russia_x={2000: 0.07, 2012: 0.19, 2014: 0.14, 2021: 0.10, 2022: 0.06, 2025: 0.05},
        russia_m={2000: 0.25, 2012: 0.30, 2014: 0.22, 2021: 0.12, 2022: 0.06, 2025: 0.03},
        intra=0.14,
    ),
    "LVA": TradeProfile(
        (1.9, 22.0), (3.2, 26.0),
        china_x={2000: 0.002, 2025: 0.01},
        china_m={2000: 0.01, 2012: 0.03, 2025: 0.06},
        russia_x={2000: 0.06, 2013: 0.10, 2021: 0.09, 2022: 0.05, 2025: 0.04},
        russia_m={2000: 0.12, 2012: 0.10, 2021: 0.08, 2022: 0.06, 2025: 0.03},
        intra=0.18,
    ),
    "MDA": TradeProfile(
        (0.47, 3.6), (0.78, 9.5),
        china_x={2000: 0.001, 2025: 0.01},
        china_m={2000: 0.01, 2010: 0.07, 2025: 0.12},
        russia_x={2000: 0.44, 2012: 0.30, 2014: 0.18, 2025: 0.04},
        russia_m={2000: 0.18, 2012: 0.14, 2025: 0.03},
        intra=0.06,
    ),
    # Russia's trade with the other republics is set on their side; intra is its target share.
    "RUS": TradeProfile(
        (105.0, 430.0), (45.0, 300.0),
        china_x={2000: 0.05, 2010: 0.05, 2021: 0.14, 2022: 0.20, 2025: 0.30},
        china_m={2000: 0.03, 2010: 0.17, 2021: 0.25, 2022: 0.35, 2025: 0.38},
        intra=0.13,
    ),
    "TJK": TradeProfile(
        (0.78, 2.3), (0.68, 5.8),
        china_x={2000: 0.01, 2025: 0.10},
        china_m={2000: 0.02, 2010: 0.12, 2025: 0.26},
        russia_x={2000: 0.12, 2010: 0.08, 2025: 0.05},
        russia_m={2000: 0.18, 2010: 0.26, 2025: 0.20},
        intra=0.25,
    ),
    # Gas pipeline to China from 2010: China takes most exports; Russia's gas purchases collapse.
    "TKM": TradeProfile(
        (2.5, 12.0), (1.8, 6.5),
        china_x={2000: 0.005, 2009: 0.05, 2011: 0.50, 2025: 0.70},
        china_m={2000: 0.02, 2012: 0.15, 2025: 0.20},
        russia_x={2000: 0.35, 2008: 0.45, 2009: 0.08, 2025: 0.05},
        russia_m={2000: 0.20, 2012: 0.13, 2025: 0.10},
        intra=0.05,
    ),
    # Trade with Russia falls in steps after 2014 and nearly stops after 2022.
    "UKR": TradeProfile(
        (15.0, 70.0), (14.0, 85.0),
        china_x={2000: 0.04, 2012: 0.03, 2020: 0.15, 2025: 0.08},
        china_m={2000: 0.02, 2010: 0.08, 2025: 0.18},
        russia_x={2000: 0.24, 2012: 0.26, 2014: 0.18, 2016: 0.10, 2021: 0.05, 2022: 0.005,
                  2025: 0.001},
        russia_m={2000: 0.42, 2012: 0.32, 2014: 0.23, 2016: 0.13, 2021: 0.08, 2022: 0.01,
                  2025: 0.002},
        intra=0.06,
        shocks={2013: 0.0, 2014: -0.15, 2015: -0.45, 2016: -0.45, 2017: -0.35, 2019: -0.25,
                2021: -0.2, 2022: -0.5, 2025: -0.45},
    ),
    "UZB": TradeProfile(
        (3.2, 26.0), (2.9, 38.0),
        china_x={2000: 0.03, 2012: 0.15, 2025: 0.12},
        china_m={2000: 0.03, 2010: 0.15, 2025: 0.26},
        russia_x={2000: 0.16, 2010: 0.22, 2025: 0.13},
        russia_m={2000: 0.18, 2010: 0.22, 2025: 0.17},
        intra=0.15,
    ),
}  # fmt: skip

# Common cycle: the fraction of a country's 2000-2024 log growth reached in each year
# (commodity boom, 2009 crisis, 2015-16 commodity slump, 2020 pandemic, 2022 price spike).
CYCLE: Anchors = {
    2000: 0.0, 2008: 0.72, 2009: 0.52, 2011: 0.85, 2013: 0.92, 2014: 0.90, 2015: 0.74,
    2016: 0.68, 2018: 0.84, 2019: 0.86, 2020: 0.78, 2021: 0.93, 2022: 1.0, 2024: 1.0,
    2025: 1.02,
}  # fmt: skip
# Extra weight of some partners in a region's trade (geography, pipelines, ports).
REGION_AFFINITY: Mapping[str, Mapping[str, float]] = {
    "South Caucasus": {"TUR": 4, "IRN": 3, "ARE": 2},
    "Central Asia": {"TUR": 2.5, "KOR": 2.5, "IRN": 2, "IND": 1.5},
    "Baltics": {"FIN": 5, "SWE": 5, "POL": 3, "DEU": 1.5},
    "Eastern Europe": {"POL": 3, "DEU": 1.5, "ITA": 1.5, "TUR": 1.5},
    "Russia": {"NLD": 2, "DEU": 2, "ITA": 1.5, "KOR": 1.5, "JPN": 1.5, "TUR": 1.5},
}
# From 2022 sanctions move Russia's trade from the first group to the second.
SANCTIONS_YEAR = 2022
SANCTIONING = {"DEU", "NLD", "ITA", "FRA", "GBR", "USA", "JPN", "POL", "FIN", "BEL", "ESP",
               "CZE", "SWE", "CHE", "S19"}  # fmt: skip
REROUTED_TO = {"TUR": 3.0, "IND": 4.0, "ARE": 3.0, "KOR": 1.2}
# Kazakhstan declares far less imports from China than China declares exports to it (shuttle
# trade, under-invoicing): the classic mirror gap of several billion USD a year.
KAZ_CHN_GAP_YEARS = range(2005, 2017)
KAZ_CHN_GAP_FACTOR = 0.6
# Average freight and insurance on imports from partners outside the dataset.
UNLISTED_CIF_FACTOR = 1.07


# ---------------------------------------------------------------------------------------------
# Small helpers
# ---------------------------------------------------------------------------------------------


def _rng(*key: object) -> random.Random:
    """An independent stream per purpose, so changing one feature does not reshuffle the rest.

    Seeding with a str is deterministic across runs and platforms (it is hashed with SHA-512,
    not with Python's randomised hash()).
    """
    return random.Random(f"{SEED}|" + "|".join(map(str, key)))


def _lognoise(sigma: float, *key: object) -> float:
    return math.exp(_rng(*key).gauss(0.0, sigma))


def _interp(anchors: Anchors, year: int) -> float:
    points = sorted(anchors.items())
    if year <= points[0][0]:
        return points[0][1]
    for (y0, v0), (y1, v1) in pairwise(points):
        if year <= y1:
            return v0 + (v1 - v0) * (year - y0) / (y1 - y0)
    return points[-1][1]


@cache
def _ar1(sigma: float, years: Iterable[int], *key: object, rho: float = 0.6) -> dict[int, float]:
    """Autocorrelated noise: years drift together instead of jumping independently."""
    rng, value, out = _rng(*key), 0.0, {}
    for year in years:
        value = rho * value + rng.gauss(0.0, sigma)
        out[year] = value
    return out


@dataclass(frozen=True)
class Economy:
    code: int  # Comtrade / M49 code
    iso3: str
    desc: str


@cache
def _comtrade_economies() -> dict[str, Economy]:
    """Current (unexpired) Comtrade reporter entries by ISO3, from the dbt seed."""
    with open(SEEDS / "comtrade_reporters.csv", newline="", encoding="utf-8") as f:
        rows = [r for r in csv.DictReader(f) if not r["entry_expired_date"]]
    return {
        r["reporter_iso3"]: Economy(int(r["reporter_code"]), r["reporter_iso3"], r["reporter_name"])
        for r in rows
    }


@cache
def _regions() -> dict[str, str]:
    with open(SEEDS / "republics.csv", newline="", encoding="utf-8") as f:
        regions = {r["republic_iso3"]: r["region"] for r in csv.DictReader(f)}
    # The profiles above must cover exactly the seed's republics, or the demo would silently
    # lose or invent a country.
    if not set(regions) == set(TRADE) == set(FDI):
        raise ValueError("generate_snapshot profiles are out of step with republics.csv")
    return regions


def _republics() -> list[str]:
    return sorted(_regions())


def _reports(iso3: str, year: int) -> bool:
    """Whether an economy has published its declarations for a year."""
    if year == YEARS[-1] and iso3 not in RELEASED_LAST_YEAR:
        return False
    if iso3 in TRADE:
        return iso3 not in NEVER_REPORTS and year not in MISSING_YEARS.get(iso3, ())
    if iso3 == "CHN":
        return True  # China's mirror data are what the demo leans on; never drop them
    if year >= STOPPED_REPORTING.get(iso3, 9999):
        return False
    return _rng("skip", iso3, year).random() >= RANDOM_SKIP_PROBABILITY


# ---------------------------------------------------------------------------------------------
# True flows
# ---------------------------------------------------------------------------------------------


def _world_level(iso3: str, flow: str, year: int) -> float:
    """Trend x common cycle x country shock x noise, in USD."""
    profile = TRADE[iso3]
    start, end = profile.exports if flow == "X" else profile.imports
    noise = _ar1(0.05, YEARS, "level", iso3, flow)[year]
    shock = _interp(profile.shocks, year) if profile.shocks else 0.0
    growth = (end / start) ** _interp(CYCLE, year)
    return start * 1e9 * growth * math.exp(shock + noise)


def _share(anchors: Anchors, iso3: str, partner: str, flow: str, year: int) -> float:
    return _interp(anchors, year) * math.exp(_ar1(0.07, YEARS, "share", iso3, partner, flow)[year])


def _row_share(iso3: str, flow: str) -> float:
    """Share of trade with partners that are not in the dataset at all."""
    return 0.03 + 0.03 * _rng("row", iso3, flow).random()


@cache
def _other_weights(iso3: str, flow: str, year: int) -> dict[str, float]:
    """How a republic's trade with the non-republic reporters splits among them (sums to 1)."""
    affinity = REGION_AFFINITY[_regions()[iso3]]
    weights = {}
    for other, base in OTHER_REPORTERS.items():
        w = base * affinity.get(other, 1.0) * _lognoise(0.5, "pair", iso3, other, flow)
        w *= math.exp(_ar1(0.08, YEARS, "drift", iso3, other, flow)[year])
        if iso3 == "RUS" and year >= SANCTIONS_YEAR:
            w *= 0.35 if other in SANCTIONING else REROUTED_TO.get(other, 1.0)
        weights[other] = w
    total = sum(weights.values())
    return {other: w / total for other, w in weights.items()}


@cache
def _intra_weights(iso3: str) -> dict[str, float]:
    """How a republic's exports to the other republics (Russia aside) split among them."""
    regions = _regions()
    weights = {}
    for other in _republics():
        if other in (iso3, "RUS"):
            continue
        size = TRADE[other].imports[1]
        near = 4.0 if regions[other] == regions[iso3] else 1.0
        weights[other] = size * near * _lognoise(0.5, "intra", iso3, other)
    total = sum(weights.values())
    return {other: w / total for other, w in weights.items()}


def _partner_shares(iso3: str, flow: str, year: int) -> dict[str, float]:
    """Shares of a republic's world flow by partner; '*' = other republics, '' = unlisted."""
    profile = TRADE[iso3]
    china = _share(profile.china_x if flow == "X" else profile.china_m, iso3, "CHN", flow, year)
    shares = {"CHN": china, "": _row_share(iso3, flow), "*": profile.intra}
    if iso3 != "RUS":
        russia = profile.russia_x if flow == "X" else profile.russia_m
        shares["RUS"] = _share(russia, iso3, "RUS", flow, year)
    # Never let the listed reporters vanish entirely, even when China and Russia dominate.
    rest = max(1.0 - sum(shares.values()), 0.04)
    for other, w in _other_weights(iso3, flow, year).items():
        shares[other] = rest * w
    return shares


def true_flows() -> dict[tuple[int, str, str], float]:
    """(year, exporter, importer) -> true FOB value in USD, for every flow the demo needs.

    Flows between a republic and Russia are set on the republic's side; flows between two
    other republics on the exporter's side. Unlisted partners are stored under importer or
    exporter ''.
    """
    flows: dict[tuple[int, str, str], float] = {}
    for year in YEARS:
        for iso3 in _republics():
            for flow in ("X", "M"):
                total = _world_level(iso3, flow, year)
                for partner, share in _partner_shares(iso3, flow, year).items():
                    _add_flow(flows, year, iso3, partner, flow, total * share)
    return flows


def _add_flow(flows: dict, year: int, iso3: str, partner: str, flow: str, value: float) -> None:
    if partner == "*":
        if flow == "X" and iso3 != "RUS":  # imports from republics are their exports
            for other, w in _intra_weights(iso3).items():
                flows[(year, iso3, other)] = value * w
        return
    key = (year, iso3, partner) if flow == "X" else (year, partner, iso3)
    flows[key] = value


# ---------------------------------------------------------------------------------------------
# Declarations (what each customs office reports)
# ---------------------------------------------------------------------------------------------


def _cif_factor(exporter: str, importer: str) -> float:
    """Freight and insurance: the importer's CIF is ~5-10% above the exporter's FOB."""
    return 1.05 + 0.05 * _rng("cif", exporter, importer).random()


def declared(flows: Mapping, year: int, reporter: str, partner: str, flow: str) -> float:
    """The value `reporter` declares for its imports from (M, CIF) or exports to (X, FOB)
    `partner`: the true flow with a persistent per-pair bias and yearly noise."""
    exporter, importer = (partner, reporter) if flow == "M" else (reporter, partner)
    value = flows[(year, exporter, importer)]
    value *= _lognoise(0.03, "bias", reporter, partner, flow)
    value *= _lognoise(0.03, "noise", reporter, partner, flow, year)
    if flow == "M":
        value *= _cif_factor(exporter, importer)
    if (reporter, partner, flow) == ("KAZ", "CHN", "M") and year in KAZ_CHN_GAP_YEARS:
        value *= KAZ_CHN_GAP_FACTOR
    return value


def declared_world(flows: Mapping, year: int, reporter: str, flow: str) -> float:
    """A republic's world total: everything it declares, plus unlisted partners."""
    partners = ["CHN", *OTHER_REPORTERS, *(r for r in _republics() if r != reporter)]
    total = sum(declared(flows, year, reporter, p, flow) for p in partners)
    unlisted = flows[(year, reporter, "") if flow == "X" else (year, "", reporter)]
    return total + unlisted * (UNLISTED_CIF_FACTOR if flow == "M" else 1.0)


# ---------------------------------------------------------------------------------------------
# Comtrade records
# ---------------------------------------------------------------------------------------------


def _classification(year: int) -> str:
    """The HS edition in force: H1 1996, H2 2002, H3 2007, H4 2012, H5 2017, H6 2022."""
    return "H" + str(1 + sum(year >= y for y in (2002, 2007, 2012, 2017, 2022)))


def comtrade_record(
    year: int, reporter: Economy, partner: Economy, flow: str, value: float
) -> dict[str, object]:
    """One element of `data`, with the real API's 47 fields in the real API's order."""
    value = float(round(value))
    return {
        "typeCode": "C", "freqCode": "A", "refPeriodId": year * 10000 + 101, "refYear": year,
        "refMonth": 52, "period": str(year),
        "reporterCode": reporter.code, "reporterISO": reporter.iso3,
        "reporterDesc": reporter.desc,
        "flowCode": flow, "flowDesc": "Import" if flow == "M" else "Export",
        "partnerCode": partner.code, "partnerISO": partner.iso3, "partnerDesc": partner.desc,
        "partner2Code": 0, "partner2ISO": "W00", "partner2Desc": "World",
        "classificationCode": _classification(year), "classificationSearchCode": "HS",
        "isOriginalClassification": True, "cmdCode": "TOTAL", "cmdDesc": "All Commodities",
        "aggrLevel": 0, "isLeaf": False, "customsCode": "C00", "customsDesc": "TOTAL CPC",
        "mosCode": "0", "motCode": 0, "motDesc": "TOTAL MOT",
        "qtyUnitCode": -1, "qtyUnitAbbr": "N/A", "qty": None, "isQtyEstimated": False,
        "altQtyUnitCode": -1, "altQtyUnitAbbr": "N/A", "altQty": None,
        "isAltQtyEstimated": False, "netWgt": None, "isNetWgtEstimated": False,
        "grossWgt": None, "isGrossWgtEstimated": False,
        "cifvalue": value if flow == "M" else None, "fobvalue": value if flow == "X" else None,
        "primaryValue": value, "legacyEstimationFlag": 0, "isReported": True,
        "isAggregate": False,
    }  # fmt: skip


WORLD = Economy(0, "W00", "World")


def _republic_declarations(flows: Mapping, year: int) -> Iterable[dict]:
    """Each reporting republic: World and China (reporter side) and every other republic
    (mirror side for that republic; for Russia it is both, stored once)."""
    economies = _comtrade_economies()
    for iso3 in _republics():
        if not _reports(iso3, year):
            continue
        reporter = economies[iso3]
        for flow in ("M", "X"):
            world = declared_world(flows, year, iso3, flow)
            yield comtrade_record(year, reporter, WORLD, flow, world)
            for partner in ["CHN", *(r for r in _republics() if r != iso3)]:
                value = declared(flows, year, iso3, partner, flow)
                yield comtrade_record(year, reporter, economies[partner], flow, value)


def _outside_declarations(flows: Mapping, year: int) -> Iterable[dict]:
    """China and the other reporters, declaring their trade with each republic (mirror)."""
    economies = _comtrade_economies()
    for iso3 in ["CHN", *OTHER_REPORTERS]:
        if not _reports(iso3, year):
            continue
        for partner in _republics():
            for flow in ("M", "X"):
                value = declared(flows, year, iso3, partner, flow)
                yield comtrade_record(year, economies[iso3], economies[partner], flow, value)


def _eu_declarations(records: list[dict], year: int) -> Iterable[dict]:
    """Group reporter 97: the sum of its members' records present that year."""
    member_codes = {
        _comtrade_economies()[iso3].code
        for iso3, (first, last) in EU_MEMBERS.items()
        if first <= year <= last
    }
    # Only trade with a republic: the Baltic members' World and China rows are not mirror data.
    republic_codes = {_comtrade_economies()[iso3].code for iso3 in _republics()}
    sums: dict[tuple[int, str], float] = {}
    for r in records:
        if r["reporterCode"] in member_codes and r["partnerCode"] in republic_codes:
            key = (r["partnerCode"], r["flowCode"])
            sums[key] = sums.get(key, 0.0) + r["primaryValue"]
    economies = {e.code: e for e in _comtrade_economies().values()}
    eu = _comtrade_economies()[EU_ISO3]
    for (partner_code, flow), value in sums.items():
        yield comtrade_record(year, eu, economies[partner_code], flow, value)


def comtrade_records() -> list[dict]:
    """All records, sorted as (refYear, reporterCode, partnerCode, flowCode)."""
    flows = true_flows()
    records: list[dict] = []
    for year in YEARS:
        year_records = [*_republic_declarations(flows, year), *_outside_declarations(flows, year)]
        records += year_records
        records += _eu_declarations(year_records, year)
    return sorted(records, key=_record_key)


def _record_key(r: Mapping) -> tuple:
    return (r["refYear"], r["reporterCode"], r["partnerCode"], r["flowCode"])


def comtrade_document(records: list[dict]) -> bytes:
    doc = {"elapsedTime": "3.27 secs", "count": len(records), "data": records, "error": ""}
    return json.dumps(doc, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


# ---------------------------------------------------------------------------------------------
# IMF DIP positions (inward direct investment, net liabilities, all counterparts)
# ---------------------------------------------------------------------------------------------

DIP_HEADER = ("DATAFLOW", "COUNTRY", "DV_TYPE", "INDICATOR", "COUNTERPART_COUNTRY", "FREQUENCY",
              "TIME_PERIOD", "OBS_VALUE", "SCALE", "DECIMALS_DISPLAYED", "DERIVATION_TYPE",
              "STATUS", "COMMENTS")  # fmt: skip
DIP_DATAFLOW = "IMF.STA:DIP(12.0.1)"
DIP_INDICATOR = "INWD_D_NETLA_FALL_ALL"
REPORTED, DERIVED = "O", "SCC"  # reported by the economy / derived from counterpart reports
COUNTERPARTS = ("CHN", "RUS", "G001")


@dataclass(frozen=True)
class FdiProfile:
    total: Anchors  # inward position from the world, USD bn
    china: Anchors  # China's share of it
    russia: Anchors = field(default_factory=dict)


FDI: Mapping[str, FdiProfile] = {
    "ARM": FdiProfile({2009: 4.5, 2024: 6.5}, {2009: 0.001, 2024: 0.008}, {2009: 0.50, 2024: 0.33}),
    "AZE": FdiProfile({2009: 12, 2024: 32}, {2009: 0.002, 2024: 0.01}, {2009: 0.04, 2024: 0.07}),
    "BLR": FdiProfile({2009: 9, 2024: 14}, {2009: 0.01, 2024: 0.05}, {2009: 0.40, 2024: 0.52}),
    "EST": FdiProfile({2009: 16, 2024: 42}, {2009: 5e-4, 2024: 0.001}, {2009: 0.05, 2024: 0.02}),
    "GEO": FdiProfile({2009: 8, 2024: 20}, {2009: 0.01, 2024: 0.04}, {2009: 0.06, 2024: 0.03}),
    "KAZ": FdiProfile({2009: 95, 2013: 130, 2024: 150}, {2009: 0.02, 2024: 0.07},
                      {2009: 0.04, 2024: 0.035}),
    "KGZ": FdiProfile({2009: 2.5, 2024: 6}, {2009: 0.05, 2024: 0.20}, {2009: 0.25, 2024: 0.14}),
    # China's position shrinks: an exception.
    "LTU": FdiProfile({2009: 13, 2024: 30}, {2009: 8e-4, 2024: 5e-4}, {2009: 0.06, 2024: 0.02}),
    "LVA": FdiProfile({2009: 10, 2024: 26}, {2009: 5e-4, 2024: 0.0015}, {2009: 0.08, 2024: 0.04}),
    "MDA": FdiProfile({2009: 3, 2024: 5.5}, {2009: 0.001, 2024: 0.004}, {2009: 0.12, 2024: 0.05}),
    "RUS": FdiProfile({2009: 380, 2013: 490, 2014: 300, 2021: 560, 2022: 400, 2024: 420},
                      {2009: 0.003, 2024: 0.012}),
    "TJK": FdiProfile({2009: 1.2, 2024: 3.5}, {2009: 0.05, 2024: 0.40}, {2009: 0.30, 2024: 0.10}),
    "TKM": FdiProfile({2009: 12, 2024: 40}, {2009: 0.08, 2024: 0.25}, {2009: 0.12, 2024: 0.05}),
    "UKR": FdiProfile({2009: 50, 2013: 60, 2014: 45, 2015: 36, 2021: 55, 2022: 42, 2024: 48},
                      {2009: 5e-4, 2024: 0.002}, {2009: 0.07, 2024: 0.005}),
    "UZB": FdiProfile({2009: 8, 2024: 16}, {2009: 0.02, 2024: 0.12}, {2009: 0.15, 2024: 0.12}),
}  # fmt: skip

# Years a republic reports its own positions (DV_TYPE O); derived (SCC) rows exist for all.
FDI_REPORTED_YEARS: Mapping[str, range] = {
    "TKM": range(0),  # reports nothing itself: only counterpart-derived data
    "TJK": range(2012, 2025),
    "UZB": range(2018, 2025),
    "KGZ": range(2009, 2024),  # release lag: 2024 not yet published
}
# Cells whose value the random model would not produce but real data do contain; keys are
# (COUNTRY, DV_TYPE, COUNTERPART_COUNTRY, TIME_PERIOD). None = confidential (empty, STATUS C).
FDI_OVERRIDES: Mapping[tuple[str, str, str, int], float | None] = {
    ("KGZ", REPORTED, "CHN", 2015): None,
    ("AZE", DERIVED, "RUS", 2020): None,
    ("ARM", REPORTED, "CHN", 2009): 0.0,
    ("GEO", REPORTED, "CHN", 2011): -2_700_000.0,  # intercompany loans exceed equity
    ("MDA", REPORTED, "RUS", 2016): -23_400_000.0,
    ("TJK", DERIVED, "G001", 2010): -41_800_000.0,  # a counterpart's large reverse investment
}
_DEMO = "DEMO DATA (synthetic), not an IMF note."
FDI_COMMENTS: Mapping[tuple[str, str, str], tuple[range, str]] = {
    ("KAZ", REPORTED, "G001"): (
        FDI_YEARS,
        f"{_DEMO}\nIncludes reinvested earnings, equity and debt, at market value.",
    ),
    ("UKR", REPORTED, "RUS"): (
        range(2014, 2025),
        f'{_DEMO}\nBreak in series in 2014, coverage changed; see the "Coverage" note.',
    ),
    ("TJK", DERIVED, "G001"): (
        range(2010, 2011),
        f"{_DEMO}\nDerived from counterpart reports, one of which is negative,\nso the sum is.",
    ),
}


def _true_position(iso3: str, counterpart: str, year: int) -> float:
    profile = FDI[iso3]
    total = _interp(profile.total, year) * 1e9 * math.exp(_ar1(0.05, FDI_YEARS, "fdi", iso3)[year])
    if counterpart == "G001":
        return total
    share = _interp(profile.china if counterpart == "CHN" else profile.russia, year)
    return total * share * math.exp(_ar1(0.1, FDI_YEARS, "fdi", iso3, counterpart)[year])


def _dip_value(iso3: str, dv_type: str, counterpart: str, year: int) -> float:
    """Reported figures carry small noise; derived ones a persistent bias (investment routed
    through third economies) and, for the world, only the counterparts that report."""
    value = _true_position(iso3, counterpart, year)
    if dv_type == REPORTED:
        return value * _lognoise(0.03, "dip", iso3, counterpart, year)
    if counterpart == "G001":
        coverage = 0.6 + 0.3 * _rng("coverage", iso3).random()
        return value * coverage * _lognoise(0.04, "dip-scc", iso3, counterpart, year)
    bias = _lognoise(0.3, "dip-bias", iso3, counterpart)
    return value * bias * _lognoise(0.08, "dip-scc", iso3, counterpart, year)


def _dip_row(iso3: str, dv_type: str, counterpart: str, year: int) -> tuple[str, ...]:
    key = (iso3, dv_type, counterpart, year)
    value = FDI_OVERRIDES[key] if key in FDI_OVERRIDES else _dip_value(*key)
    years, comment = FDI_COMMENTS.get((iso3, dv_type, counterpart), (range(0), ""))
    obs, status = ("", "C") if value is None else (str(round(value)), "")
    comment = comment if year in years else ""
    key_part = (DIP_DATAFLOW, iso3, dv_type, DIP_INDICATOR, counterpart, "A", str(year))
    return (*key_part, obs, "6", "", dv_type, status, comment)


def dip_rows() -> list[tuple[str, ...]]:
    """All observations, sorted by series key and then period."""
    rows = []
    for iso3 in _republics():
        counterparts = [c for c in COUNTERPARTS if c != iso3]  # no Russia-in-Russia series
        for counterpart in counterparts:
            for year in FDI_YEARS:
                rows.append(_dip_row(iso3, DERIVED, counterpart, year))
                if year in FDI_REPORTED_YEARS.get(iso3, FDI_YEARS):
                    rows.append(_dip_row(iso3, REPORTED, counterpart, year))
    return sorted(rows, key=lambda r: (r[1], r[2], r[4], r[6]))


def dip_csv(rows: Iterable[tuple[str, ...]]) -> bytes:
    buf = io.StringIO()
    writer = csv.writer(buf, quoting=csv.QUOTE_MINIMAL, lineterminator="\n")
    writer.writerow(DIP_HEADER)
    writer.writerows(rows)
    return buf.getvalue().encode("utf-8")


# ---------------------------------------------------------------------------------------------
# Entry points
# ---------------------------------------------------------------------------------------------


def _write_gzip(path: Path, payload: bytes) -> None:
    # mtime=0 and no file name in the header: identical bytes on every run.
    path.write_bytes(gzip.compress(payload, compresslevel=9, mtime=0))


def generate(out_dir: Path) -> dict[str, Path]:
    """Write both snapshot files into out_dir; returns {'comtrade': path, 'imf': path}."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    paths = {"comtrade": out_dir / COMTRADE_SNAPSHOT.name, "imf": out_dir / IMF_DIP_SNAPSHOT.name}
    _write_gzip(paths["comtrade"], comtrade_document(comtrade_records()))
    _write_gzip(paths["imf"], dip_csv(dip_rows()))
    return paths


def main() -> None:
    for name, path in generate(COMTRADE_SNAPSHOT.parent).items():
        print(f"{name}: {path} ({path.stat().st_size:,} bytes) - DEMO DATA, synthetic")


if __name__ == "__main__":
    main()
