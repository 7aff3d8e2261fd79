"""Task failures: one readable line in the log, and a post to the alert webhook if one is set."""

from __future__ import annotations

import logging
import socket
from types import SimpleNamespace

import pytest
from webhook_receiver import WebhookReceiver

from eurasia import alerts
from eurasia.settings import SettingsError, load_settings


def failed_context(exception: BaseException | None) -> dict:
    ti = SimpleNamespace(
        dag_id="eurasia_pipeline",
        task_id="load_raw_tables",
        run_id="scheduled__2026-11-01T00:00:00+00:00",
        try_number=1,
        max_tries=0,
    )
    return {"ti": ti, "exception": exception}


def broken_load() -> ValueError:
    try:
        raise ValueError(
            "run=20261101 of comtrade/mirror is older than one already loaded\n  detail"
        )
    except ValueError as exc:
        return exc


def test_a_failure_is_one_line_naming_task_run_try_and_reason(caplog, monkeypatch):
    monkeypatch.delenv("EURASIA_ALERT_WEBHOOK", raising=False)
    with caplog.at_level(logging.INFO, logger="eurasia.alerts"):
        alerts.task_failed(failed_context(broken_load()))
    assert [r.getMessage() for r in caplog.records] == [
        "FAILED eurasia_pipeline.load_raw_tables run=scheduled__2026-11-01T00:00:00+00:00 "
        "try 1/1: ValueError: run=20261101 of comtrade/mirror is older than one already loaded"
    ]
    assert caplog.records[0].levelno == logging.ERROR


def test_reason_is_short_and_says_when_there_is_no_exception():
    assert alerts.reason(RuntimeError("x" * 1000)).startswith("RuntimeError: xxx")
    assert len(alerts.reason(RuntimeError("x" * 1000))) <= len("RuntimeError: ") + 300
    assert alerts.reason(None).startswith("no exception recorded")
    assert alerts.reason(KeyError()) == "KeyError"


def test_a_final_failure_is_posted_to_the_webhook(caplog, monkeypatch):
    with WebhookReceiver() as receiver:
        monkeypatch.setenv("EURASIA_ALERT_WEBHOOK", receiver.url)
        with caplog.at_level(logging.INFO, logger="eurasia.alerts"):
            alerts.task_failed(failed_context(broken_load()))
    [post] = receiver.posts
    assert post["path"] == "/hooks/alerts"
    assert post["json"]["text"] == caplog.records[0].getMessage()
    assert post["json"]["task_id"] == "load_raw_tables"
    assert post["json"]["exception"] == "ValueError"
    assert caplog.records[-1].getMessage() == "failure posted to the alert webhook"


def test_a_retry_is_logged_but_not_posted(caplog, monkeypatch):
    with WebhookReceiver() as receiver:
        monkeypatch.setenv("EURASIA_ALERT_WEBHOOK", receiver.url)
        with caplog.at_level(logging.INFO, logger="eurasia.alerts"):
            alerts.task_retrying(failed_context(broken_load()))
    assert receiver.posts == []
    assert caplog.records[0].getMessage().startswith("RETRYING eurasia_pipeline.load_raw_tables")


def unused_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.mark.parametrize("status", [500, None])
def test_a_broken_webhook_never_raises_nor_logs_its_url(caplog, monkeypatch, status):
    """The task's own failure must stay the story; the URL may carry the webhook's token."""
    if status is None:
        url = f"http://127.0.0.1:{unused_port()}/hooks/secret-token"
        monkeypatch.setenv("EURASIA_ALERT_WEBHOOK", url)
        with caplog.at_level(logging.INFO, logger="eurasia.alerts"):
            alerts.task_failed(failed_context(broken_load()))
    else:
        with WebhookReceiver(status=status) as receiver:
            url = receiver.url
            monkeypatch.setenv("EURASIA_ALERT_WEBHOOK", url)
            with caplog.at_level(logging.INFO, logger="eurasia.alerts"):
                alerts.task_failed(failed_context(broken_load()))
    messages = [r.getMessage() for r in caplog.records]
    assert messages[1] in (
        "alert webhook answered HTTP 500",
        "alert webhook not reached: ConnectionError",
    )
    assert not any(url in m or "/hooks/" in m for m in messages)


@pytest.mark.parametrize(
    "value", ["http://alerts.example.org/hooks/T0KEN", "ftp://127.0.0.1/x", "not a url"]
)
def test_webhook_setting_refuses_plain_http_off_this_machine_without_echoing_it(value):
    with pytest.raises(SettingsError, match="EURASIA_ALERT_WEBHOOK") as error:
        load_settings({"EURASIA_ALERT_WEBHOOK": value})
    assert "T0KEN" not in str(error.value)
    assert load_settings(
        {"EURASIA_ALERT_WEBHOOK": "https://alerts.example.org/h"}
    ).alert_webhook_url
    assert "example" not in repr(load_settings({"EURASIA_ALERT_WEBHOOK": "https://example.org/h"}))


def test_queue_and_port_settings_are_checked():
    assert load_settings({}).warehouse_queue == "warehouse"
    assert load_settings({"EURASIA_WAREHOUSE_QUEUE": "wh-1"}).warehouse_queue == "wh-1"
    with pytest.raises(SettingsError, match="EURASIA_WAREHOUSE_QUEUE"):
        load_settings({"EURASIA_WAREHOUSE_QUEUE": "two words"})
    from eurasia.settings import airflow_port

    assert airflow_port(None) == 8080
    assert airflow_port("18080") == 18080
    for bad in ("0", "70000", "http"):
        with pytest.raises(SettingsError, match="AIRFLOW_PORT"):
            airflow_port(bad)
