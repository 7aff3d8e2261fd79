"""The fault classes `make chaos` tries, one declarative entry each.

An entry says what the stand-in APIs do wrong (stand-in faults, settings, a SIGKILL at a line
of the run's output, two runs at once), what the pipeline must do about it (recover, or stop
cleanly), and a pattern the run's output must match: the message that names the cause.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

from eurasia.demo.comtrade_api import KEYED_PATH, PREVIEW_PATH
from eurasia.demo.imf_api import NO_RESULTS_BODY
from eurasia.demo.standin import Fault

# Enough copies of a fault that every retry of the request meets it too.
PERSISTENT = 12


def comtrade_data(path: str) -> bool:
    """A trade data call (not a data availability one)."""
    return path.rstrip("/") in (f"/comtrade{PREVIEW_PATH}", f"/comtrade{KEYED_PATH}")


def _partners(query: dict[str, list[str]]) -> set[str]:
    return {code for value in query.get("partnerCode", []) for code in value.split(",")}


def reporter_side(path: str, query: dict[str, list[str]]) -> bool:
    """A reporter-side call: the republics' own declarations, with the world (0) as partner."""
    return comtrade_data(path) and "0" in _partners(query)


def partner_side(path: str, query: dict[str, list[str]]) -> bool:
    """A partner-side (mirror) call: what others declare with the republics as partners."""
    return comtrade_data(path) and "0" not in _partners(query)


def imf_dip(path: str, query: dict[str, list[str]]) -> bool:
    return path.startswith("/imf/data/IMF.STA,DIP")


def nth(predicate, n: int):
    """Matches the n-th request (1-based) that `predicate` matches, and every one after it."""
    seen = {"count": 0}

    def when(path: str, query: dict[str, list[str]]) -> bool:
        if not predicate(path, query):
            return False
        seen["count"] += 1
        return seen["count"] >= n

    return when


def json_fault(status: int, message: dict, headers: Mapping[str, str] | None = None, **kw) -> Fault:
    return Fault(
        status,
        json.dumps(message).encode(),
        {"Content-Type": "application/json", **(headers or {})},
        **kw,
    )


def rewrite_records(change: Callable[[list[dict]], list[dict]]):
    """A Comtrade answer with its `data` array changed, `count` following it."""

    def rewrite(status: int, headers: dict[str, str], body: bytes):
        answer = json.loads(body)
        answer["data"] = change(answer["data"])
        answer["count"] = len(answer["data"])
        return status, headers, json.dumps(answer).encode()

    return rewrite


def _malformed(records: list[dict]) -> list[dict]:
    records = [dict(r) for r in records]
    del records[0]["primaryValue"]  # its cifvalue/fobvalue stay: not "did not report"
    records[1]["primaryValue"] = "abc"
    return records


def _conflicting_duplicate(records: list[dict]) -> list[dict]:
    twin = dict(records[0])
    twin["primaryValue"] = (twin.get("primaryValue") or 1) / 10
    return [*records, twin]


@dataclass(frozen=True)
class FaultClass:
    name: str
    expect: str  # 'recover' (the run succeeds as if nothing happened) or 'stop' (cleanly)
    cause: str  # regex the output of the faulty run must match: the cause named
    faults: Callable[[], list[Fault]] = list
    keyed: bool = False
    env: Mapping[str, str] = field(default_factory=dict)
    kill_at: str | None = None  # SIGKILL the run's process group at the first line matching
    rerun: bool = False  # then a run without faults, which must recover
    concurrent: bool = False  # two runs started at once on one warehouse
    seed_raw: bool = True  # start from the clean run's raw zone too
    # Records set aside by the loader: their cells must be flagged unknown, the rest unchanged.
    quarantines: bool = False
    # Requests the rerun must not repeat once answered (it resumes instead of starting over)
    resumes: Callable[[str, dict], bool] | None = None
    pending: str = ""  # the fix this class waits for; shown, not held against the suite
    section: str = ""  # where the issue describes it


QUOTA_BODY = {
    "statusCode": 403,
    "message": "Out of call volume quota. Quota will be replenished in 05:23:11.",
}
RATE_LIMIT_BODY = {"statusCode": 429, "message": "Rate limit is exceeded. Try again in 1 seconds."}

FAULT_CLASSES: tuple[FaultClass, ...] = (
    FaultClass(
        "429 with Retry-After",
        "recover",
        r"rate limited \(HTTP 429\)",
        lambda: [
            json_fault(429, RATE_LIMIT_BODY, {"Retry-After": "1"}, path_prefix="/comtrade"),
            json_fault(429, RATE_LIMIT_BODY, {"Retry-After": "1"}, path_prefix="/imf"),
        ],
    ),
    FaultClass(
        "429 without Retry-After",
        "recover",
        r"rate limited \(HTTP 429\)",
        lambda: [
            json_fault(429, {"statusCode": 429, "message": "Too many requests"}, when=partner_side)
        ],
        keyed=True,
    ),
    FaultClass(
        "5xx burst",
        "recover",
        r"server error HTTP 50\d",
        lambda: [
            Fault(503, b"Service Unavailable", path_prefix="/comtrade"),
            Fault(502, b"Bad Gateway", path_prefix="/comtrade"),
            Fault(500, b"Internal Server Error", path_prefix="/comtrade"),
            Fault(503, b"Service Unavailable", path_prefix="/imf"),
        ],
    ),
    FaultClass(
        "hang (no answer)",
        "recover",
        r"(?i)deadline|silent|timed? ?out",
        lambda: [Fault(0, hang_seconds=6, drop_connection=True, when=partner_side)],
        env={"EURASIA_REQUEST_DEADLINE": "3"},
    ),
    FaultClass(
        "401 (wrong key)",
        "stop",
        r"HTTP 401.*COMTRADE_API_KEY",
        keyed=True,
        env={"COMTRADE_API_KEY": "not-the-key"},
    ),
    FaultClass(
        "quota 403",
        "stop",
        r"(?i)quota.*(replenish|reset)",
        lambda: [
            json_fault(
                403,
                QUOTA_BODY,
                path_prefix="/comtrade",
            )
        ],
        keyed=True,
    ),
    FaultClass(
        "policy 403 (keyless refused)",
        "stop",
        r"(?i)refusing all calls.*key",
        lambda: [
            json_fault(403, {"message": "All calls are rejected by policy."}, when=comtrade_any)
            for _ in range(PERSISTENT)
        ],
        section="§7",
    ),
    FaultClass(
        "SIGKILL during extract",
        "stop",
        r"killed|FAILED|taking over",
        kill_at=r"comtrade mirror: call 2/",
        rerun=True,
    ),
    FaultClass(
        "SIGKILL during load",
        "stop",
        r"killed|FAILED|taking over",
        # The first run loaded: the others are still to come in the same transaction.
        kill_at=r"^    loaded \w+/\w+ run",
        rerun=True,
    ),
    FaultClass(
        "SIGKILL during dbt build",
        "stop",
        r"killed|FAILED|taking over",
        kill_at=r"dbt: \d+ of \d+ OK created",
        rerun=True,
    ),
    FaultClass(
        "SIGKILL during publish",
        "stop",
        r"killed|FAILED|taking over",
        kill_at=r"▶ publish_warehouse",
        rerun=True,
    ),
    FaultClass(
        "two runs at once",
        "serialise",
        r"held by",
        concurrent=True,
        section="§6",
    ),
    FaultClass(
        "bad settings",
        "stop",
        r"EURASIA_YEARS=.*runs backwards",
        env={"EURASIA_YEARS": "2019-2018"},
    ),
    FaultClass(
        "empty 200 answer",
        "stop",
        r"(?i)(lacks|empty|no records).*(availab|released)",
        lambda: [
            Fault(0, when=reporter_side, rewrite=rewrite_records(lambda records: []))
            for _ in range(PERSISTENT)
        ],
        section="§1",
    ),
    FaultClass(
        "NoResultsFound chunk (IMF)",
        "stop",
        r"(?i)no ?results",
        lambda: [
            Fault(
                404,
                NO_RESULTS_BODY,
                {"Content-Type": "application/xml"},
                when=nth(imf_dip, 2),
            )
            for _ in range(PERSISTENT)
        ],
        section="§1",
    ),
    FaultClass(
        "malformed records",
        "recover",
        r"(?i)quarantin",
        lambda: [Fault(0, when=reporter_side, rewrite=rewrite_records(_malformed))],
        quarantines=True,
        section="§2",
    ),
    FaultClass(
        "conflicting duplicates",
        "recover",
        r"(?i)conflict|duplicate",
        lambda: [Fault(0, when=reporter_side, rewrite=rewrite_records(_conflicting_duplicate))],
        quarantines=True,
        section="§2",
    ),
    FaultClass(
        "HTML maintenance page",
        "recover",
        r"(?i)html|maintenance|not json",
        lambda: [
            Fault(
                200,
                b"<html><body><h1>Down for maintenance</h1></body></html>",
                {"Content-Type": "text/html"},
                when=partner_side,
            )
        ],
        section="§3",
    ),
    FaultClass(
        "cut body",
        "recover",
        r"(?i)cut|broken|incomplete|truncat",
        lambda: [Fault(0, cut_after=120, when=partner_side)],
        section="§3",
    ),
    FaultClass(
        "dribbling server",
        "recover",
        r"(?i)deadline|silent",
        lambda: [Fault(0, dribble_seconds=0.5, when=partner_side)],
        env={"EURASIA_REQUEST_DEADLINE": "3"},
        section="§4",
    ),
    FaultClass(
        "unknown host",
        "stop",
        r"(?i)dns|resolve|unknown host|name",
        env={"COMTRADE_BASE_URL": "http://chaos.invalid/comtrade"},
        section="§4",
    ),
    FaultClass(
        "resume after quota",
        "stop",
        r"(?i)quota",
        lambda: [
            json_fault(
                403,
                QUOTA_BODY,
                when=nth(partner_side, 3),
            )
            for _ in range(PERSISTENT)
        ],
        rerun=True,
        seed_raw=False,
        env={"EURASIA_REUSE_HOURS": "72"},
        # 2 partner-side calls answered before the quota ran out: the rerun asks only the rest.
        resumes=partner_side,
        section="§5",
    ),
)


def comtrade_any(path: str, query: dict[str, list[str]]) -> bool:
    return path.startswith("/comtrade/")


def select(names: list[str] | None) -> list[FaultClass]:
    if not names:
        return list(FAULT_CLASSES)
    wanted = [re.compile(name, re.IGNORECASE) for name in names]
    return [f for f in FAULT_CLASSES if any(w.search(f.name) for w in wanted)]
