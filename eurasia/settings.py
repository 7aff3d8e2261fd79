"""Settings from environment variables, checked before any request is made.

Every setting has one name, one default and one validation rule here, so a typo such as
EURASIA_YEARS=2024-2000 stops the run with a message that says how to fix it instead of
surfacing later as a half-finished pull.
"""

from __future__ import annotations

import datetime as dt
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

from eurasia.demo import SNAPSHOT_YEARS  # a constant; eurasia.demo imports nothing heavy

PROJECT_ROOT = Path(__file__).resolve().parent.parent

DEFAULT_COMTRADE_BASE_URL = "https://comtradeapi.un.org"
DEFAULT_IMF_SDMX_BASE_URL = "https://api.imf.org/external/sdmx/2.1"
FIRST_DEFAULT_YEAR = 2000
# Demo and live data never share a file: a demo run must not replace real marts, nor the reverse.
DEFAULT_WAREHOUSES = {
    "snapshot": "warehouse/demo/eurasia.duckdb",
    "live": "warehouse/live/eurasia.duckdb",
}
DEFAULT_TASK_RETRIES = 2
# The Celery queue of the tasks that write the warehouse; one worker serves it (docker-compose).
DEFAULT_WAREHOUSE_QUEUE = "warehouse"
DEFAULT_AIRFLOW_PORT = 8080
SOURCES = ("snapshot", "live")
# The 15 republics became independent states at the end of 1991: nothing is reported by or about
# them for earlier years (UN Comtrade's data for them start in the 1990s). Nothing later than the
# current year can exist.
FIRST_POSSIBLE_YEAR = 1992
# Each API call's total deadline (eurasia.http), the Airflow tasks' execution_timeout, and how long
# the landings of a pull stay reusable by a rerun of the same plan (eurasia.rawzone: resume).
DEFAULT_REQUEST_DEADLINE_SECONDS = 180.0
DEFAULT_TASK_TIMEOUT_MINUTES = 180
DEFAULT_REUSE_HOURS = 72.0
# The IMF's SDMX APIs give no reliable "last updated" per series, so IMF pulls are redone only
# when the last complete one was landed more than this many days ago (eurasia.pipeline).
DEFAULT_IMF_REFRESH_DAYS = 90.0


def default_years(source: str = "snapshot", *, today: dt.date | None = None) -> str:
    """The demo snapshot's own years, whatever the date; live: 2000 to last year (annual data
    for the current year cannot exist yet). What to fetch may follow the clock; what a
    snapshot holds does not."""
    if source == "snapshot":
        return SNAPSHOT_YEARS
    today = today or dt.date.today()
    return f"{FIRST_DEFAULT_YEAR}-{today.year - 1}"


class SettingsError(ValueError):
    """A setting is malformed. The message names the variable and a valid example."""


@dataclass(frozen=True)
class YearRange:
    first: int
    last: int

    def __iter__(self):
        return iter(range(self.first, self.last + 1))

    def __len__(self) -> int:
        return self.last - self.first + 1

    def __str__(self) -> str:
        return f"{self.first}-{self.last}"


@dataclass(frozen=True)
class Settings:
    source: str
    years: YearRange
    warehouse_path: Path
    raw_zone: Path
    published_path: Path
    comtrade_base_url: str
    imf_base_url: str
    # Keys are kept out of repr() so that a logged Settings object never leaks them.
    comtrade_api_key: str | None = field(default=None, repr=False)
    imf_api_key: str | None = field(default=None, repr=False)
    request_interval_seconds: float | None = None
    task_retries: int = DEFAULT_TASK_RETRIES
    # Accept answers that shrink loaded data without a new release (eurasia.shrink_guard).
    full_refresh: bool = False
    request_deadline_seconds: float = DEFAULT_REQUEST_DEADLINE_SECONDS
    task_timeout_minutes: int = DEFAULT_TASK_TIMEOUT_MINUTES
    reuse_hours: float = DEFAULT_REUSE_HOURS
    imf_refresh_days: float = DEFAULT_IMF_REFRESH_DAYS
    warehouse_queue: str = DEFAULT_WAREHOUSE_QUEUE
    # A webhook URL often is its own secret (the token is in the path): never shown.
    alert_webhook_url: str | None = field(default=None, repr=False)

    @property
    def comtrade_keyed(self) -> bool:
        return bool(self.comtrade_api_key)

    @property
    def lock_path(self) -> Path:
        return self.warehouse_path.with_name(self.warehouse_path.name + ".lock")

    def describe(self) -> str:
        """One line a person can read in a log, without secrets."""
        if self.source == "snapshot":
            return (
                f"source=snapshot (bundled demo data, no network) years={self.years} "
                f"warehouse={self.warehouse_path}"
            )
        comtrade_mode = "keyed" if self.comtrade_keyed else "keyless preview"
        return (
            f"source={self.source} years={self.years} warehouse={self.warehouse_path} "
            f"comtrade={self.comtrade_base_url} ({comtrade_mode}) imf={self.imf_base_url}"
        )


def parse_years(text: str, *, today: dt.date | None = None) -> YearRange:
    today = today or dt.date.today()
    match = re.fullmatch(r"\s*(\d{4})\s*(?:-\s*(\d{4})\s*)?", text or "")
    if not match:
        raise SettingsError(
            f"EURASIA_YEARS={text!r} is not a year range; write it as FIRST-LAST, e.g. 2000-2024"
        )
    first = int(match.group(1))
    last = int(match.group(2) or first)
    if first > last:
        raise SettingsError(
            f"EURASIA_YEARS={text!r} runs backwards; "
            f"write the earlier year first, e.g. {last}-{first}"
        )
    if first < FIRST_POSSIBLE_YEAR:
        raise SettingsError(
            f"EURASIA_YEARS={text!r} starts before {FIRST_POSSIBLE_YEAR}: the 15 republics became "
            "independent states at the end of 1991, so there are no data reported by or about "
            "them for earlier years (UN Comtrade's start in the 1990s). Start at "
            f"{FIRST_POSSIBLE_YEAR} or later, e.g. {FIRST_POSSIBLE_YEAR}-{max(last, 2000)}"
        )
    if last > today.year:
        raise SettingsError(
            f"EURASIA_YEARS={text!r} is outside {FIRST_POSSIBLE_YEAR}-{today.year}, "
            "the years for which annual data can exist"
        )
    return YearRange(first, last)


def _base_url(name: str, value: str) -> str:
    parts = urlsplit(value)
    if any(ch in value for ch in "@?#") or parts.username or parts.password:
        # Keys belong in the *_API_KEY variables, which are sent only as a header. The value is
        # not repeated in the message: it may carry a secret, and messages end up in logs.
        key_name = name.split("_", 1)[0] + "_API_KEY"  # COMTRADE_API_KEY, IMF_API_KEY
        raise SettingsError(
            f"{name} must be a plain base URL without credentials, query or fragment; "
            f"put an API key in {key_name} instead"
        )
    try:
        port_ok = parts.port is None or parts.port > 0
    except ValueError:  # urlsplit raises on a port that is not a number in 0-65535
        port_ok = False
    if parts.scheme not in ("http", "https") or not parts.hostname or not port_ok:
        raise SettingsError(f"{name}={value!r} is not an http(s) URL, e.g. {name}=https://host")
    return value.rstrip("/")


def _api_key(name: str, value: str | None, base_url: str) -> str | None:
    if value is None or value == "":
        return None
    if not value.isascii() or not value.isprintable() or any(ch.isspace() for ch in value):
        raise SettingsError(
            f"{name} must be printable ASCII without spaces (HTTP headers carry nothing else); "
            "paste the key alone"
        )
    parts = urlsplit(base_url)
    if parts.scheme != "https" and parts.hostname not in ("127.0.0.1", "localhost", "::1"):
        raise SettingsError(
            f"{name} is set but the API base URL is not https: the key would travel unencrypted. "
            "Use an https:// base URL."
        )
    return value


def _task_retries(value: str | None) -> int:
    if value in (None, ""):
        return DEFAULT_TASK_RETRIES
    if not value.isdigit() or int(value) > 10:
        raise SettingsError(f"EURASIA_TASK_RETRIES={value!r} must be a whole number from 0 to 10")
    return int(value)


def _full_refresh(value: str | None) -> bool:
    if value in (None, "", "0"):
        return False
    if value != "1":
        raise SettingsError(
            f"EURASIA_FULL_REFRESH={value!r} must be 1 (accept answers that shrink loaded data, "
            "when the source really withdrew them) or 0 / unset"
        )
    return True


def _interval(value: str | None) -> float | None:
    if value in (None, ""):
        return None
    try:
        seconds = float(value)
    except ValueError:
        seconds = -1.0
    if not 0 <= seconds <= 600:
        raise SettingsError(
            f"EURASIA_REQUEST_INTERVAL={value!r} must be a number of seconds from 0 to 600"
        )
    return seconds


def _queue(value: str | None) -> str:
    if value in (None, ""):
        return DEFAULT_WAREHOUSE_QUEUE
    if not re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,63}", value):
        raise SettingsError(
            f"EURASIA_WAREHOUSE_QUEUE={value!r} must be a Celery queue name "
            "(letters, digits, '_', '.', '-'), e.g. warehouse"
        )
    return value


def _alert_webhook(value: str | None) -> str | None:
    if value in (None, ""):
        return None
    parts = urlsplit(value)
    local = parts.hostname in ("127.0.0.1", "localhost", "::1")
    # The URL is not repeated in the messages: it may carry the webhook's token.
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise SettingsError("EURASIA_ALERT_WEBHOOK is not an http(s) URL, e.g. https://host/hook")
    if parts.scheme != "https" and not local:
        raise SettingsError(
            "EURASIA_ALERT_WEBHOOK must use https (plain http only to 127.0.0.1): "
            "the alert would travel unencrypted"
        )
    return value


def airflow_port(value: str | None) -> int:
    """AIRFLOW_PORT of `make airflow`: the local API server and UI."""
    if value in (None, ""):
        return DEFAULT_AIRFLOW_PORT
    if not value.isdigit() or not 1 <= int(value) <= 65535:
        raise SettingsError(f"AIRFLOW_PORT={value!r} must be a TCP port from 1 to 65535")
    return int(value)


def _bounded_number(name: str, value: str | None, default: float, low: float, high: float) -> float:
    if value in (None, ""):
        return default
    try:
        number = float(value)
    except ValueError:
        number = float("nan")
    if not low <= number <= high:  # NaN fails too
        raise SettingsError(f"{name}={value!r} must be a number from {low:g} to {high:g}")
    return number


def load_settings(
    env: Mapping[str, str] | None = None, *, today: dt.date | None = None
) -> Settings:
    """Read and validate all settings; raise SettingsError on the first bad one.

    `today` (default: the clock) sets live runs' default years and the latest year allowed."""
    env = os.environ if env is None else env
    source = env.get("EURASIA_SOURCE", "snapshot") or "snapshot"
    if source not in SOURCES:
        raise SettingsError(
            f"EURASIA_SOURCE={source!r} must be 'snapshot' (bundled demo data) or 'live' (the APIs)"
        )
    warehouse = Path(env.get("EURASIA_WAREHOUSE") or DEFAULT_WAREHOUSES[source])
    if not warehouse.is_absolute():
        warehouse = PROJECT_ROOT / warehouse
    if warehouse.suffix != ".duckdb":
        raise SettingsError(
            f"EURASIA_WAREHOUSE={str(warehouse)!r} should name a DuckDB file ending in .duckdb"
        )
    raw_zone = Path(env.get("EURASIA_RAW_ZONE") or warehouse.parent / "raw")
    if not raw_zone.is_absolute():
        raw_zone = PROJECT_ROOT / raw_zone
    published = Path(
        env.get("EURASIA_PUBLISHED") or warehouse.parent / "published" / warehouse.name
    )
    if not published.is_absolute():
        published = PROJECT_ROOT / published
    if published.suffix != ".duckdb" or published == warehouse:
        raise SettingsError(
            f"EURASIA_PUBLISHED={str(published)!r} should name a DuckDB file ending in .duckdb, "
            "other than EURASIA_WAREHOUSE"
        )
    comtrade_base_url = _base_url(
        "COMTRADE_BASE_URL", env.get("COMTRADE_BASE_URL") or DEFAULT_COMTRADE_BASE_URL
    )
    imf_base_url = _base_url(
        "IMF_SDMX_BASE_URL", env.get("IMF_SDMX_BASE_URL") or DEFAULT_IMF_SDMX_BASE_URL
    )
    return Settings(
        source=source,
        years=parse_years(
            env.get("EURASIA_YEARS") or default_years(source, today=today), today=today
        ),
        warehouse_path=warehouse,
        raw_zone=raw_zone,
        published_path=published,
        comtrade_base_url=comtrade_base_url,
        imf_base_url=imf_base_url,
        comtrade_api_key=_api_key(
            "COMTRADE_API_KEY", env.get("COMTRADE_API_KEY"), comtrade_base_url
        ),
        imf_api_key=_api_key("IMF_API_KEY", env.get("IMF_API_KEY"), imf_base_url),
        request_interval_seconds=_interval(env.get("EURASIA_REQUEST_INTERVAL")),
        task_retries=_task_retries(env.get("EURASIA_TASK_RETRIES")),
        full_refresh=_full_refresh(env.get("EURASIA_FULL_REFRESH")),
        request_deadline_seconds=_bounded_number(
            "EURASIA_REQUEST_DEADLINE",
            env.get("EURASIA_REQUEST_DEADLINE"),
            DEFAULT_REQUEST_DEADLINE_SECONDS,
            0.5,
            3600,
        ),
        task_timeout_minutes=int(
            _bounded_number(
                "EURASIA_TASK_TIMEOUT",
                env.get("EURASIA_TASK_TIMEOUT"),
                DEFAULT_TASK_TIMEOUT_MINUTES,
                1,
                1440,
            )
        ),
        # Up to a week: a monthly scheduled run must never reuse the previous month's pull.
        reuse_hours=_bounded_number(
            "EURASIA_REUSE_HOURS", env.get("EURASIA_REUSE_HOURS"), DEFAULT_REUSE_HOURS, 0, 168
        ),
        # 0: every live run pulls the IMF sources again.
        imf_refresh_days=_bounded_number(
            "EURASIA_IMF_REFRESH_DAYS",
            env.get("EURASIA_IMF_REFRESH_DAYS"),
            DEFAULT_IMF_REFRESH_DAYS,
            0,
            3660,
        ),
        warehouse_queue=_queue(env.get("EURASIA_WAREHOUSE_QUEUE")),
        alert_webhook_url=_alert_webhook(env.get("EURASIA_ALERT_WEBHOOK")),
    )
