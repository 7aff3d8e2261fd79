"""The pipeline's steps as plain functions: Airflow tasks call these, and so can a person.

extract_* pull from an API (or the bundled demo snapshot) into the raw zone and return the
run folder; load_runs loads completed runs into DuckDB raw tables; build_marts runs dbt;
summarise prints what a person wants to see at the end of a run.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import logging
import os
from pathlib import Path

from eurasia import demo
from eurasia.rawzone import MANIFEST, RawZoneRun, new_run_id
from eurasia.settings import Settings, load_settings

log = logging.getLogger(__name__)

COMTRADE_DATASETS = ("reporter", "mirror")
# The Airflow run id, read by the share history models (dbt_project/models/marts/share_*.sql).
PIPELINE_RUN_ENV = "EURASIA_PIPELINE_RUN"
# A deployed Airflow keeps secrets in Connections: the key is the connection's password.
KEY_CONNECTIONS = {"COMTRADE_API_KEY": "comtrade_api", "IMF_API_KEY": "imf_api"}


def settings_for_run(years: str | None = None, full_refresh: bool = False) -> Settings:
    """Settings from the environment; `years` (an Airflow Param) overrides EURASIA_YEARS, and
    `full_refresh` (an Airflow Param) sets EURASIA_FULL_REFRESH=1: fetch every reporter-year
    and IMF pull again, and accept answers that shrink loaded data.

    API keys come from the environment or, failing that, from the Airflow Connections
    `comtrade_api` / `imf_api` (password field) of a live run.
    """
    env = dict(os.environ)
    if years:
        env["EURASIA_YEARS"] = years
    if full_refresh:
        env["EURASIA_FULL_REFRESH"] = "1"
    if env.get("EURASIA_SOURCE") == "live":
        env.update(_keys_from_airflow_connections(env))
    settings = load_settings(env)
    _mask_in_airflow_logs(settings.comtrade_api_key, settings.imf_api_key)
    return settings


def _mask_in_airflow_logs(*secrets: str | None) -> None:
    """Airflow masks Connection passwords in task logs by itself, but not environment values."""
    try:
        from airflow.sdk.log import mask_secret
    except ImportError:
        return
    for secret in secrets:
        if secret:
            mask_secret(secret)


def _keys_from_airflow_connections(env: dict[str, str]) -> dict[str, str]:
    missing = [var for var in KEY_CONNECTIONS if not env.get(var)]
    if not missing:
        return {}
    try:
        from airflow.sdk import BaseHook
        from airflow.sdk.exceptions import AirflowNotFoundException
    except ImportError:  # the package used outside Airflow
        return {}
    found = {}
    for var in missing:
        try:
            password = BaseHook.get_connection(KEY_CONNECTIONS[var]).password
        except AirflowNotFoundException:
            continue
        if password:
            found[var] = password
    return found


def _source_session(settings: Settings):
    """For the offline snapshot: point the clients at in-process demo engines, no keys."""
    if settings.source == "live":
        return settings, None, "live"
    from eurasia.demo.adapter import snapshot_session
    from eurasia.demo.snapshot_engines import snapshot_routes

    offline = dataclasses.replace(
        settings,
        comtrade_base_url="snapshot://comtrade",
        imf_base_url="snapshot://imf",
        comtrade_api_key=None,
        imf_api_key=None,
        request_interval_seconds=0.0,
    )
    log.warning(demo.DEMO_NOTICE)
    return offline, snapshot_session(snapshot_routes()), demo.VINTAGE


def extract_comtrade(
    dataset: str,
    years: str | None = None,
    availability_folder: str | None = None,
    full_refresh: bool = False,
) -> str:
    """Only the reporter-years new or revised in the availability run `availability_folder`
    (default: the newest landed) since the warehouse loaded them; all with full_refresh."""
    if dataset not in COMTRADE_DATASETS:
        raise ValueError(f"Comtrade dataset must be one of {COMTRADE_DATASETS}, not {dataset!r}")
    from eurasia.comtrade import client

    settings = settings_for_run(years, full_refresh)
    log.info("extracting Comtrade %s side: %s", dataset, settings.describe())
    settings, session, vintage = _source_session(settings)
    run = RawZoneRun(settings.raw_zone, "comtrade", dataset, new_run_id(), vintage)
    availability_run = Path(availability_folder) if availability_folder else None
    client.extract(settings, dataset, run, session=session, availability_run=availability_run)
    return str(run.folder)


def extract_comtrade_availability(years: str | None = None, full_refresh: bool = False) -> str:
    """UN Comtrade's data availability for every reporter and the years: what is released."""
    from eurasia.comtrade import availability

    settings = settings_for_run(years, full_refresh)
    log.info("extracting Comtrade data availability: %s", settings.describe())
    settings, session, vintage = _source_session(settings)
    run = RawZoneRun(settings.raw_zone, "comtrade", availability.DATASET, new_run_id(), vintage)
    availability.extract(settings, run, session=session)
    return str(run.folder)


def recent_imf_run(settings: Settings, source: str, dataset: str) -> str | None:
    """The newest complete live pull of an IMF source for the same years, if it was landed less
    than settings.imf_refresh_days ago: the IMF's SDMX APIs say nothing reliable about when a
    series was last updated, so its pulls are redone on this slower schedule instead. Decided
    by the landed extraction times (the manifests), never by what the marts hold."""
    if settings.source != "live" or settings.full_refresh or settings.imf_refresh_days <= 0:
        return None
    now = dt.datetime.now(dt.UTC)
    found = []
    for manifest_file in (settings.raw_zone / source / dataset).glob(f"run=*/{MANIFEST}"):
        manifest = json.loads(manifest_file.read_text())
        completed = dt.datetime.fromisoformat(manifest["completed_at"])
        if manifest.get("vintage") == "live" and manifest["years"] == list(settings.years):
            found.append((completed, str(manifest_file.parent)))
    if not found:
        return None
    completed, folder = max(found)
    if now - completed >= dt.timedelta(days=settings.imf_refresh_days):
        return None
    log.info(
        "%s/%s: the pull %s was landed at %s, less than EURASIA_IMF_REFRESH_DAYS=%g days ago: "
        "not asked again (full_refresh asks anyway)",
        source,
        dataset,
        folder,
        completed.isoformat(),
        settings.imf_refresh_days,
    )
    return folder


def extract_fdi(years: str | None = None, full_refresh: bool = False) -> str:
    from eurasia.imf import client

    settings = settings_for_run(years, full_refresh)
    recent = recent_imf_run(settings, "imf_dip", "dip")
    if recent:
        return recent
    log.info("extracting IMF direct investment positions: %s", settings.describe())
    settings, session, vintage = _source_session(settings)
    run = RawZoneRun(settings.raw_zone, "imf_dip", "dip", new_run_id(), vintage)
    client.extract(settings, run, session=session)
    return str(run.folder)


def extract_imf_goods_trade(years: str | None = None, full_refresh: bool = False) -> str:
    """The IMF's goods trade by partner: live, the IMTS API; offline, the bundled workbooks.

    The offline copy is REAL data (IMF DOTS, February 2022 vintage), not the synthetic demo
    snapshot: it lands with its own vintage, and all of it whatever the years asked (the marts
    select their years)."""
    settings = settings_for_run(years, full_refresh)
    if settings.source == "live":
        from eurasia.imf import imts

        recent = recent_imf_run(settings, imts.SOURCE, imts.DATASET)
        if recent:
            return recent

        log.info("extracting IMF goods trade by partner (IMTS): %s", settings.describe())
        run = RawZoneRun(settings.raw_zone, imts.SOURCE, imts.DATASET, new_run_id(), "live")
        imts.extract(settings, run)
    else:
        from eurasia.imf import dots

        log.info("landing the bundled IMF DOTS workbooks: REAL data, vintage %s", dots.VINTAGE)
        run = RawZoneRun(settings.raw_zone, dots.SOURCE, dots.DATASET, new_run_id(), dots.VINTAGE)
        dots.extract(run)
    return str(run.folder)


def load_runs(
    run_folders: list[str],
    years: str | None = None,
    full_refresh: bool = False,
    pipeline_run: str | None = None,
) -> list[dict]:
    """Load completed extraction runs in one transaction: all of them or none. A run already
    loaded whole (an IMF pull not asked again, see recent_imf_run) is not loaded again."""
    from eurasia.loader import already_loaded
    from eurasia.loader import load_runs as load_all
    from eurasia.run_claim import holding_warehouse
    from eurasia.warehouse import connect_for_writing

    settings = settings_for_run(years, full_refresh)
    # The run holds the warehouse from here to its summary: no other run's load, build or
    # publication can come in between.
    with (
        holding_warehouse(settings, take=True),
        connect_for_writing(settings.warehouse_path, settings.lock_path) as con,
    ):
        folders = [Path(folder) for folder in run_folders]
        results = load_all(
            con,
            settings.raw_zone,
            [folder for folder in folders if not already_loaded(con, folder)],
            full_refresh=settings.full_refresh,
            pipeline_run=pipeline_run,
        )
    return [dataclasses.asdict(result) for result in results]


def build_marts(years: str | None = None, pipeline_run: str | None = None) -> dict:
    """dbt build; the pipeline run id names this run's rows of marts.share_versions and
    marts.share_changes (models read it from EURASIA_PIPELINE_RUN)."""
    from eurasia.run_claim import holding_warehouse
    from eurasia.transform import dbt_build

    settings = settings_for_run(years)
    if pipeline_run:
        os.environ[PIPELINE_RUN_ENV] = pipeline_run
    with holding_warehouse(settings):
        return dataclasses.asdict(dbt_build(settings))


def publish_warehouse(years: str | None = None) -> str:
    from eurasia.publish import publish
    from eurasia.run_claim import holding_warehouse

    settings = settings_for_run(years)
    with holding_warehouse(settings):
        return str(publish(settings))


def summarise(years: str | None = None, pipeline_run: str | None = None) -> str:
    from eurasia.report import run_summary
    from eurasia.run_claim import holding_warehouse

    settings = settings_for_run(years)
    with holding_warehouse(settings, release=True):
        text = run_summary(settings, pipeline_run)
    summary_log = logging.getLogger("eurasia.summary")
    for line in text.splitlines():
        summary_log.info("%s", line)
    return text
