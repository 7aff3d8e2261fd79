"""The raw zone: bodies kept byte for byte, atomic files, sidecars, and the manifest last."""

from __future__ import annotations

import datetime as dt
import gzip
import hashlib
import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from eurasia import rawzone
from eurasia.rawzone import MANIFEST, LandingRecord, RawZoneRun, new_run_id, read_manifest

BODY = b'{"elapsedTime":"0.1 secs","count":1,"data":[{"refYear":2010}],"error":""}'
REQUESTED_AT = 1_286_000_000.25  # 2010-10-02T06:13:20.250Z
URL = "https://comtradeapi.un.org/data/v1/get/C/A/HS?cmdCode=TOTAL&period=2010,2011"


def land(run: RawZoneRun, body: bytes = BODY, **overrides) -> LandingRecord:
    arguments = dict(
        url=URL,
        params={"cmdCode": "TOTAL", "period": "2010,2011"},
        requested_at=REQUESTED_AT,
        http_status=200,
        content_type="application/json; charset=utf-8",
        body=body,
        extension="json",
        record_count=1,
        years=[2011, 2010],
    )
    arguments.update(overrides)
    return run.land(**arguments)


@pytest.fixture
def run(tmp_path):
    return RawZoneRun(tmp_path, "comtrade", "reporter", "20100102T030405Z-abc123", "live")


def test_run_folder_layout(run, tmp_path):
    assert run.folder == tmp_path / "comtrade" / "reporter" / "run=20100102T030405Z-abc123"
    assert run.folder.is_dir()


def test_body_is_kept_byte_for_byte_gzip_compressed(run, tmp_path):
    record = land(run)
    body_path = tmp_path / record.body_file
    assert body_path == run.folder / "00001.json.gz"
    assert gzip.decompress(body_path.read_bytes()) == BODY


def test_the_same_body_compresses_to_the_same_bytes(tmp_path):
    # gzip's header carries a timestamp unless told otherwise; landings must be reproducible.
    first = RawZoneRun(tmp_path, "comtrade", "reporter", "a", "live")
    second = RawZoneRun(tmp_path, "comtrade", "reporter", "b", "live")
    one, two = land(first), land(second)
    assert (tmp_path / one.body_file).read_bytes() == (tmp_path / two.body_file).read_bytes()


def test_sidecar_holds_every_field_of_the_landing(run, tmp_path):
    record = land(run)
    sidecar = json.loads((run.folder / "00001.request.json").read_text())

    assert sidecar == {
        "landing_id": "comtrade/reporter/run=20100102T030405Z-abc123/00001",
        "source": "comtrade",
        "dataset": "reporter",
        "run_id": "20100102T030405Z-abc123",
        "vintage": "live",
        "url": URL,
        "params": {"cmdCode": "TOTAL", "period": "2010,2011"},
        "requested_at": "2010-10-02T06:13:20.250+00:00",
        "http_status": 200,
        "content_type": "application/json; charset=utf-8",
        "body_file": "comtrade/reporter/run=20100102T030405Z-abc123/00001.json.gz",
        "body_sha256": hashlib.sha256(BODY).hexdigest(),
        "body_bytes": len(BODY),
        "record_count": 1,
        "years": [2010, 2011],  # sorted
    }
    assert LandingRecord(**sidecar) == record
    assert dt.datetime.fromisoformat(sidecar["requested_at"]).tzinfo == dt.UTC


def test_landings_are_numbered_in_order_and_remembered(run):
    records = [
        land(run),
        land(run, body=b"x", extension="xml", record_count=0),
        land(run, record_count=None),
    ]
    assert [r.landing_id[-5:] for r in records] == ["00001", "00002", "00003"]
    assert run.landings == records
    assert records[1].body_file.endswith("00002.xml.gz")
    assert records[2].record_count is None
    assert sorted(p.name for p in run.folder.iterdir()) == [
        "00001.json.gz",
        "00001.request.json",
        "00002.request.json",
        "00002.xml.gz",
        "00003.json.gz",
        "00003.request.json",
    ]


def test_no_temporary_file_is_left_behind(run):
    for _ in range(3):
        land(run)
    run.complete([2010, 2011], {"landings": 3})
    assert [p for p in run.folder.iterdir() if p.name.endswith(".tmp")] == []
    assert len(list(run.folder.iterdir())) == 7


def test_every_file_is_renamed_into_place_and_the_manifest_comes_last(run, monkeypatch):
    renamed = []
    real_replace = rawzone.os.replace

    def recording_replace(source, target):
        assert str(source) == str(target) + ".tmp"  # written under a temporary name first
        renamed.append(target.name)
        real_replace(source, target)

    monkeypatch.setattr(rawzone.os, "replace", recording_replace)
    land(run)
    land(run)
    run.complete([2010, 2011], {})

    assert renamed == [
        "00001.json.gz",
        "00001.request.json",  # the sidecar follows its body
        "00002.json.gz",
        "00002.request.json",
        MANIFEST,
    ]


def test_a_crash_while_writing_leaves_no_file_that_looks_complete(run, monkeypatch):
    land(run)

    def crash(source, target):
        raise OSError("disk full")

    monkeypatch.setattr(rawzone.os, "replace", crash)
    with pytest.raises(OSError, match="disk full"):
        run.complete([2010], {})
    assert not (run.folder / MANIFEST).exists()
    with pytest.raises(FileNotFoundError):
        read_manifest(run.folder)


def test_manifest_lists_the_run(run):
    records = [land(run), land(run)]
    path = run.complete([2011, 2010], {"calls_made": 2})

    assert path == run.folder / MANIFEST
    manifest = read_manifest(run.folder)
    assert manifest["source"] == "comtrade" and manifest["dataset"] == "reporter"
    assert manifest["run_id"] == "20100102T030405Z-abc123" and manifest["vintage"] == "live"
    assert manifest["years"] == [2010, 2011]
    assert manifest["landings"] == [r.landing_id for r in records]
    assert manifest["summary"] == {"calls_made": 2}
    completed = dt.datetime.fromisoformat(manifest["completed_at"])
    assert abs(dt.datetime.now(dt.UTC) - completed) < dt.timedelta(minutes=1)


def test_an_empty_run_can_be_complete(run):
    run.complete([], {"note": "nothing requested"})
    manifest = read_manifest(run.folder)
    assert manifest["landings"] == [] and manifest["years"] == []


def test_incomplete_run_has_no_manifest_and_says_what_to_do(run):
    land(run)
    with pytest.raises(FileNotFoundError) as raised:
        read_manifest(run.folder)
    message = str(raised.value)
    assert str(run.folder) in message
    assert MANIFEST in message
    assert "did not finish" in message and "Run the extraction again" in message


def test_run_ids_sort_by_time_and_are_unique():
    at = dt.datetime(2026, 1, 2, 3, 4, 5, tzinfo=dt.UTC)
    run_id = new_run_id(at)
    assert re.fullmatch(r"20260102T030405Z-[0-9a-f]{6}", run_id)
    assert new_run_id(at) != run_id
    assert new_run_id(at) < new_run_id(at + dt.timedelta(seconds=1))
    assert re.fullmatch(r"\d{8}T\d{6}Z-[0-9a-f]{6}", new_run_id())


# --- resume: a rerun of the same plan carries on where a stopped pull left off ----------------

PLAN = {"endpoint": "preview", "years": [2010, 2011], "requests_sha256": "ab12"}
DAY = dt.timedelta(hours=24)


def fresh_run(tmp_path, vintage="live") -> RawZoneRun:
    return RawZoneRun(tmp_path, "comtrade", "mirror", new_run_id(), vintage)


def interrupted_pull(tmp_path, answers: int = 2) -> RawZoneRun:
    run = fresh_run(tmp_path)
    assert run.begin(PLAN, reuse_within=DAY) == "new"
    for i in range(answers):
        land(run, body=BODY + str(i).encode(), url=f"{URL}&part={i}")
    return run


def test_a_new_run_declares_its_plan_first(tmp_path):
    run = fresh_run(tmp_path)
    assert run.begin(PLAN, reuse_within=DAY) == "new"
    declared = json.loads((run.folder / rawzone.PLAN).read_text())
    assert declared["plan"] == PLAN and declared["vintage"] == "live"
    assert dt.datetime.fromisoformat(declared["started_at"]).tzinfo is not None


def test_an_interrupted_run_of_the_same_plan_is_resumed_in_place(tmp_path):
    stopped = interrupted_pull(tmp_path)
    rerun = fresh_run(tmp_path)
    own_folder = rerun.folder

    assert rerun.begin(PLAN, reuse_within=DAY) == "resumed"

    assert rerun.folder == stopped.folder and rerun.run_id == stopped.run_id
    assert not own_folder.exists()  # the empty folder made for the rerun is gone
    assert rerun.landings == stopped.landings and rerun.resumed_from == 2
    assert rerun.answered(f"{URL}&part=1") == stopped.landings[1]
    assert rerun.answered(f"{URL}&part=2") is None
    assert land(rerun, url=f"{URL}&part=2").landing_id.endswith("/00003")
    rerun.complete([2010, 2011], {})
    assert read_manifest(rerun.folder)["landings"] == [r.landing_id for r in rerun.landings]
    assert len(rerun.landings) == 3


def test_a_complete_run_of_the_same_plan_is_reused_whole(tmp_path):
    done = interrupted_pull(tmp_path)
    done.complete([2010, 2011], {"calls_made": 2})
    rerun = fresh_run(tmp_path)
    assert rerun.begin(PLAN, reuse_within=DAY) == "complete"
    assert rerun.folder == done.folder and rerun.is_complete and len(rerun.landings) == 2


@pytest.mark.parametrize(
    "change",
    ["other-plan", "other-vintage", "fresh-data-asked", "too-old", "body-changed", "newer-run"],
)
def test_a_run_is_reused_only_if_newest_recent_intact_and_of_the_same_plan(tmp_path, change):
    stopped = interrupted_pull(tmp_path)
    plan, vintage, within = PLAN, "live", DAY
    if change == "other-plan":
        plan = {**PLAN, "years": [2010]}
    elif change == "other-vintage":
        vintage = "demo-synthetic-v1"
    elif change == "fresh-data-asked":
        within = dt.timedelta(0)
    elif change == "too-old":
        declared = json.loads((stopped.folder / rawzone.PLAN).read_text())
        declared["started_at"] = "2026-01-01T00:00:00.000000+00:00"
        (stopped.folder / rawzone.PLAN).write_text(json.dumps(declared))
    elif change == "body-changed":
        body = tmp_path / stopped.landings[1].body_file
        body.write_bytes(gzip.compress(b"tampered"))
    elif change == "newer-run":  # a later pull of other years: the stopped one is superseded
        assert fresh_run(tmp_path).begin({**PLAN, "years": [2012]}, reuse_within=DAY) == "new"

    rerun = fresh_run(tmp_path, vintage)
    assert rerun.begin(plan, reuse_within=within) == "new"
    assert rerun.folder != stopped.folder and rerun.landings == []
    assert (rerun.folder / rawzone.PLAN).exists()


def test_a_cut_answer_is_remembered_across_a_resume(tmp_path):
    stopped = interrupted_pull(tmp_path, answers=0)
    stopped.note_cut(URL)
    rerun = fresh_run(tmp_path)
    assert rerun.begin(PLAN, reuse_within=DAY) == "resumed"
    assert rerun.was_cut(URL) and not rerun.was_cut(URL + "&x=1")


def test_the_resume_note_says_what_a_rerun_keeps(tmp_path):
    stopped = interrupted_pull(tmp_path)
    note = stopped.resume_note(10)
    assert "2 answers landed so far (of about 10 planned)" in note and str(stopped.folder) in note
    assert fresh_run(tmp_path).resume_note(10) == ""


HOLDER = """
import datetime as dt, sys, time
from pathlib import Path
from eurasia.rawzone import RawZoneRun, new_run_id
run = RawZoneRun(Path(sys.argv[1]), "comtrade", "mirror", new_run_id(), "live")
assert run.begin({"endpoint": "preview", "years": [2010, 2011], "requests_sha256": "ab12"},
                 reuse_within=dt.timedelta(hours=24)) == "new"
run.land(url="https://h/x?part=0", params={}, requested_at=0.0, http_status=200,
         content_type="application/json", body=b"{}", extension="json", record_count=0,
         years=[2010])
print(run.folder, flush=True)
time.sleep(60)
"""


def test_a_run_another_process_is_still_writing_is_not_taken_over(tmp_path):
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLDER, str(tmp_path)], stdout=subprocess.PIPE, text=True
    )
    try:
        writing = Path(holder.stdout.readline().strip())
        assert writing.is_dir()
        beside = fresh_run(tmp_path)
        assert beside.begin(PLAN, reuse_within=DAY) == "new"
        assert beside.folder != writing
    finally:
        holder.kill()
        holder.wait()
    # The holder is gone (killed: its claim went with it): its pull can now be resumed. The run
    # just made beside it is newer, though, so first make that one look like the older.
    shutil.rmtree(beside.folder)
    rerun = fresh_run(tmp_path)
    assert rerun.begin(PLAN, reuse_within=DAY) == "resumed"
    assert rerun.folder == writing and len(rerun.landings) == 1
