"""Airflow DAG `eurasia_pipeline`: wiring only; every step lives in eurasia.pipeline.

extract (Comtrade data availability, then Comtrade reporter side, then Comtrade partner side;
IMF DIP, then IMF goods trade, beside them: files only) -> load (DuckDB writer) -> dbt
build (DuckDB writer) -> publish
a read-only copy for analysts and BI (only after dbt build and its tests passed) -> summary.
The two writers run one after the other, hold the warehouse lock while they write, and
max_active_runs=1 keeps a second DAG run from starting beside them.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from airflow.sdk import Param, dag, task

# Both are light to import (requests is imported only when an alert is posted). Settings is
# standard-library only; an invalid value makes this file fail to import with a message naming
# the variable (`make run` checks them earlier).
from eurasia.alerts import task_failed, task_retrying
from eurasia.settings import load_settings

SETTINGS = load_settings()

# Network tasks retry with growing waits: a source that is briefly down or over quota comes back.
# (`make run` sets EURASIA_TASK_RETRIES=0 so that a one-shot run fails fast.)
NETWORK_TASK = {
    "retries": SETTINGS.task_retries,
    "retry_delay": timedelta(minutes=5),
    "retry_exponential_backoff": True,
    "max_retry_delay": timedelta(hours=1),
}
# Warehouse tasks never retry on their own: what fails there (a dbt test, a refused load) fails
# the same way again and needs a person. They share one queue, which the single Celery worker
# holding the warehouse volume serves (docker-compose); LocalExecutor ignores queues.
WAREHOUSE_TASK = {"retries": 0, "queue": SETTINGS.warehouse_queue}

YEARS_PATTERN = r"^\s*\d{4}\s*(-\s*\d{4}\s*)?$"


@dag(
    dag_id="eurasia_pipeline",
    description="Comtrade + IMF DIP -> DuckDB -> dbt marts of China's and Russia's shares",
    schedule="@monthly",
    start_date=datetime(2026, 1, 1),
    catchup=False,
    max_active_runs=1,
    default_args={
        "retries": 0,
        # Every wait is bounded: each API call by EURASIA_REQUEST_DEADLINE, each task by this.
        "execution_timeout": timedelta(minutes=SETTINGS.task_timeout_minutes),
        # One line naming task, run and reason in the task log (and EURASIA_ALERT_WEBHOOK).
        "on_failure_callback": task_failed,
        "on_retry_callback": task_retrying,
    },
    params={
        "years": Param(
            str(SETTINGS.years),
            type="string",
            pattern=YEARS_PATTERN,
            description=(
                "Year range FIRST-LAST (default: EURASIA_YEARS, else the demo snapshot's "
                "years, or for live data 2000 to last year)"
            ),
        ),
        # Default: only what the sources released since the last load (Comtrade reporter-years
        # new or revised in the data availability; IMF pulls older than EURASIA_IMF_REFRESH_DAYS).
        "full_refresh": Param(
            False,
            type="boolean",
            description=(
                "Fetch every reporter-year and IMF pull again, and accept answers that shrink "
                "loaded data (as EURASIA_FULL_REFRESH=1)"
            ),
        ),
    },
    tags=["eurasia", "comtrade", "imf"],
)
def eurasia_pipeline():
    # Comtrade's data availability first (what the source has released), then the two Comtrade
    # pulls, one after the other: in parallel they would multiply the pace the API is asked at.
    # The IMF pulls (direct investment; goods trade by partner) go alongside.
    @task(**NETWORK_TASK)
    def extract_comtrade_availability(params=None) -> str:
        from eurasia.pipeline import extract_comtrade_availability

        return extract_comtrade_availability(params["years"], params["full_refresh"])

    # Each pull asks only what the availability landed by this run lists as new or revised.
    @task(**NETWORK_TASK)
    def extract_comtrade_reporter_side(availability_folder: str, params=None) -> str:
        from eurasia.pipeline import extract_comtrade

        return extract_comtrade(
            "reporter", params["years"], availability_folder, params["full_refresh"]
        )

    @task(**NETWORK_TASK)
    def extract_comtrade_partner_side(availability_folder: str, params=None) -> str:
        from eurasia.pipeline import extract_comtrade

        return extract_comtrade(
            "mirror", params["years"], availability_folder, params["full_refresh"]
        )

    @task(**NETWORK_TASK)
    def extract_imf_direct_investment(params=None) -> str:
        from eurasia.pipeline import extract_fdi

        return extract_fdi(params["years"], params["full_refresh"])

    @task(**NETWORK_TASK)
    def extract_imf_goods_trade(params=None) -> str:
        from eurasia.pipeline import extract_imf_goods_trade

        return extract_imf_goods_trade(params["years"], params["full_refresh"])

    # run_id (Airflow's, from the task context) names the run in the releases it loaded and in
    # marts.share_changes.
    @task(**WAREHOUSE_TASK)
    def load_raw_tables(run_folders: list[str], params=None, run_id=None) -> list[dict]:
        from eurasia.pipeline import load_runs

        return load_runs(run_folders, params["years"], params["full_refresh"], run_id)

    @task(**WAREHOUSE_TASK)
    def dbt_build_marts(_loaded, params=None, run_id=None) -> dict:
        from eurasia.pipeline import build_marts

        return build_marts(params["years"], run_id)

    @task(**WAREHOUSE_TASK)
    def publish_warehouse(_built, params=None) -> str:
        from eurasia.pipeline import publish_warehouse

        return publish_warehouse(params["years"])

    @task(**WAREHOUSE_TASK)
    def print_summary(_published, params=None, run_id=None) -> str:
        from eurasia.pipeline import summarise

        return summarise(params["years"], run_id)

    availability = extract_comtrade_availability()
    reporter_side = extract_comtrade_reporter_side(availability)
    partner_side = extract_comtrade_partner_side(availability)
    reporter_side >> partner_side
    # The two IMF pulls ask one API too: one after the other, so that its pace holds.
    direct_investment, goods_trade = extract_imf_direct_investment(), extract_imf_goods_trade()
    direct_investment >> goods_trade
    runs = [availability, reporter_side, partner_side, direct_investment, goods_trade]
    print_summary(publish_warehouse(dbt_build_marts(load_raw_tables(runs))))


eurasia_pipeline()
