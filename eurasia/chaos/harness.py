"""Run the real DAG against misbehaving stand-in APIs and measure what each fault did.

Every run goes the way `make run-live` goes: `python -m eurasia.dagrun eurasia_pipeline`, which
runs `airflow dags test`, with the source `live` and the base URLs pointing at stand-ins of both
APIs on 127.0.0.1 that serve the demo snapshot. First a clean run builds the reference; each
fault class then starts from a copy of that clean warehouse (build file, published copy, raw
zone) with an Airflow metadata database of its own, so that classes can run side by side.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import os
import re
import secrets
import shutil
import signal
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import duckdb

from eurasia import reference
from eurasia.chaos.compare import Difference, compare_marts, compare_raw
from eurasia.chaos.faults import FaultClass
from eurasia.demo.snapshot_engines import snapshot_routes
from eurasia.demo.standin import SeenRequest, StandinServer
from eurasia.settings import PROJECT_ROOT

DAG_ID = "eurasia_pipeline"
RUN_TIMEOUT_SECONDS = 900
# Lines that say what went wrong: a failed task's reason, a refused setting, a warning.
REASON_LINE = re.compile(r"^(✗ (?!airflow dags test ended)|error: )")
WARNING_LINE = re.compile(r"^\s+! ")
# How marts.coverage must describe a cell whose record was set aside: unknown, and why.
QUARANTINE_FLAG = r"(?i)quarantin|malformed|conflicting"


@dataclass
class RunResult:
    code: int | None
    lines: list[tuple[float, str]]  # (monotonic time, line)
    killed: bool = False
    seconds: float = 0.0

    @property
    def text(self) -> str:
        return "\n".join(line for _, line in self.lines)

    def first_time(self, pattern: str) -> float | None:
        return next((t for t, line in self.lines if re.search(pattern, line)), None)


@dataclass
class Outcome:
    fault: FaultClass
    runs: list[RunResult] = field(default_factory=list)
    recovered: bool | None = None
    stopped_cleanly: bool | None = None
    difference: Difference = field(default_factory=Difference)
    message: str = ""
    problems: list[str] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def passed(self) -> bool:
        return not self.problems


class Lab:
    """Working folders, the Airflow database template, and the clean reference run."""

    def __init__(self, root: Path, years: str = "2018-2019") -> None:
        self.root = root
        self.years = years
        self.api_key = "chaos-" + secrets.token_hex(8)
        # The IMF's data are open: its stand-in asks for no key, Comtrade's keyed one does.
        engines = snapshot_routes(self.api_key, None)
        self.clean_routes = {f"/{name}": engine for name, engine in engines.items()}
        # After the clean run, every reporter-year is released anew: a run asks for all of them
        # again (it asks only what is new or revised), so that the faults meet real calls.
        released = dt.datetime.now(dt.UTC).replace(tzinfo=None) - dt.timedelta(hours=1)
        self.routes = {
            **self.clean_routes,
            "/comtrade": ReleasedAgain(engines["comtrade"], released.isoformat(timespec="seconds")),
        }
        self.clean_dir = root / "clean"

    # -- set-up ----------------------------------------------------------------------------

    def prepare(self) -> None:
        """An Airflow metadata database to copy, and the clean run every class is judged by."""
        self.root.mkdir(parents=True, exist_ok=True)
        template = self.root / "airflow-template"
        if not (template / "airflow.db").exists():
            template.mkdir(parents=True, exist_ok=True)
            done = subprocess.run(
                [str(Path(sys.executable).with_name("airflow")), "db", "migrate"],
                env=self._airflow_env(template),
                capture_output=True,
                text=True,
            )
            if done.returncode != 0:
                raise RuntimeError(f"airflow db migrate failed:\n{done.stdout[-2000:]}")
        shutil.rmtree(self.clean_dir, ignore_errors=True)
        with StandinServer(self.clean_routes) as server:
            result = self.run(self.clean_dir, server, keyed=False)
        if result.code != 0:
            raise RuntimeError(f"the clean reference run failed:\n{result.text[-3000:]}")

    def _airflow_env(self, home: Path) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith(("EURASIA_", "AIRFLOW"))}
        for key in ("COMTRADE_API_KEY", "IMF_API_KEY", "COMTRADE_BASE_URL", "IMF_SDMX_BASE_URL"):
            env.pop(key, None)
        env.update(
            {
                "AIRFLOW_HOME": str(home),
                "AIRFLOW__CORE__DAGS_FOLDER": str(PROJECT_ROOT / "dags"),
                "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
                "AIRFLOW__CORE__DAGS_ARE_PAUSED_AT_CREATION": "True",
                "AIRFLOW__LOGGING__LOGGING_LEVEL": "INFO",
                "AIRFLOW__COSMOS__ENABLE_TELEMETRY": "False",
                "DBT_SEND_ANONYMOUS_USAGE_STATS": "False",
                "DO_NOT_TRACK": "1",
                "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}",
            }
        )
        return env

    def warehouse(self, scenario: Path) -> Path:
        return scenario / "wh" / "eurasia.duckdb"

    def published(self, scenario: Path) -> Path:
        return scenario / "wh" / "published" / "eurasia.duckdb"

    def seed(self, scenario: Path, *, raw: bool) -> None:
        """A copy of the clean warehouse and a fresh Airflow database for one fault class."""
        shutil.rmtree(scenario, ignore_errors=True)
        skip = {"dbt"} if raw else {"dbt", "raw"}
        shutil.copytree(
            self.clean_dir / "wh",
            scenario / "wh",
            symlinks=True,  # the published Parquet folder is a link switched atomically
            ignore=lambda folder, names: [n for n in names if n in skip and folder.endswith("wh")],
        )
        (scenario / "airflow").mkdir(parents=True)
        shutil.copy2(self.root / "airflow-template" / "airflow.db", scenario / "airflow")

    # -- one run ---------------------------------------------------------------------------

    def env(self, scenario: Path, server: StandinServer, *, keyed: bool, extra=None) -> dict:
        env = self._airflow_env(scenario / "airflow")
        env.update(
            {
                "EURASIA_SOURCE": "live",
                "EURASIA_YEARS": self.years,
                "EURASIA_WAREHOUSE": str(self.warehouse(scenario)),
                "EURASIA_REQUEST_INTERVAL": "0",
                "EURASIA_TASK_RETRIES": "0",
                # Every run asks the APIs: a pull reused from the clean run would meet no fault.
                "EURASIA_REUSE_HOURS": "0",
                "EURASIA_IMF_REFRESH_DAYS": "0",
                "COMTRADE_BASE_URL": f"{server.url}/comtrade",
                "IMF_SDMX_BASE_URL": f"{server.url}/imf",
            }
        )
        if keyed:
            env["COMTRADE_API_KEY"] = self.api_key
        env.update(extra or {})
        return env

    def run(
        self,
        scenario: Path,
        server: StandinServer,
        *,
        keyed: bool,
        extra_env=None,
        kill_at: str | None = None,
    ) -> RunResult:
        if not (scenario / "airflow" / "airflow.db").exists():
            (scenario / "airflow").mkdir(parents=True, exist_ok=True)
            shutil.copy2(self.root / "airflow-template" / "airflow.db", scenario / "airflow")
        result = run_dag(self.env(scenario, server, keyed=keyed, extra=extra_env), kill_at)
        # What a person would have seen, kept beside the warehouse and Airflow's own logs.
        (scenario / f"run-{time.time_ns()}.out").write_text(result.text + "\n")
        return result


class ReleasedAgain:
    """Comtrade's stand-in engine with every reporter-year's `lastReleased` set to `released`."""

    def __init__(self, engine, released: str) -> None:
        self.engine = engine
        self.released = released

    def answer(self, path: str, query, headers):
        status, out_headers, body = self.engine.answer(path, query, headers)
        if status == 200 and "/getDA/" in path:
            answer = json.loads(body)
            for record in answer["data"]:
                record["lastReleased"] = self.released
            body = json.dumps(answer).encode()
        return status, out_headers, body


def run_dag(env: dict[str, str], kill_at: str | None = None) -> RunResult:
    """`python -m eurasia.dagrun`, as `make run-live` runs it; SIGKILLed at `kill_at`."""
    started = time.monotonic()
    process = subprocess.Popen(
        [sys.executable, "-m", "eurasia.dagrun", DAG_ID],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env=env,
        cwd=PROJECT_ROOT,
        start_new_session=True,  # its own process group: a kill reaches Airflow and dbt too
    )
    timer = threading.Timer(RUN_TIMEOUT_SECONDS, _kill_group, [process])
    timer.start()
    result = RunResult(None, [])
    try:
        for raw in process.stdout:
            line = raw.rstrip("\n")
            result.lines.append((time.monotonic(), line))
            if kill_at and not result.killed and re.search(kill_at, line):
                _kill_group(process)
                result.killed = True
        result.code = process.wait()
    finally:
        timer.cancel()
        process.stdout.close()
    result.seconds = time.monotonic() - started
    return result


def _kill_group(process: subprocess.Popen) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGKILL)


# -- one fault class --------------------------------------------------------------------------


def try_fault(lab: Lab, fault: FaultClass) -> Outcome:
    outcome = Outcome(fault)
    started = time.monotonic()
    scenario = lab.root / "classes" / re.sub(r"\W+", "-", fault.name).strip("-").lower()
    lab.seed(scenario, raw=fault.seed_raw)
    before = _published_bytes(lab.published(scenario))
    with StandinServer(lab.routes) as server:
        server.fail_next(*fault.faults())

        def once(kill_at: str | None = None) -> RunResult:
            return lab.run(
                scenario, server, keyed=fault.keyed, extra_env=fault.env, kill_at=kill_at
            )

        if fault.concurrent:
            _judge_concurrent(lab, scenario, outcome, once)
        else:
            first = once(fault.kill_at)
            asked_first = len(server.seen)
            outcome.runs.append(first)
            _judge_first(lab, scenario, outcome, first, before, asked_first)
            if fault.rerun:
                with server._lock:
                    server.faults.clear()
                seen_before = len(server.seen)
                answered = {_request(s) for s in server.seen[:seen_before] if s.status == 200}
                again = once()
                outcome.runs.append(again)
                rerun_seen = server.seen[seen_before:]
                _judge_rerun(lab, scenario, outcome, again, rerun_seen, answered)
    outcome.seconds = time.monotonic() - started
    return outcome


def _measure(lab: Lab, scenario: Path, excused: frozenset[str] = frozenset()) -> Difference:
    published = lab.published(scenario)
    marts = compare_marts(lab.published(lab.clean_dir), published, excused)
    raw = compare_raw(lab.warehouse(lab.clean_dir), lab.warehouse(scenario), excused)
    return marts + Difference(raw.lost, raw.duplicated, 0)


def quarantined_cells(warehouse: Path) -> set[tuple[str, int, str]]:
    """(republic, year, flow) of the records the loader set aside as malformed."""
    codes = {economy.m49_code: economy.iso3 for economy in reference.republics()}
    with duckdb.connect(str(warehouse), read_only=True) as con:
        exists = con.execute(
            "select count(*) from information_schema.tables "
            "where table_schema = 'raw' and table_name = 'comtrade_quarantine'"
        ).fetchone()[0]
        if not exists:
            return set()
        rows = con.execute(
            'select distinct "reporterCode", "refYear", "flowCode" from raw.comtrade_quarantine'
        ).fetchall()
    return {(codes.get(code, str(code)), year, flow) for code, year, flow in rows}


def unflagged_cells(published: Path, cells) -> list[str]:
    """Quarantined cells that marts.coverage does not say are unknown because of it."""
    measures = {"M": "import", "X": "export"}
    wrong = []
    with duckdb.connect(str(published), read_only=True) as con:
        for iso3, year, flow in sorted(cells):
            row = con.execute(
                "select status, reason from marts.coverage "
                "where republic_iso3 = ? and year = ? and measure = ? and source_id <> 'imf'",
                [iso3, year, measures.get(flow, flow)],
            ).fetchone()
            if row is None or not re.search(QUARANTINE_FLAG, f"{row[0]} {row[1]}"):
                wrong.append(f"{iso3} {year} {measures.get(flow, flow)}: {row}")
    return wrong


def _worst(a: Difference, b: Difference) -> Difference:
    return Difference(max(a.lost, b.lost), max(a.duplicated, b.duplicated), max(a.wrong, b.wrong))


def _around(line: str, cause: str, lead: int = 60) -> str:
    """The line from shortly before where it names the cause: long lines start with context."""
    match = re.search(cause, line)
    if not match or match.start() <= lead:
        return line
    task, sep, _ = line.partition(": ")
    start = line.rfind(" ", 0, match.start() - lead // 2) + 1  # at a word
    return f"{task}{sep}… {line[start:]}"


def _message(result: RunResult, cause: str) -> str:
    reasons = [line for _, line in result.lines if REASON_LINE.match(line)]
    if result.code not in (0, None) and reasons:
        return _around(reasons[-1].lstrip("✗ ").strip(), cause)
    warnings = [line.strip().lstrip("! ") for _, line in result.lines if WARNING_LINE.match(line)]
    named = [line for line in warnings if re.search(cause, line)]
    if named:
        return named[0]
    if result.killed:
        return "(killed by SIGKILL)"
    return warnings[0] if warnings else ""


def _judge_first(lab, scenario, outcome: Outcome, first: RunResult, before, asked: int) -> None:
    fault = outcome.fault
    cells = quarantined_cells(lab.warehouse(scenario)) if fault.quarantines else set()
    # Cells of set-aside records are unknown by design: the rest must equal the clean run.
    outcome.difference = _measure(lab, scenario, frozenset(iso3 for iso3, _, _ in cells))
    if fault.quarantines:
        if not cells:
            outcome.problems.append("nothing was quarantined")
        elif first.code == 0 and (unflagged := unflagged_cells(lab.published(scenario), cells)):
            outcome.problems.append(f"quarantined cells not flagged in coverage: {unflagged}")
    outcome.message = _message(first, fault.cause)
    if fault.expect == "recover":
        outcome.recovered = first.code == 0 and outcome.difference == Difference()
        if not outcome.recovered:
            outcome.problems.append(f"did not recover (exit {first.code})")
    else:
        stopped = first.code != 0
        untouched = before is None or _published_bytes(lab.published(scenario)) == before
        outcome.stopped_cleanly = (
            stopped and outcome.difference == Difference() and (untouched or first.killed)
        )
        if not stopped:
            outcome.problems.append("ran to the end instead of stopping")
        elif not outcome.stopped_cleanly:
            outcome.problems.append("stopped, but not cleanly")
        if fault.env.get("EURASIA_YEARS") and asked:
            outcome.problems.append(f"{asked} requests sent despite bad settings")
    if not first.killed and not re.search(fault.cause, first.text):
        outcome.problems.append(f"output does not name the cause (/{fault.cause}/)")
    if first.killed and not fault.kill_at:
        outcome.problems.append("timed out")
    if fault.kill_at and not first.killed:
        outcome.problems.append(f"never reached /{fault.kill_at}/")


def _judge_rerun(lab, scenario, outcome: Outcome, again: RunResult, seen, answered: set):
    fault = outcome.fault
    after = _measure(lab, scenario)
    outcome.difference = _worst(outcome.difference, after)
    outcome.recovered = again.code == 0 and after == Difference()
    if not outcome.recovered:
        reasons = [line for _, line in again.lines if REASON_LINE.match(line)]
        outcome.problems.append(f"the rerun did not recover: {reasons[-1:] or again.code}")
    if fault.kill_at:
        outcome.message = _message(again, fault.cause) or outcome.message
        if not re.search(fault.cause, again.text):
            outcome.problems.append(f"the rerun does not say what it found (/{fault.cause}/)")
    if fault.resumes:
        which = fault.resumes
        asked = [_request(s) for s in seen if which(s.path, s.query)]
        repeated = [r for r in asked if r in answered]
        if repeated or not asked:
            outcome.problems.append(
                f"the rerun asked {len(repeated)} of {len(answered)} answered requests again "
                f"({len(asked)} in all), instead of only the missing ones"
            )


def _request(seen: SeenRequest) -> tuple:
    return seen.path, tuple(sorted((k, tuple(v)) for k, v in seen.query.items()))


def _judge_concurrent(lab, scenario, outcome: Outcome, once) -> None:
    results: list[RunResult] = [None, None]  # type: ignore[list-item]

    def go(i: int) -> None:
        results[i] = once()

    threads = [threading.Thread(target=go, args=(i,)) for i in range(2)]
    for thread in threads:
        thread.start()
        time.sleep(0.5)
    for thread in threads:
        thread.join()
    outcome.runs.extend(results)
    outcome.difference = _measure(lab, scenario)
    succeeded = [r for r in results if r.code == 0]
    outcome.recovered = bool(succeeded) and outcome.difference == Difference()
    failed = [r for r in results if r.code != 0]
    outcome.stopped_cleanly = all(re.search(outcome.fault.cause, r.text) for r in failed) or None
    texts = "\n".join(r.text for r in results)
    outcome.message = next(
        (line.strip().lstrip("! ") for line in texts.splitlines() if "held by" in line), ""
    )
    if not succeeded:
        outcome.problems.append("neither run succeeded")
    if not re.search(outcome.fault.cause, texts):
        outcome.problems.append("no run said which run held the warehouse")
    # The later run may load only once the earlier one has published and reached its summary,
    # which releases the warehouse.
    loaded = sorted(results, key=lambda r: r.first_time(r"^    loaded ") or float("inf"))
    second_loaded = loaded[1].first_time(r"^    loaded ")
    first_summary = loaded[0].first_time(r"^▶ print_summary")
    if second_loaded is not None and (first_summary is None or second_loaded < first_summary):
        outcome.problems.append("the two runs interleaved: one loaded before the other's summary")


def _published_bytes(path: Path) -> bytes | None:
    return path.read_bytes() if path.exists() else None


def try_all(lab: Lab, faults: list[FaultClass], jobs: int = 2) -> list[Outcome]:
    with ThreadPoolExecutor(max_workers=max(1, jobs)) as pool:
        return list(pool.map(lambda fault: try_fault(lab, fault), faults))
