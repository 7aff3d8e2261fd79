"""Superset, provisioned exactly as the docker-compose service is, on the published copy.

Superset is installed from PyPI into a virtualenv of its own outside the project's (its pins
clash with Airflow's): ~/.cache/eurasia-superset/venv, or EURASIA_SUPERSET_VENV, reused while
superset/requirements*.txt are unchanged. Its metadata live in SQLite in a temporary folder
(or in the database EURASIA_TEST_SUPERSET_METADATA_URI names, e.g. PostgreSQL). The very script
the compose service runs at start, superset/provision.py, creates the read-only connection and
imports the dashboard. Then a real pipeline run (`make run`, in the background) loads, builds and
publishes the warehouse whose published copy Superset reads, and a chart's saved query runs
through Superset's API again and again while that run holds the warehouse for writing: the answers
are the published copy's, and the run is never held up.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import duckdb
import pytest
import requests
from published_demo import published_demo

from eurasia.publish import publish
from eurasia.settings import PROJECT_ROOT, load_settings

pytestmark = pytest.mark.slow

SUPERSET_DIR = PROJECT_ROOT / "superset"
VENV = Path(
    os.environ.get("EURASIA_SUPERSET_VENV") or Path.home() / ".cache" / "eurasia-superset" / "venv"
)
DATABASE_NAME = "eurasia (published, read-only)"
SHARES_CHART = "China vs Russia: shares of each republic's total trade"
CHARTS = {
    SHARES_CHART,
    "The year China first led, per republic and measure",
    "Coverage: measures not reported by the republic itself",
}


def requirements_text() -> str:
    return "".join(p.read_text() for p in sorted(SUPERSET_DIR.glob("requirements*.txt")))


def superset_venv() -> Path:
    """The Superset virtualenv, built from superset/requirements.txt when missing or stale."""
    stamp = VENV / "eurasia-requirements.txt"
    python = VENV / "bin" / "python"
    if python.exists() and stamp.exists() and stamp.read_text() == requirements_text():
        return VENV
    print(f"installing Superset from PyPI into {VENV} (a few minutes, once)")
    subprocess.run([sys.executable, "-m", "venv", "--clear", str(VENV)], check=True)
    uv = Path(sys.executable).with_name("uv")
    installer = (
        [str(uv), "pip", "install", "--python", str(python)]
        if uv.exists()
        else [str(python), "-m", "pip", "install", "-q"]
    )
    done = subprocess.run(
        [*installer, "-r", "requirements.txt"],
        cwd=SUPERSET_DIR,
        capture_output=True,
        text=True,
        timeout=1800,
    )
    if done.returncode != 0:
        reason = f"could not install Superset into {VENV}: {done.stderr.strip()[-500:]}"
        print(reason)
        pytest.skip(reason)
    stamp.write_text(requirements_text())
    return VENV


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="module")
def superset(tmp_path_factory):
    venv = superset_venv()
    demo = published_demo(tmp_path_factory)
    work = tmp_path_factory.mktemp("superset")
    # A warehouse of the test's own, so that writing it and publishing disturb no other test.
    warehouse = work / "warehouse" / "eurasia.duckdb"
    warehouse.parent.mkdir()
    shutil.copyfile(demo.warehouse_path, warehouse)
    settings = load_settings({"EURASIA_WAREHOUSE": str(warehouse)})
    publish(settings)
    password = secrets.token_urlsafe(16)
    env = {
        **os.environ,
        "SUPERSET_CONFIG_PATH": str(SUPERSET_DIR / "superset_config.py"),
        "SUPERSET_SECRET_KEY": secrets.token_urlsafe(48),
        "SUPERSET_HOME": str(work / "superset_home"),
        "SUPERSET_ADMIN_PASSWORD": password,
        "EURASIA_PUBLISHED_DUCKDB": str(settings.published_path),
        "PATH": f"{venv / 'bin'}:{os.environ['PATH']}",
    }
    if os.environ.get("EURASIA_TEST_SUPERSET_METADATA_URI"):
        env["SUPERSET_METADATA_URI"] = os.environ["EURASIA_TEST_SUPERSET_METADATA_URI"]
    (work / "superset_home").mkdir()
    python = str(venv / "bin" / "python")
    provisioned = subprocess.run(
        [python, str(SUPERSET_DIR / "provision.py")],
        env=env,
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert provisioned.returncode == 0, provisioned.stdout[-3000:] + provisioned.stderr[-3000:]
    assert password not in provisioned.stdout + provisioned.stderr
    port = free_port()
    log = open(work / "superset.log", "w")  # noqa: SIM115 - open for the server's whole life
    server = subprocess.Popen(
        [str(venv / "bin" / "superset"), "run", "-h", "127.0.0.1", "-p", str(port),
         "--with-threads"],
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )  # fmt: skip
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 300
        while True:
            assert server.poll() is None, (work / "superset.log").read_text()[-3000:]
            try:
                if requests.get(f"{base}/health", timeout=5).text == "OK":
                    break
            except requests.ConnectionError:
                pass
            assert time.monotonic() < deadline, "Superset did not start within 300 s"
            time.sleep(2)
        yield base, password, settings
    finally:
        server.terminate()
        server.wait(timeout=30)
        log.close()


def api(superset) -> requests.Session:
    base, password, _ = superset
    session = requests.Session()
    login = session.post(
        f"{base}/api/v1/security/login",
        json={"username": "admin", "password": password, "provider": "db", "refresh": False},
        timeout=30,
    )
    assert login.status_code == 200, login.text
    session.headers["Authorization"] = f"Bearer {login.json()['access_token']}"
    return session


def test_provisioned_connection_reads_the_published_copy_read_only(superset):
    base, _, settings = superset
    session = api(superset)
    databases = session.get(f"{base}/api/v1/database/", timeout=30).json()["result"]
    assert [d["database_name"] for d in databases] == [DATABASE_NAME]
    connection = session.get(
        f"{base}/api/v1/database/{databases[0]['id']}/connection", timeout=30
    ).json()["result"]
    assert connection["sqlalchemy_uri"] == (
        f"duckdb:///{settings.published_path}?access_mode=read_only"
    )
    charts = session.get(f"{base}/api/v1/dashboard/eurasia/charts", timeout=30).json()["result"]
    assert {c["slice_name"] for c in charts} == CHARTS


def expected_shares(published: Path) -> dict[tuple[str, int], tuple]:
    with duckdb.connect(str(published), read_only=True) as con:
        rows = con.execute(
            "select republic_iso3 || case when source = 'imf' then ' (IMF)' else '' end "
            "|| case when vintage like 'demo-%' then ' (synthetic demo)' else '' end, "
            "year, 100 * china_share, 100 * russia_share "
            "from marts.china_vs_russia where measure = 'total' "
            "and (china_share is not null or russia_share is not null)"
        ).fetchall()
    return {(label, year): (china, russia) for label, year, china, russia in rows}


def chart_rows(session, base: str, chart_id: int) -> dict[tuple[str, int], tuple]:
    answer = session.get(
        f"{base}/api/v1/chart/{chart_id}/data/",
        params={"format": "json", "type": "full", "force": "true"},
        timeout=120,
    )
    assert answer.status_code == 200, answer.text[:2000]
    (result,) = answer.json()["result"]
    assert result["error"] is None
    rows = {}
    for row in result["data"]:
        year = time.gmtime(row["year_start"] / 1000).tm_year
        rows[row["republic_label"], year] = (
            row["China, % of total trade"],
            row["Russia, % of total trade"],
        )
    return rows


def assert_same_shares(found: dict, expected: dict) -> None:
    assert found.keys() == expected.keys()
    for key, shares in expected.items():
        for got, share in zip(found[key], shares, strict=True):
            # Either share may be unknown (e.g. no China figure for Tajikistan in 2000): null.
            if share is None:
                assert got is None, key
            else:
                assert got == pytest.approx(share, rel=1e-9), key


def warehouse_writers(warehouse: Path) -> set[int]:
    """The processes holding the DuckDB file open read-write, from the kernel's lock table.

    DuckDB locks the whole file when it opens it, exclusively (WRITE) for a read-write
    connection; asking /proc/locks, unlike trying the lock, never gets in the writer's way.
    """
    stat = warehouse.stat()
    file = f"{os.major(stat.st_dev):02x}:{os.minor(stat.st_dev):02x}:{stat.st_ino}"
    writers = set()
    for line in Path("/proc/locks").read_text().splitlines():
        # "7: POSIX  ADVISORY  WRITE 4242 fe:00:2146337 0 EOF"; a waiter's line has "->" in it.
        fields = line.split()
        if "->" not in fields and fields[3] == "WRITE" and fields[5] == file:
            writers.add(int(fields[4]))
    return writers


def descends_from(pid: int, ancestor: int) -> bool:
    while pid > 1:
        if pid == ancestor:
            return True
        try:
            pid = int(Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[1])
        except (OSError, ValueError, IndexError):
            return False
    return False


def run_writing(warehouse: Path, run: subprocess.Popen) -> bool:
    """Whether a process of `run` holds the warehouse for writing and nothing else holds it."""
    writers = warehouse_writers(warehouse)
    strangers = {pid for pid in writers if not descends_from(pid, run.pid)}
    assert not strangers, f"processes other than the pipeline run write {warehouse}: {strangers}"
    return bool(writers)


def start_make_run(settings, folder: Path) -> tuple[subprocess.Popen, Path]:
    """`make run` (the demo pipeline through Airflow) on the test's warehouse, in the background.

    Airflow's state goes to a home of this run's own (make migrates its metadata database), so
    that no other run or test shares it; everything else is exactly what `make run` exports.
    """
    env = {**os.environ, "EURASIA_WAREHOUSE": str(settings.warehouse_path)}
    for key in ("COMTRADE_API_KEY", "IMF_API_KEY", "EURASIA_PUBLISHED", "EURASIA_RAW_ZONE"):
        env.pop(key, None)
    env.pop("EURASIA_YEARS", None)  # the snapshot's years, as the published copy was built
    output = folder / "make-run.log"
    with open(output, "w") as out:
        run = subprocess.Popen(
            ["make", "-s", "run", f"AIRFLOW_HOME={folder / 'airflow'}"],
            cwd=PROJECT_ROOT,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own process group: stopped whole, whatever happens
        )
    return run, output


def run_log_tail(output: Path, folder: Path) -> str:
    tail = f"--- make run ---\n{output.read_text(errors='replace')[-4000:]}"
    for log in sorted((folder / "airflow" / "runs").glob("*.log"))[-1:]:
        tail += f"\n--- {log} ---\n{log.read_text(errors='replace')[-4000:]}"
    return tail


def stop(run: subprocess.Popen) -> None:
    """End what is left of the run's process group (make, dagrun, Airflow's), make's or not."""
    with contextlib.suppress(ProcessLookupError):  # raised once nothing of the group is left
        os.killpg(run.pid, signal.SIGTERM)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            run.poll()  # reaps make, so that it no longer counts as one of the group
            os.killpg(run.pid, 0)
            time.sleep(0.5)
        os.killpg(run.pid, signal.SIGKILL)
    run.wait(timeout=30)


def utc(seconds: float) -> str:
    return dt.datetime.fromtimestamp(seconds, dt.UTC).strftime("%H:%M:%S.%f")[:-3]


def test_a_chart_answers_through_superset_while_the_pipeline_writes(superset, tmp_path):
    base, _, settings = superset
    session = api(superset)
    charts = session.get(f"{base}/api/v1/dashboard/eurasia/charts", timeout=30).json()["result"]
    chart_id = next(c["id"] for c in charts if c["slice_name"] == SHARES_CHART)
    expected = expected_shares(settings.published_path)
    assert len({label.split(" ")[0] for label, _ in expected}) == 15
    with duckdb.connect(str(settings.published_path), read_only=True) as con:
        (demo_rows,) = con.execute(
            "select count(*) from marts.china_vs_russia where measure = 'total' "
            "and vintage like 'demo-%' and (china_share is not null or russia_share is not null)"
        ).fetchone()
    # Demo values are labelled as such, in series of their own.
    assert sum(label.endswith(" (synthetic demo)") for label, _ in expected) == demo_rows > 0
    published_before = settings.published_path.stat().st_ino

    # A real pipeline run on the warehouse whose published copy Superset reads.
    run, output = start_make_run(settings, tmp_path)
    answers = []  # (asked, answered, the run writing the warehouse before and after, rows)
    try:
        deadline = time.monotonic() + 900
        while not run_writing(settings.warehouse_path, run):
            assert run.poll() is None, "the run ended before it wrote\n" + run_log_tail(
                output, tmp_path
            )
            assert time.monotonic() < deadline, "the run did not write within 900 s"
            time.sleep(0.1)
        # From the moment the run holds the warehouse until it ends, the chart is asked again
        # and again; every answer must be the published copy's, and come while the run goes on.
        while run.poll() is None:
            assert time.monotonic() < deadline, "the run did not finish within 900 s"
            asked, writing_before = time.time(), run_writing(settings.warehouse_path, run)
            rows = chart_rows(session, base, chart_id)
            writing_after = run_writing(settings.warehouse_path, run)
            answers.append((asked, time.time(), writing_before, writing_after, rows))
            time.sleep(0.2)
        code = run.wait()
    finally:
        stop(run)
    print(f"make run exited {code}; {len(answers)} answers while it ran:")
    for asked, answered, before, after, _ in answers:
        print(f"  {utc(asked)}-{utc(answered)} UTC, the run writing: {before} / {after}")
    assert code == 0, run_log_tail(output, tmp_path)
    said = output.read_text()
    assert "eurasia_pipeline succeeded" in said, run_log_tail(output, tmp_path)
    # Never held up by the reader: no step waited for the warehouse or found it open elsewhere.
    assert "waiting for another writer" not in said
    assert "open in another process" not in said
    # It published a new copy over the one Superset was reading...
    assert f"to {settings.published_path}" in said
    assert settings.published_path.stat().st_ino != published_before
    # ... of the same demo data: the answers given while it ran were what the copy holds.
    assert_same_shares(expected_shares(settings.published_path), expected)
    for *_, rows in answers:
        assert_same_shares(rows, expected)
    # At least one answer came whole while the run held the warehouse open for writing.
    assert any(before and after for _, _, before, after, _ in answers), answers
    # After the pipeline has published again, the next query reads the new copy.
    assert_same_shares(chart_rows(session, base, chart_id), expected)
