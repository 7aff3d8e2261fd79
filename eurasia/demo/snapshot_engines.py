"""Engines loaded with the bundled synthetic snapshot (DEMO DATA)."""

from __future__ import annotations

import gzip
import json
from functools import cache

from eurasia.demo import SNAPSHOT_DIR

COMTRADE_SNAPSHOT = SNAPSHOT_DIR / "comtrade_annual_totals.json.gz"
IMF_DIP_SNAPSHOT = SNAPSHOT_DIR / "imf_dip_positions.csv.gz"


@cache
def _comtrade_records() -> tuple[dict, ...]:
    with gzip.open(COMTRADE_SNAPSHOT, "rt", encoding="utf-8") as f:
        return tuple(json.load(f)["data"])


@cache
def _imf_csv_text() -> str:
    with gzip.open(IMF_DIP_SNAPSHOT, "rt", encoding="utf-8") as f:
        return f.read()


def snapshot_routes(comtrade_key: str | None = None, imf_key: str | None = None) -> dict:
    """Engines keyed by name: 'comtrade' and 'imf' (netlocs of snapshot:// and HTTP prefixes)."""
    return dict(_engines(comtrade_key, imf_key))


@cache
def _engines(comtrade_key: str | None, imf_key: str | None) -> tuple:
    # Engines only read their data after construction, so one set per process serves every
    # extract step; indexing the Comtrade snapshot takes most of a second.
    from eurasia.demo.comtrade_api import ComtradeEngine
    from eurasia.demo.imf_api import ImfDipEngine
    from eurasia.demo.imf_imts_api import ImfDataflows, bundled_imts_engine

    # One IMF base URL serves both dataflows, as the real API does. IMTS answers come from the
    # bundled REAL DOTS workbooks (not the synthetic snapshot), read on the first IMTS request.
    imf = ImfDataflows(
        {"IMF.STA,IMTS": bundled_imts_engine(imf_key)},
        default=ImfDipEngine(_imf_csv_text(), api_key=imf_key),
    )
    return (
        ("comtrade", ComtradeEngine(list(_comtrade_records()), api_key=comtrade_key)),
        ("imf", imf),
    )
