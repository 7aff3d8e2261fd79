"""Time extract (Comtrade reporter, Comtrade mirror, IMF DIP) and load on the demo snapshot.

Every repeat runs the pipeline's own step functions in a fresh temporary folder, exactly as an
offline `make run` does up to (not including) dbt:

    .venv/bin/python benchmarks/bench_extract_load.py --repeat 5

Not part of pytest. The first repeat also pays for decompressing the snapshot into memory (the
engines cache it per process); it is shown separately as "first".
"""

from __future__ import annotations

import argparse
import logging
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from eurasia import pipeline  # noqa: E402
from eurasia.settings import default_years  # noqa: E402

STEPS = (
    "extract reporter",
    "extract mirror",
    "extract dip",
    "load (3 runs)",
    "load again (replace)",
)
SETTINGS_VARIABLES = ("EURASIA_SOURCE", "EURASIA_WAREHOUSE", "EURASIA_RAW_ZONE", "EURASIA_YEARS")


def timed(function: Callable, *args) -> tuple[float, object]:
    started = time.perf_counter()
    result = function(*args)
    return time.perf_counter() - started, result


def one_repeat(folder: Path, years: str) -> tuple[dict[str, float], dict[str, int]]:
    os.environ.update(
        EURASIA_SOURCE="snapshot",
        EURASIA_WAREHOUSE=str(folder / "bench.duckdb"),
        EURASIA_RAW_ZONE=str(folder / "raw"),
        EURASIA_YEARS=years,
    )
    seconds: dict[str, float] = {}
    seconds["extract reporter"], reporter = timed(pipeline.extract_comtrade, "reporter")
    seconds["extract mirror"], mirror = timed(pipeline.extract_comtrade, "mirror")
    seconds["extract dip"], dip = timed(pipeline.extract_fdi)
    runs = [reporter, mirror, dip]
    seconds["load (3 runs)"], results = timed(pipeline.load_runs, runs)
    seconds["load again (replace)"], again = timed(pipeline.load_runs, runs)
    if [r["rows_loaded"] for r in again] != [r["rows_loaded"] for r in results]:
        raise SystemExit(f"reloading changed the row counts: {results} then {again}")
    sizes = {f"{r['dataset']} rows": r["rows_loaded"] for r in results}
    sizes.update({f"{r['dataset']} landings": r["landings"] for r in results})
    sizes["raw zone bytes"] = sum(
        p.stat().st_size for p in (folder / "raw").rglob("*") if p.is_file()
    )
    sizes["warehouse bytes"] = (folder / "bench.duckdb").stat().st_size
    return seconds, sizes


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5, help="how many times (default 5)")
    parser.add_argument(
        "--years",
        default=default_years(),
        help=f"EURASIA_YEARS to extract (default {default_years()})",
    )
    parser.add_argument("--verbose", action="store_true", help="show the pipeline's log")
    options = parser.parse_args(argv)
    if options.repeat < 1:
        parser.error("--repeat must be at least 1")
    logging.basicConfig(level=logging.INFO if options.verbose else logging.ERROR)

    saved = {name: os.environ.get(name) for name in SETTINGS_VARIABLES}
    timings: dict[str, list[float]] = {step: [] for step in STEPS}
    sizes: dict[str, int] = {}
    try:
        for _ in range(options.repeat):
            with tempfile.TemporaryDirectory(prefix="eurasia-bench-") as folder:
                seconds, sizes = one_repeat(Path(folder), options.years)
            for step in STEPS:
                timings[step].append(seconds[step])
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value

    print(
        f"demo snapshot, years {options.years}, {options.repeat} repeats, "
        f"{os.cpu_count()} CPUs, Python {sys.version.split()[0]}"
    )
    print(f"{'step':<22}{'median s':>10}{'min s':>10}{'max s':>10}{'first s':>10}")
    timings["extract + load"] = [
        sum(timings[step][i] for step in STEPS[:4]) for i in range(options.repeat)
    ]
    for step, values in timings.items():
        print(
            f"{step:<22}{statistics.median(values):>10.3f}{min(values):>10.3f}"
            f"{max(values):>10.3f}{values[0]:>10.3f}"
        )
    print("sizes: " + ", ".join(f"{k} {v:,}" for k, v in sizes.items()))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
