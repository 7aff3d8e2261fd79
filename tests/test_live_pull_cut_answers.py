"""A live pull whose answers the stand-in cuts at the preview cap still lands every record.

The stand-in serves the demo data over HTTP on 127.0.0.1 and, like UN Comtrade, silently cuts
any answer at 500 records. The planner is made to underestimate the number of reporters, so its
partner-side requests come back cut; the client must notice, split them, and the marts must
still equal the arithmetic of everything that was served.
"""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import duckdb
import pytest

from eurasia import pipeline
from eurasia.comtrade import plan
from eurasia.demo.snapshot_engines import COMTRADE_SNAPSHOT, snapshot_routes
from eurasia.demo.standin import StandinServer
from eurasia.rawzone import read_manifest

pytestmark = pytest.mark.slow

YEARS = (2014, 2016)
TKM, CHN, EU = 795, 156, 97
REPUBLIC_CODES = {51, 31, 112, 233, 268, 398, 417, 428, 440, 498, 643, 762, 795, 804, 860}


def test_answers_cut_at_the_cap_are_split_and_nothing_is_lost(tmp_path, monkeypatch):
    with gzip.open(COMTRADE_SNAPSHOT, "rt") as f:
        served = [r for r in json.load(f)["data"] if YEARS[0] <= r["refYear"] <= YEARS[1]]
    # About 35 reporters answer for each republic and year; planning for 12 packs several
    # republic-years into one request, whose answer then exceeds 500 records and is cut.
    monkeypatch.setattr(plan, "REPORTERS_UPPER_BOUND", 12)
    routes = {f"/{name}": engine for name, engine in snapshot_routes().items()}
    warehouse = tmp_path / "eurasia.duckdb"
    with StandinServer(routes) as server:
        for var, value in {
            "EURASIA_SOURCE": "live",
            "EURASIA_WAREHOUSE": str(warehouse),
            "EURASIA_YEARS": f"{YEARS[0]}-{YEARS[1]}",
            "EURASIA_REQUEST_INTERVAL": "0",
            "COMTRADE_BASE_URL": server.url + "/comtrade",
            "IMF_SDMX_BASE_URL": server.url + "/imf",
        }.items():
            monkeypatch.setenv(var, value)
        monkeypatch.delenv("COMTRADE_API_KEY", raising=False)
        monkeypatch.delenv("IMF_API_KEY", raising=False)
        runs = [
            pipeline.extract_comtrade("reporter"),
            pipeline.extract_comtrade("mirror"),
            pipeline.extract_fdi(),
        ]
    mirror_summary = read_manifest(Path(runs[1]))["summary"]
    assert mirror_summary["requests_split"] > 0
    assert mirror_summary["calls_made"] > mirror_summary["calls_planned"]

    pipeline.load_runs(runs)
    pipeline.build_marts()

    with duckdb.connect(str(warehouse), read_only=True) as con:
        loaded = con.execute(
            "select count(*) from raw.comtrade_records where dataset = 'mirror'"
        ).fetchone()[0]
        (tkm_share,) = con.execute(
            "select share from marts.trade_shares where republic_iso3 = 'TKM' and year = 2015 "
            "and flow = 'import' and partner_iso3 = 'CHN' and basis = 'mirror'"
        ).fetchone()
    assert loaded == sum(1 for r in served if r["partnerCode"] in REPUBLIC_CODES)
    exports_to_tkm = {
        r["reporterCode"]: r["primaryValue"]
        for r in served
        if r["partnerCode"] == TKM and r["flowCode"] == "X" and r["refYear"] == 2015
    }
    world = sum(v for reporter, v in exports_to_tkm.items() if reporter not in (EU, TKM))
    assert tkm_share == pytest.approx(exports_to_tkm[CHN] / world)
