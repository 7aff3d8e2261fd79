"""The raw zone: every API response kept byte for byte, next to the request that produced it.

Layout, one folder per extraction run so that a run is loaded whole or not at all:

    <raw_zone>/<source>/<dataset>/run=<run_id>/
        00001.json.gz             the response body exactly as received, gzip-compressed
        00001.request.json        what was asked and when (no secrets) - see LandingRecord
        _MANIFEST.json            written last; a run without it is incomplete and never loaded

Files are written to a temporary name and renamed into place, so a crash never leaves a
half-written file that looks complete.
"""

from __future__ import annotations

import datetime as dt
import gzip
import hashlib
import json
import os
import uuid
from dataclasses import asdict, dataclass, field
from pathlib import Path

MANIFEST = "_MANIFEST.json"


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
        return path


def read_manifest(run_folder: Path) -> dict:
    path = run_folder / MANIFEST
    if not path.exists():
        raise FileNotFoundError(
            f"{run_folder} has no {MANIFEST}: that extraction did not finish, so it is not loaded. "
            "Run the extraction again."
        )
    return json.loads(path.read_text())
