"""Task failures made visible: one line in the task log, and optionally a webhook post.

Airflow calls `task_failed` (on_failure_callback) once a task has failed for good and
`task_retrying` (on_retry_callback) when it will be tried again. The line names the DAG, task,
run and try and the exception's first line, so an operator scanning logs sees what broke without
reading a traceback. With EURASIA_ALERT_WEBHOOK set, a final failure is also posted there as JSON
(`{"text": line, ...}`, the shape Slack, Mattermost and most chat webhooks accept).
A broken alert never hides the task's own failure: its errors are logged and swallowed.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

log = logging.getLogger(__name__)

WEBHOOK_TIMEOUT_SECONDS = 10
REASON_MAX_CHARS = 300


def failure_line(context: Mapping[str, Any], outcome: str = "FAILED") -> str:
    """`FAILED eurasia_pipeline.load_raw_tables run=... try 1/1: ValueError: first line`."""
    ti = context.get("ti") or context.get("task_instance")
    dag_id = getattr(ti, "dag_id", None) or "?"
    task_id = getattr(ti, "task_id", None) or "?"
    run_id = getattr(ti, "run_id", None) or "?"
    try_number = getattr(ti, "try_number", None)
    max_tries = getattr(ti, "max_tries", None)
    tries = f"try {try_number}/{max_tries + 1}" if try_number and max_tries is not None else ""
    return f"{outcome} {dag_id}.{task_id} run={run_id} {tries}: {reason(context.get('exception'))}"


def reason(exception: BaseException | str | None) -> str:
    """The exception's type and the first line of its message, shortened; never a traceback."""
    if exception is None:
        return "no exception recorded (killed, timed out or marked failed by hand?)"
    if isinstance(exception, str):
        text, kind = exception, ""
    else:
        text, kind = str(exception), type(exception).__name__
    first = next((line.strip() for line in text.splitlines() if line.strip()), "")
    if len(first) > REASON_MAX_CHARS:
        first = first[: REASON_MAX_CHARS - 1] + "…"
    return f"{kind}: {first}" if kind and first else kind or first or "(no message)"


def task_failed(context: Mapping[str, Any]) -> None:
    line = failure_line(context)
    log.error("%s", line)
    try:
        from eurasia.settings import load_settings

        webhook = load_settings().alert_webhook_url
    except Exception as exc:  # a bad setting must not mask the task's own failure
        log.warning("alert webhook not read: %s", exc)
        return
    if webhook:
        notify(webhook, line, context)


def task_retrying(context: Mapping[str, Any]) -> None:
    log.warning("%s", failure_line(context, outcome="RETRYING"))


def notify(webhook_url: str, line: str, context: Mapping[str, Any]) -> bool:
    """POST the failure to the webhook; True if it answered 2xx. Never raises."""
    import requests

    ti = context.get("ti") or context.get("task_instance")
    exception = context.get("exception")
    payload = {
        "text": line,
        "dag_id": getattr(ti, "dag_id", None),
        "task_id": getattr(ti, "task_id", None),
        "run_id": getattr(ti, "run_id", None),
        "try_number": getattr(ti, "try_number", None),
        "exception": type(exception).__name__ if isinstance(exception, BaseException) else None,
    }
    try:
        # No redirects: the post goes to the configured host only.
        answer = requests.post(
            webhook_url, json=payload, timeout=WEBHOOK_TIMEOUT_SECONDS, allow_redirects=False
        )
    except requests.RequestException as exc:
        # The URL is not logged: a webhook URL usually carries its token.
        log.warning("alert webhook not reached: %s", type(exc).__name__)
        return False
    if not 200 <= answer.status_code < 300:
        log.warning("alert webhook answered HTTP %s", answer.status_code)
        return False
    log.info("failure posted to the alert webhook")
    return True
