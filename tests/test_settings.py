"""Settings: defaults, and every malformed value refused before any request, naming the variable."""

from __future__ import annotations

import datetime as dt

import pytest

from eurasia.settings import (
    DEFAULT_COMTRADE_BASE_URL,
    DEFAULT_IMF_SDMX_BASE_URL,
    PROJECT_ROOT,
    SettingsError,
    YearRange,
    load_settings,
    parse_years,
)

COMTRADE_KEY = "ct-Secret-4a1f9e"
IMF_KEY = "imf-Secret-77b2c0"
THIS_YEAR = dt.date.today().year


def test_defaults():
    settings = load_settings({})

    assert settings.source == "snapshot"
    # The demo snapshot's own years, whatever the date (tests/test_default_years.py).
    assert settings.years == YearRange(2000, 2025)
    assert list(settings.years) == list(range(2000, 2026))
    demo = PROJECT_ROOT / "warehouse" / "demo"
    assert settings.warehouse_path == demo / "eurasia.duckdb"
    assert settings.raw_zone == demo / "raw"
    assert settings.published_path == demo / "published" / "eurasia.duckdb"
    assert settings.lock_path == demo / "eurasia.duckdb.lock"
    assert settings.task_retries == 2
    assert settings.comtrade_base_url == DEFAULT_COMTRADE_BASE_URL == "https://comtradeapi.un.org"
    assert settings.imf_base_url == DEFAULT_IMF_SDMX_BASE_URL
    assert settings.comtrade_api_key is None and settings.imf_api_key is None
    assert not settings.comtrade_keyed
    assert settings.request_interval_seconds is None


def test_empty_values_mean_the_default():
    empty = {
        name: ""
        for name in (
            "EURASIA_SOURCE",
            "EURASIA_YEARS",
            "EURASIA_WAREHOUSE",
            "EURASIA_RAW_ZONE",
            "COMTRADE_BASE_URL",
            "IMF_SDMX_BASE_URL",
            "COMTRADE_API_KEY",
            "IMF_API_KEY",
            "EURASIA_REQUEST_INTERVAL",
            "EURASIA_REQUEST_DEADLINE",
            "EURASIA_TASK_TIMEOUT",
            "EURASIA_REUSE_HOURS",
        )
    }
    assert load_settings(empty) == load_settings({})


def test_valid_values_are_taken():
    settings = load_settings(
        {
            "EURASIA_SOURCE": "live",
            "EURASIA_YEARS": " 2010 - 2012 ",
            "COMTRADE_BASE_URL": "http://127.0.0.1:8765/comtrade/",
            "IMF_SDMX_BASE_URL": "https://api.imf.org/external/sdmx/2.1/",
            "COMTRADE_API_KEY": COMTRADE_KEY,
            "EURASIA_REQUEST_INTERVAL": "1.5",
        }
    )
    assert settings.source == "live"
    assert settings.years == YearRange(2010, 2012) and str(settings.years) == "2010-2012"
    assert settings.comtrade_base_url == "http://127.0.0.1:8765/comtrade"  # trailing / dropped
    assert settings.imf_base_url == "https://api.imf.org/external/sdmx/2.1"
    assert settings.comtrade_api_key == COMTRADE_KEY and settings.comtrade_keyed
    assert settings.request_interval_seconds == 1.5
    assert load_settings({"EURASIA_REQUEST_INTERVAL": "0"}).request_interval_seconds == 0.0


@pytest.mark.parametrize("years", ["1985-1990", "1990-2000", "1991"])
def test_years_before_the_republics_existed_are_refused_before_any_request(years):
    with pytest.raises(SettingsError) as raised:
        load_settings({"EURASIA_YEARS": years, "EURASIA_SOURCE": "live"})
    message = str(raised.value)
    assert "starts before 1992" in message and "end of 1991" in message
    assert "e.g. 1992-2000" in message
    assert load_settings({"EURASIA_YEARS": "1992-1995"}).years == YearRange(1992, 1995)


def test_waits_and_reuse_have_defaults_and_take_values():
    default = load_settings({})
    assert default.request_deadline_seconds == 180.0
    assert default.task_timeout_minutes == 180
    assert default.reuse_hours == 72.0
    settings = load_settings(
        {
            "EURASIA_REQUEST_DEADLINE": "1.5",
            "EURASIA_TASK_TIMEOUT": "30",
            "EURASIA_REUSE_HOURS": "0",
        }
    )
    assert settings.request_deadline_seconds == 1.5
    assert settings.task_timeout_minutes == 30
    assert settings.reuse_hours == 0.0


def test_a_single_year_is_a_range_of_one():
    assert parse_years("2015") == YearRange(2015, 2015)
    assert list(parse_years("2015")) == [2015]


def test_the_current_year_is_allowed_and_the_next_is_not():
    today = dt.date(2030, 6, 1)
    assert parse_years("1992-2030", today=today) == YearRange(1992, 2030)
    with pytest.raises(SettingsError, match="outside 1992-2030"):
        parse_years("2000-2031", today=today)


def test_relative_paths_are_resolved_under_the_project_root():
    settings = load_settings(
        {"EURASIA_WAREHOUSE": "scratch/test.duckdb", "EURASIA_RAW_ZONE": "scratch/landed"}
    )
    assert settings.warehouse_path == PROJECT_ROOT / "scratch" / "test.duckdb"
    assert settings.warehouse_path.is_absolute()
    assert settings.raw_zone == PROJECT_ROOT / "scratch" / "landed"
    assert settings.lock_path == PROJECT_ROOT / "scratch" / "test.duckdb.lock"


def test_raw_zone_defaults_to_next_to_the_warehouse(tmp_path):
    settings = load_settings({"EURASIA_WAREHOUSE": str(tmp_path / "w.duckdb")})
    assert settings.warehouse_path == tmp_path / "w.duckdb"
    assert settings.raw_zone == tmp_path / "raw"


@pytest.mark.parametrize(
    ("name", "value", "advice"),
    [
        ("EURASIA_YEARS", "2024-2000", "write the earlier year first, e.g. 2000-2024"),
        ("EURASIA_YEARS", "20x0", "FIRST-LAST"),
        ("EURASIA_YEARS", "2000-", "FIRST-LAST"),
        ("EURASIA_YEARS", "2000..2010", "FIRST-LAST"),
        ("EURASIA_YEARS", "1950-1960", "starts before 1992"),
        ("EURASIA_YEARS", f"2000-{THIS_YEAR + 1}", f"outside 1992-{THIS_YEAR}"),
        ("EURASIA_YEARS", str(THIS_YEAR + 1), "outside"),
        ("EURASIA_SOURCE", "foo", "'snapshot'"),
        ("EURASIA_SOURCE", "Live", "'live'"),
        ("EURASIA_WAREHOUSE", "warehouse/eurasia.db", ".duckdb"),
        ("EURASIA_WAREHOUSE", "/tmp/warehouse", ".duckdb"),
        ("COMTRADE_BASE_URL", "ftp://x", "http(s) URL"),
        ("COMTRADE_BASE_URL", "comtradeapi.un.org", "http(s) URL"),
        ("COMTRADE_BASE_URL", "https://", "http(s) URL"),
        ("COMTRADE_BASE_URL", "https://host:port", "http(s) URL"),
        ("COMTRADE_BASE_URL", "https://user:pw@host", "without credentials"),
        ("COMTRADE_BASE_URL", "https://host/?subscription-key=abc123", "COMTRADE_API_KEY"),
        ("COMTRADE_BASE_URL", "https://host/#part", "fragment"),
        ("IMF_SDMX_BASE_URL", "ftp://x", "http(s) URL"),
        ("IMF_SDMX_BASE_URL", "https://user:pw@host", "without credentials"),
        ("IMF_SDMX_BASE_URL", "https://host/?subscription-key=abc123", "IMF_API_KEY"),
        ("COMTRADE_API_KEY", "abc def", "spaces"),
        ("COMTRADE_API_KEY", "abc\tdef", "spaces"),
        ("IMF_API_KEY", "abc\x07def", "printable ASCII"),
        ("COMTRADE_API_KEY", "ключ€", "printable ASCII"),
        ("EURASIA_TASK_RETRIES", "lots", "whole number"),
        ("EURASIA_TASK_RETRIES", "99", "whole number"),
        ("EURASIA_REQUEST_INTERVAL", "abc", "number of seconds"),
        ("EURASIA_REQUEST_INTERVAL", "-1", "number of seconds"),
        ("EURASIA_REQUEST_INTERVAL", "601", "from 0 to 600"),
        ("EURASIA_REQUEST_INTERVAL", "nan", "number of seconds"),
        ("EURASIA_REQUEST_DEADLINE", "0", "from 0.5 to 3600"),
        ("EURASIA_REQUEST_DEADLINE", "soon", "number"),
        ("EURASIA_TASK_TIMEOUT", "0", "from 1 to 1440"),
        ("EURASIA_REUSE_HOURS", "720", "from 0 to 168"),
        ("EURASIA_REUSE_HOURS", "-1", "from 0 to 168"),
    ],
)
def test_malformed_value_is_refused_naming_the_variable(name, value, advice):
    with pytest.raises(SettingsError) as raised:
        load_settings({name: value})
    message = str(raised.value)
    assert name in message
    assert advice in message


@pytest.mark.parametrize(
    ("name", "value", "secret"),
    [
        ("COMTRADE_BASE_URL", "https://user:pw-S3cret@host", "pw-S3cret"),
        ("COMTRADE_BASE_URL", "ftp://user:pw-S3cret@host", "pw-S3cret"),
        ("COMTRADE_BASE_URL", "comtradeapi.un.org/?subscription-key=S3cret9", "S3cret9"),
        ("IMF_SDMX_BASE_URL", "https://host?subscription-key=S3cret9", "S3cret9"),
        ("COMTRADE_API_KEY", "S3cret9 extra", "S3cret9"),
        ("IMF_API_KEY", "S3cret9\n", "S3cret9"),
    ],
)
def test_refusal_messages_never_repeat_a_secret(name, value, secret):
    with pytest.raises(SettingsError) as raised:
        load_settings({name: value})
    assert secret not in str(raised.value)


def test_settings_error_is_a_value_error():
    assert issubclass(SettingsError, ValueError)


@pytest.mark.parametrize("source", ["snapshot", "live"])
def test_keys_are_never_in_repr_or_describe(source):
    settings = load_settings(
        {"EURASIA_SOURCE": source, "COMTRADE_API_KEY": COMTRADE_KEY, "IMF_API_KEY": IMF_KEY}
    )
    assert settings.comtrade_api_key == COMTRADE_KEY and settings.imf_api_key == IMF_KEY
    for text in (repr(settings), str(settings), settings.describe()):
        assert COMTRADE_KEY not in text
        assert IMF_KEY not in text


def test_describe_says_what_will_happen():
    snapshot = load_settings({"EURASIA_YEARS": "2010-2011"}).describe()
    assert "source=snapshot" in snapshot and "no network" in snapshot and "2010-2011" in snapshot

    keyless = load_settings({"EURASIA_SOURCE": "live"}).describe()
    assert "keyless preview" in keyless and DEFAULT_COMTRADE_BASE_URL in keyless

    keyed = load_settings({"EURASIA_SOURCE": "live", "COMTRADE_API_KEY": COMTRADE_KEY})
    assert "(keyed)" in keyed.describe()


def test_published_copy_defaults_beside_the_warehouse_and_must_differ_from_it(tmp_path):
    warehouse = tmp_path / "w" / "eurasia.duckdb"
    settings = load_settings({"EURASIA_WAREHOUSE": str(warehouse)})
    assert settings.published_path == tmp_path / "w" / "published" / "eurasia.duckdb"
    for bad in (str(warehouse), str(tmp_path / "out.db")):
        with pytest.raises(SettingsError, match="EURASIA_PUBLISHED"):
            load_settings({"EURASIA_WAREHOUSE": str(warehouse), "EURASIA_PUBLISHED": bad})


def test_live_data_default_to_their_own_warehouse():
    settings = load_settings({"EURASIA_SOURCE": "live"})
    assert settings.warehouse_path == PROJECT_ROOT / "warehouse" / "live" / "eurasia.duckdb"


def test_a_key_is_refused_for_a_plain_http_api_except_on_this_machine():
    with pytest.raises(SettingsError, match="not https"):
        load_settings({"COMTRADE_BASE_URL": "http://comtrade.example", "COMTRADE_API_KEY": "k1"})
    local = load_settings({"COMTRADE_BASE_URL": "http://127.0.0.1:8765", "COMTRADE_API_KEY": "k1"})
    assert local.comtrade_api_key == "k1"
