"""`make chaos`: every fault class against the real DAG, then the table of what happened.

python -m eurasia.chaos [--years 2018-2019] [--jobs 2] [--only NAME ...] [--update-readme]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

from eurasia.chaos.faults import select
from eurasia.chaos.harness import Lab, try_all
from eurasia.chaos.table import render, update_readme
from eurasia.settings import PROJECT_ROOT


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--years", default="2018-2019")
    # Most of a run waits (retries, deadlines, Airflow's start): three share two cores well.
    parser.add_argument("--jobs", type=int, default=3, help="fault classes run side by side")
    parser.add_argument("--only", nargs="*", help="fault classes whose name matches (regex)")
    parser.add_argument("--workdir", type=Path, help="keep warehouses and logs here")
    parser.add_argument(
        "--update-readme", action="store_true", help="write the table into README.md"
    )
    args = parser.parse_args(argv)
    faults = select(args.only)
    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="eurasia-chaos-") as scratch:
        lab = Lab(args.workdir or Path(scratch), args.years)
        print(f"chaos: clean reference run, then {len(faults)} fault classes, years {args.years}")
        lab.prepare()
        outcomes = try_all(lab, faults, args.jobs)
    table = render(outcomes, args.years, time.monotonic() - started)
    print(table)
    for outcome in outcomes:
        for problem in outcome.problems:
            tag = "pending" if outcome.fault.pending else "FAIL"
            print(f"{tag}: {outcome.fault.name}: {problem}")
    if args.update_readme:
        update_readme(PROJECT_ROOT / "README.md", table)
    failed = [o for o in outcomes if o.problems and not o.fault.pending]
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
