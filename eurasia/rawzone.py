"""The raw zone: every API response kept byte for byte, next to the request that produced it.

Layout, one folder per extraction run so that a run is loaded whole or not at all:

    <raw_zone>/<source>/<dataset>/run=<run_id>/
        00001.json.gz             the response body exactly as received, gzip-compressed
        00001.request.json        what was asked and when (no secrets) - see LandingRecord
        _PLAN.json                written first: what the run was to ask (see RawZoneRun.begin)
        _CUT.json                 requests whose answers were cut at a cap, never landed
        _MANIFEST.json            written last; a run without it is incomplete and never loaded

Files are written to a temporary name and renamed into place, so a crash never leaves a
half-written file that looks complete.

Resume. A pull stopped midway (a used-up quota, an outage, a killed task) leaves its landings
without a manifest. RawZoneRun.begin(plan, reuse_within=...) lets the next pull of the same plan
carry on in that folder - asking only for what answered() does not know - and then write the
manifest; a complete pull of the same plan is reused whole. Only the newest run of the dataset
qualifies, and only while it started within `reuse_within`, so a scheduled monthly run always
fetches afresh, and a run is never resumed across a change of years, endpoint or plan.
"""

from __future__ import annotations

import datetime as dt
import fcntl
import gzip
import hashlib
import json
import logging
import os
import uuid
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import IO

log = logging.getLogger(__name__)

MANIFEST = "_MANIFEST.json"
PLAN = "_PLAN.json"
CUT = "_CUT.json"
WRITING = "_WRITING.lock"  # locked while a pull writes the folder (see _claim_for_writing)


def new_run_id(now: dt.datetime | None = None) -> str:
    now = now or dt.datetime.now(dt.UTC)
    return now.strftime("%Y%m%dT%H%M%SZ") + "-" + uuid.uuid4().hex[:6]


def utc_iso(epoch_seconds: float) -> str:
    return dt.datetime.fromtimestamp(epoch_seconds, dt.UTC).isoformat(timespec="milliseconds")


@dataclass(frozen=True)
class LandingRecord:
    """The sidecar of one landed response; loaded as a row of raw.landings."""

    landing_id: str  # "<source>/<dataset>/run=<run_id>/<seq>"
    source: str  # 'comtrade' | 'imf_dip' | 'imf_imts' | 'imf_dots'
    dataset: str  # e.g. 'reporter', 'mirror', 'dip'
    run_id: str
    vintage: str  # 'demo-...' synthetic snapshot, 'live' APIs, 'imf-dots-2022-02' bundled real data
    url: str  # the URL as sent, never containing a secret
    params: dict
    requested_at: str  # ISO 8601 UTC
    http_status: int | None  # None for a bundled file, which no HTTP request returned
    content_type: str
    body_file: str  # path relative to the raw zone root
    body_sha256: str
    body_bytes: int
    record_count: int | None
    years: list[int] = field(default_factory=list)


def _write_atomically(path: Path, data: bytes) -> None:
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_bytes(data)
    os.replace(tmp, path)


class RawZoneRun:
    """Writes the landings of one extraction run of one source dataset."""

    def __init__(self, root: Path, source: str, dataset: str, run_id: str, vintage: str) -> None:
        self.root = root
        self.source = source
        self.dataset = dataset
        self.run_id = run_id
        self.vintage = vintage
        self.folder = root / source / dataset / f"run={run_id}"
        self.folder.mkdir(parents=True, exist_ok=True)
        self.landings: list[LandingRecord] = []
        self.resumed_from: int = 0  # landings found in the folder when this run took it over
        self._by_url: dict[str, LandingRecord] = {}
        self._cut: list[str] = []

    # --- resume -------------------------------------------------------------------------------

    def begin(self, plan: dict, *, reuse_within: dt.timedelta) -> str:
        """Declare what this run will ask; take over the previous run of the same plan if any.

        `plan` identifies the pull (e.g. endpoint, base URL, years, a hash of the planned URLs):
        JSON-serialisable and equal only for pulls that ask the same questions. Returns
        'resumed' (an interrupted run's landings are kept; ask only what answered() lacks),
        'complete' (a complete run is reused whole: ask nothing, load it as it is) or 'new'.
        This object then stands for the run taken over: folder, run_id and landings are its.
        """
        previous = self._newest_other_run() if reuse_within > dt.timedelta(0) else None
        # Claimed before it is read: a pull still writing there (another process) keeps it.
        claimed = _claim_for_writing(previous) if previous else False
        if previous is not None and not claimed:
            log.warning("%s is being written by another pull; starting a new run", previous)
        landings = self._reusable_landings(previous, plan, reuse_within) if claimed else None
        if previous is not None and claimed and landings is not None:
            self._take_over(previous, landings)
            if self.is_complete:  # nothing will be written to it
                self.release()
                return "complete"
            return "resumed"
        if previous is not None and claimed:
            _release(previous)
        _claim_for_writing(self.folder)
        started = {"plan": plan, "vintage": self.vintage, "started_at": _now_iso()}
        _write_atomically(self.folder / PLAN, json.dumps(started, indent=1).encode())
        return "new"

    def release(self) -> None:
        """Let a pull in another process take this run over (done by complete())."""
        _release(self.folder)

    @property
    def is_complete(self) -> bool:
        return (self.folder / MANIFEST).exists()

    def answered(self, url: str) -> LandingRecord | None:
        """The landing that already holds the answer to this URL, if any."""
        return self._by_url.get(url)

    def was_cut(self, url: str) -> bool:
        """Whether this URL's answer was cut at a cap earlier in the run (ask its parts)."""
        return url in self._cut

    def note_cut(self, url: str) -> None:
        if url not in self._cut:
            self._cut.append(url)
            _write_atomically(self.folder / CUT, json.dumps(self._cut, indent=1).encode())

    def resume_note(self, calls_planned: int) -> str:
        """For a stop message: what a rerun will not have to ask again."""
        if not self.landings:
            return ""
        return (
            f"The {len(self.landings)} answers landed so far (of about {calls_planned} planned) "
            f"are kept in {self.folder}: a rerun with the same settings resumes there and asks "
            "only for the rest."
        )

    def _newest_other_run(self) -> Path | None:
        runs = []
        for folder in self.folder.parent.glob("run=*"):
            plan_file = folder / PLAN
            if folder == self.folder or not plan_file.exists():
                continue
            try:
                started = json.loads(plan_file.read_text())["started_at"]
            except (ValueError, KeyError):
                continue
            runs.append((started, folder.name, folder))
        return max(runs)[2] if runs else None

    def _reusable_landings(
        self, folder: Path, plan: dict, within: dt.timedelta
    ) -> list[LandingRecord] | None:
        declared = json.loads((folder / PLAN).read_text())
        if declared.get("plan") != plan or declared.get("vintage") != self.vintage:
            return None
        started = dt.datetime.fromisoformat(declared["started_at"])
        if dt.datetime.now(dt.UTC) - started > within:
            log.info(
                "%s: not reusing %s: it started at %s, more than %s ago",
                self.folder.parent,
                folder.name,
                declared["started_at"],
                within,
            )
            return None
        return _read_landings(self.root, folder)

    def _take_over(self, folder: Path, landings: list[LandingRecord]) -> None:
        if not any(self.folder.iterdir()):
            self.folder.rmdir()  # the folder made for this run, now not needed
        self.folder = folder
        self.run_id = folder.name.removeprefix("run=")
        self.landings = landings
        self.resumed_from = len(landings)
        self._by_url = {record.url: record for record in landings}
        cut_file = folder / CUT
        self._cut = json.loads(cut_file.read_text()) if cut_file.exists() else []

    # --- landing ------------------------------------------------------------------------------

    def land(
        self,
        *,
        url: str,
        params: dict,
        requested_at: float,
        http_status: int | None,
        content_type: str,
        body: bytes,
        extension: str,
        record_count: int | None,
        years: list[int],
        compress: bool = True,
    ) -> LandingRecord:
        """Land one body; compress=False keeps a file that is already compressed (an .xlsx is a
        zip) as it is, so that readers which need the file itself can open it in place."""
        seq = f"{len(self.landings) + 1:05d}"
        if compress:
            body_path = self.folder / f"{seq}.{extension}.gz"
            _write_atomically(body_path, gzip.compress(body, mtime=0))
        else:
            body_path = self.folder / f"{seq}.{extension}"
            _write_atomically(body_path, body)
        record = LandingRecord(
            landing_id=f"{self.source}/{self.dataset}/run={self.run_id}/{seq}",
            source=self.source,
            dataset=self.dataset,
            run_id=self.run_id,
            vintage=self.vintage,
            url=url,
            params=params,
            requested_at=utc_iso(requested_at),
            http_status=http_status,
            content_type=content_type,
            body_file=str(body_path.relative_to(self.root)),
            body_sha256=hashlib.sha256(body).hexdigest(),
            body_bytes=len(body),
            record_count=record_count,
            years=sorted(years),
        )
        sidecar = self.folder / f"{seq}.request.json"
        _write_atomically(sidecar, json.dumps(asdict(record), indent=1).encode())
        self.landings.append(record)
        self._by_url[url] = record
        return record

    def complete(self, years: list[int], summary: dict) -> Path:
        """Mark the run complete: only now may it be loaded."""
        manifest = {
            "source": self.source,
            "dataset": self.dataset,
            "run_id": self.run_id,
            "vintage": self.vintage,
            "years": sorted(years),
            "landings": [r.landing_id for r in self.landings],
            "completed_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
            "summary": summary,
        }
        path = self.folder / MANIFEST
        _write_atomically(path, json.dumps(manifest, indent=1).encode())
        self.release()
        return path


def plan_identity(urls: list[str], **what: object) -> dict:
    """A `plan` for RawZoneRun.begin: what identifies the pull (endpoint, base URL, years...)
    and a hash of every URL it will ask, so that any change to the plan starts afresh."""
    return {
        **what,
        "requests": len(urls),
        "requests_sha256": hashlib.sha256("\n".join(urls).encode()).hexdigest(),
    }


def reuse_window(hours: float, base_url: str) -> dt.timedelta:
    """How old a pull may be and still be resumed or reused (settings.reuse_hours); never for
    the in-process demo snapshot (base URL `snapshot://...`), which costs nothing to ask again."""
    if base_url.startswith("snapshot://"):
        return dt.timedelta(0)
    return dt.timedelta(hours=hours)


# Run folders this process holds the writing claim on. Within one process pulls run one after
# the other, so a stopped pull's claim passes to the next pull here; other processes must wait.
_CLAIMED: dict[Path, IO] = {}


def _claim_for_writing(folder: Path) -> bool:
    """Claim the writing of a run folder for this process; False if another process holds it.

    A lock on an open file (flock): the kernel drops it when the holder ends, however it ends,
    so a killed pull never leaves a claim behind.
    """
    if folder in _CLAIMED:
        return True
    handle = (folder / WRITING).open("a")
    try:
        fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        handle.close()
        return False
    _CLAIMED[folder] = handle
    return True


def _release(folder: Path) -> None:
    handle = _CLAIMED.pop(folder, None)
    if handle is not None:
        fcntl.flock(handle, fcntl.LOCK_UN)
        handle.close()


def _now_iso() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="microseconds")


def _read_landings(root: Path, folder: Path) -> list[LandingRecord] | None:
    """The landings of a run folder in order, each checked against its body; None if any
    sidecar or body is missing, unreadable or not what the sidecar says (then start afresh)."""
    records = []
    for seq, sidecar in enumerate(sorted(folder.glob("*.request.json")), start=1):
        try:
            record = LandingRecord(**json.loads(sidecar.read_text()))
            body = (root / record.body_file).read_bytes()
            if record.body_file.endswith(".gz"):
                body = gzip.decompress(body)
        except (OSError, ValueError, TypeError, EOFError) as exc:
            log.warning("%s: not reusing %s: %s", folder, sidecar.name, exc)
            return None
        if sidecar.name != f"{seq:05d}.request.json" or (
            hashlib.sha256(body).hexdigest() != record.body_sha256
        ):
            log.warning("%s: not reusing it: %s does not match its body", folder, sidecar.name)
            return None
        records.append(record)
    return records


def read_manifest(run_folder: Path) -> dict:
    path = run_folder / MANIFEST
    if not path.exists():
        raise FileNotFoundError(
            f"{run_folder} has no {MANIFEST}: that extraction did not finish, so it is not loaded. "
            "Run the extraction again."
        )
    return json.loads(path.read_text())
