"""What the IMF clients' tests (DIP, IMTS) set up alike: a stand-in that keeps what it served,
settings that point a pull at it, and the bodies a pull landed."""

from __future__ import annotations

import gzip
from pathlib import Path

from eurasia.rawzone import LandingRecord
from eurasia.settings import Settings, load_settings


class RecordingEngine:
    """Wraps an engine and keeps every body it served, to compare with what was landed."""

    def __init__(self, engine):
        self.engine = engine
        self.bodies: list[bytes] = []

    def answer(self, path, query, headers):
        status, out_headers, body = self.engine.answer(path, query, headers)
        self.bodies.append(body)
        return status, out_headers, body


def imf_settings(tmp_path: Path, base_url: str, years: str, **env: str) -> Settings:
    """Settings for a pull of `years` from `base_url`, unpaced (the tests' sleeps are recorded)."""
    return load_settings(
        {
            "EURASIA_YEARS": years,
            "EURASIA_WAREHOUSE": str(tmp_path / "w.duckdb"),
            "IMF_SDMX_BASE_URL": base_url,
            "EURASIA_REQUEST_INTERVAL": "0",
            **env,
        }
    )


def landed_body(settings: Settings, record: LandingRecord) -> bytes:
    return gzip.decompress((settings.raw_zone / record.body_file).read_bytes())
