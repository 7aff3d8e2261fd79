"""Plan UN Comtrade v1 requests so that no answer can reach the endpoint's record cap.

The API cuts an answer at its cap without saying so (the keyless preview at 500 records, the
keyed endpoint at 100,000), so every request is sized from an upper bound of the records it can
return: reporters x partners x flows x years, one record per combination for annual TOTAL trade
with customsCode=C00, motCode=0 and partner2Code=0. The client still checks each answer against
the cap and splits a request whose answer reached it (see ComtradeRequest.split), in case the
bound was wrong.

Two pulls:

- reporter side: the 15 republics report their trade with World, China and Russia.
  90 records per year; keyed: 3 requests for 26 years; preview: 6 requests of 4-5 years each.
- mirror side: every reporter (reporterCode omitted) reports its trade with each republic. Only
  reporter codes in use in the range can answer: 226 for 2000-2025 in UN Comtrade's reference
  list (groups included), so 226 x 15 x 2 = 6,780 records per year; keyed: 3 requests for 26
  years; preview: 390 requests (one partner, one year, both flows: 452 <= 500). See
  plan_mirror_side.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace

PREVIEW_CAP = 500
KEYED_CAP = 100_000
# We keep period lists short to keep each answer small and bounded; the API accepts multi-value
# params (comma lists), and other clients (e.g. comtradr) also cap annual ranges at 12 years.
MAX_PERIODS_PER_REQUEST = 12
# Ceiling of the economies that can answer when reporterCode is omitted: the reference list of
# reporters (Reporters.json) has 255 entries, groups and historical areas included. Plans use the
# smaller count of codes in use during the requested years (eurasia.reference.reporters_active).
REPORTERS_UPPER_BOUND = 260
FLOWS = ("M", "X")
WORLD_CHINA_RUSSIA = (0, 156, 643)


class CannotSplitError(ValueError):
    """A request that asks for one partner, one flow and one year of all reporters."""


def _codes(values: Iterable[object]) -> str:
    return ",".join(str(v) for v in values)


@dataclass(frozen=True)
class ComtradeRequest:
    """One call for annual TOTAL trade. reporters=None means all reporters."""

    reporters: tuple[int, ...] | None
    partners: tuple[int, ...]
    flows: tuple[str, ...]
    years: tuple[int, ...]

    def __post_init__(self) -> None:
        if self.reporters is not None and not self.reporters:
            raise ValueError("reporters must be None (all) or a non-empty tuple")
        if not (self.partners and self.flows and self.years):
            raise ValueError("a request needs at least one partner, flow and year")

    def params(self, max_records: int | None = None) -> dict[str, str]:
        """Query parameters in the API's names. Never holds a key: keys travel in a header.

        max_records, when given, is sent as maxRecords so that the cap the server applies is the
        one we planned against, whatever the endpoint's default.
        """
        params = {
            "cmdCode": "TOTAL",
            "flowCode": _codes(self.flows),
            "partnerCode": _codes(self.partners),
        }
        if self.reporters is not None:
            params["reporterCode"] = _codes(self.reporters)
        params.update(
            period=_codes(self.years),
            customsCode="C00",
            motCode="0",
            partner2Code="0",
            includeDesc="true",
        )
        if max_records is not None:
            params["maxRecords"] = str(max_records)
        return params

    def max_records(self, reporter_count_for_all: int = REPORTERS_UPPER_BOUND) -> int:
        """Upper bound of the records the answer can hold."""
        reporters = reporter_count_for_all if self.reporters is None else len(self.reporters)
        return reporters * len(self.partners) * len(self.flows) * len(self.years)

    def split(self) -> tuple[ComtradeRequest, ComtradeRequest]:
        """Halve the request: years first, then reporters, partners and flows.

        Years go first because every year is an independent slice; flows last because M and X
        of one pair are easiest to read together. Raises CannotSplitError at one of each.
        """
        for name in ("years", "reporters", "partners", "flows"):
            values = getattr(self, name)
            if values is not None and len(values) > 1:
                middle = (len(values) + 1) // 2
                return (
                    replace(self, **{name: values[:middle]}),
                    replace(self, **{name: values[middle:]}),
                )
        raise CannotSplitError(f"cannot split {self.describe()} any further")

    def describe(self) -> str:
        reporters = "all" if self.reporters is None else _codes(self.reporters)
        return (
            f"reporters={reporters} partners={_codes(self.partners)} "
            f"flows={_codes(self.flows)} years={_codes(self.years)}"
        )


def _chunks(values: Sequence, count: int) -> list[tuple]:
    """Cut values into `count` contiguous chunks whose sizes differ by at most one."""
    size, larger = divmod(len(values), count)
    chunks, start = [], 0
    for i in range(count):
        end = start + size + (1 if i < larger else 0)
        chunks.append(tuple(values[start:end]))
        start = end
    return chunks


def _unique_sorted(values: Iterable, what: str) -> tuple:
    result = tuple(sorted(set(values)))
    if not result:
        raise ValueError(f"no {what} to plan for")
    return result


def _best_chunk_counts(
    lengths: dict[str, int], fixed_size: int, cap: int, max_periods: int
) -> dict[str, int]:
    """How many chunks to cut each dimension into: fewest requests whose bound fits under cap.

    Ties are broken by keeping flows, then partners, then reporters together, so that years are
    cut first. The search is exhaustive; the dimensions are small (at most 26 x 15 x 15 x 2).
    """
    best_key, best = None, None
    ranges = {
        name: range(math.ceil(length / max_periods) if name == "years" else 1, length + 1)
        for name, length in lengths.items()
    }
    for counts in itertools.product(*ranges.values()):
        chosen = dict(zip(ranges, counts, strict=True))
        bound = fixed_size
        for name, count in chosen.items():
            bound *= math.ceil(lengths[name] / count)
        if bound > cap:
            continue
        key = (math.prod(counts), chosen["flows"], chosen["partners"], chosen.get("reporters", 1))
        if best_key is None or key < best_key:
            best_key, best = key, chosen
    if best is None:
        raise ValueError(
            f"even a request for one reporter, partner, flow and year may return {fixed_size} "
            f"records, more than the cap of {cap}"
        )
    return best


def _pack(
    reporters: tuple[int, ...] | None,
    partners: tuple[int, ...],
    flows: tuple[str, ...],
    years: tuple[int, ...],
    cap: int,
    reporter_count_for_all: int,
) -> list[ComtradeRequest]:
    lengths = {"years": len(years), "partners": len(partners), "flows": len(flows)}
    if reporters is not None:
        lengths["reporters"] = len(reporters)
    # "All reporters" cannot be cut into chunks: it is one dimension of fixed size.
    fixed = reporter_count_for_all if reporters is None else 1
    counts = _best_chunk_counts(lengths, fixed, cap, MAX_PERIODS_PER_REQUEST)
    reporter_chunks = [None] if reporters is None else _chunks(reporters, counts["reporters"])
    return [
        ComtradeRequest(reporters=r, partners=p, flows=f, years=y)
        for y, r, p, f in itertools.product(
            _chunks(years, counts["years"]),
            reporter_chunks,
            _chunks(partners, counts["partners"]),
            _chunks(flows, counts["flows"]),
        )
    ]


def plan_reporter_side(
    reporter_codes: Iterable[int],
    partner_codes: Iterable[int] = WORLD_CHINA_RUSSIA,
    *,
    years: Iterable[int],
    cap: int,
) -> list[ComtradeRequest]:
    """The republics' own reports of their trade with World, China and Russia, flows M and X.

    15 reporters x 3 partners x 2 flows = 90 records per year at most. For 26 years:
    keyed (cap 100,000): 3 requests of 8-9 years (at most 12 periods per request);
    preview (cap 500): 6 requests of 4-5 years (5 x 90 = 450 <= 500).
    """
    return _pack(
        _unique_sorted(reporter_codes, "reporters"),
        _unique_sorted(partner_codes, "partners"),
        FLOWS,
        _unique_sorted(years, "years"),
        cap,
        REPORTERS_UPPER_BOUND,
    )


def plan_mirror_side(
    partner_codes: Iterable[int],
    years: Iterable[int],
    cap: int,
    reporters_upper_bound: int = REPORTERS_UPPER_BOUND,
) -> list[ComtradeRequest]:
    """Every reporter's trade with the republics, flows M and X: the largest pull.

    Minimises the number of requests. With reporterCode omitted an answer holds at most
    reporters_upper_bound records per partner, flow and year - the reporter codes in use during
    the years asked (226 for 2000-2025):

    - keyed (cap 100,000): 226 x 15 partners x 2 flows = 6,780 per year, so 12 years fit
      (81,360); 26 years take 3 requests (9, 9 and 8 years: at most 61,020 records each).
    - preview (cap 500): 226 x 2 flows = 452 <= 500, but any two partners or years would exceed
      500. One partner x one year, both flows: 15 x 26 = 390 requests for 26 years. (With the
      worst-case ceiling of 260 reporters, flows would have to be split: 780 requests.)
    """
    return _pack(
        None,
        _unique_sorted(partner_codes, "partners"),
        FLOWS,
        _unique_sorted(years, "years"),
        cap,
        reporters_upper_bound,
    )


def plan_reporter_years(
    reporter_years: Iterable[tuple[int, int]], partner_codes: Iterable[int], cap: int
) -> list[ComtradeRequest]:
    """Only these (reporter, year) pairs, with the partners, flows M and X: a release-aware pull.

    Years that need the same reporters are asked together, each group packed under the cap like
    a whole plan; nothing to ask gives no request (eurasia.comtrade.releases).
    """
    by_year: dict[int, set[int]] = {}
    for reporter, year in reporter_years:
        by_year.setdefault(year, set()).add(reporter)
    groups: dict[tuple[int, ...], list[int]] = {}
    for year, reporters in sorted(by_year.items()):
        groups.setdefault(tuple(sorted(reporters)), []).append(year)
    partners = _unique_sorted(partner_codes, "partners")
    return [
        request
        for reporters, years in sorted(groups.items(), key=lambda group: group[1])
        for request in _pack(reporters, partners, FLOWS, tuple(years), cap, REPORTERS_UPPER_BOUND)
    ]


def plan_summary(
    requests: Sequence[ComtradeRequest], reporter_count_for_all: int = REPORTERS_UPPER_BOUND
) -> dict:
    """What a plan asks for, in numbers a log line can show."""
    bounds = [r.max_records(reporter_count_for_all) for r in requests]
    all_reporters = any(r.reporters is None for r in requests)
    return {
        "requests": len(requests),
        "years": sorted({y for r in requests for y in r.years}),
        "reporters": "all"
        if all_reporters
        else sorted({c for r in requests for c in r.reporters or ()}),
        "partners": sorted({c for r in requests for c in r.partners}),
        "flows": sorted({f for r in requests for f in r.flows}),
        "largest_answer_bound": max(bounds, default=0),
        "records_bound": sum(bounds),
    }
