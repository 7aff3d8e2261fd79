"""Keys for live runs come from the environment or from Airflow Connections."""

from __future__ import annotations

import json

import pytest

from eurasia.pipeline import settings_for_run
from eurasia.settings import SettingsError


@pytest.fixture
def live_env(monkeypatch, tmp_path):
    monkeypatch.setenv("EURASIA_SOURCE", "live")
    monkeypatch.setenv("EURASIA_WAREHOUSE", str(tmp_path / "w.duckdb"))
    for var in ("COMTRADE_API_KEY", "IMF_API_KEY", "AIRFLOW_CONN_COMTRADE_API"):
        monkeypatch.delenv(var, raising=False)
    return monkeypatch


def connection(password: str) -> str:
    return json.dumps({"conn_type": "generic", "password": password})


def test_key_from_airflow_connection_when_environment_has_none(live_env):
    live_env.setenv("AIRFLOW_CONN_COMTRADE_API", connection("from-connection-123"))
    settings = settings_for_run()
    assert settings.comtrade_api_key == "from-connection-123"
    assert settings.imf_api_key is None
    assert "from-connection-123" not in repr(settings)


def test_environment_key_wins_over_connection(live_env):
    live_env.setenv("AIRFLOW_CONN_COMTRADE_API", connection("from-connection-123"))
    live_env.setenv("COMTRADE_API_KEY", "from-env-456")
    assert settings_for_run().comtrade_api_key == "from-env-456"


def test_no_key_anywhere_means_keyless(live_env):
    assert settings_for_run().comtrade_api_key is None


def test_years_param_overrides_environment_and_is_validated(live_env):
    live_env.setenv("EURASIA_YEARS", "2000-2025")
    assert str(settings_for_run("2010-2012").years) == "2010-2012"
    with pytest.raises(SettingsError, match="EURASIA_YEARS"):
        settings_for_run("2012-2010")
