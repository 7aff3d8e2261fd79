"""Loaded by every Python process of `make test-clock-ahead` (PYTHONPATH), only there.

libfaketime 0.9.10 (Debian's) sets the calendar clock to 2028 for every process, DuckDB's
included. The monotonic clock must stay real - shifted, Python's timed waits (a lock or event
with a timeout, which the HTTP deadline uses) never return - but with it left real
(FAKETIME_DONT_FAKE_MONOTONIC=1) libfaketime mistranslates the absolute monotonic deadline
Python's time.sleep hands to clock_nanosleep, which fails with EINVAL. A sleep through select()
asks for a relative timeout, which libfaketime leaves alone. Nothing else is changed.
"""

import select
import time


def _sleep(seconds: float) -> None:
    if seconds < 0:
        raise ValueError("sleep length must be non-negative")
    deadline = time.monotonic() + seconds
    while (remaining := deadline - time.monotonic()) > 0:
        select.select([], [], [], remaining)


time.sleep = _sleep
