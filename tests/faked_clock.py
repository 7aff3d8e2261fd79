"""Running a test's subprocess at a date of the test's choosing, with libfaketime.

A test whose subject has a date of its own - a stand-in serving the demo snapshot's world, which is
as of the snapshot's date - runs the pipeline at that date, so that its answer is the same on any
day the suite runs, also under `make test-clock-ahead` (whose faked clock is dropped first: a
faketime inside faketime does not set the clock). `make test` installs faketime where it can;
without it such a test skips and says why.
"""

from __future__ import annotations

import os
import shutil
import sys
from pathlib import Path

import pytest

# Holds the sitecustomize that keeps time.sleep working under libfaketime 0.9.10 when the
# monotonic clock is left real (see its docstring).
SLEEP_FIX = Path(__file__).resolve().parent / "clock_ahead"


def without_faketime(env: dict[str, str]) -> dict[str, str]:
    """`env` with any faked clock removed: the process runs on the real clock."""
    cleaned = {k: v for k, v in env.items() if not k.startswith("FAKETIME")}
    preload = [p for p in env.get("LD_PRELOAD", "").split(":") if p and "faketime" not in p]
    cleaned.pop("LD_PRELOAD", None)
    if preload:
        cleaned["LD_PRELOAD"] = ":".join(preload)
    return cleaned


def faketime_or_skip(purpose: str) -> str:
    path = shutil.which("faketime")
    if path is None:
        reason = (
            f"faketime (libfaketime) is not installed, so {purpose}; "
            "`make test` installs it (apt-get install faketime)"
        )
        print(f"SKIPPED: {reason}", file=sys.stderr)
        pytest.skip(reason)
    return path


def at_date(
    when: str, command: list[str], env: dict[str, str], *, purpose: str
) -> tuple[list[str], dict[str, str]]:
    """`command` and `env` to run it with the calendar clock starting at `when` (and running
    on); monotonic clocks stay real, so that timeouts and pacing behave."""
    faketime = faketime_or_skip(purpose)
    env = without_faketime(env)
    env["FAKETIME_DONT_FAKE_MONOTONIC"] = "1"
    paths = [p for p in env.get("PYTHONPATH", "").split(os.pathsep) if p]
    if str(SLEEP_FIX) not in paths:
        env["PYTHONPATH"] = os.pathsep.join([str(SLEEP_FIX), *paths])
    return [faketime, when, *command], env
