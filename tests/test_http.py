"""PoliteGetter behaviours the client tests do not reach: date Retry-After, the retry budget and
its backoff, the wait cap, exact pacing, secret scrubbing and URL building.

(429 with seconds, the wait in the body, one 503 or dropped connection, 401/403 and other 4xx
are covered through the clients in test_comtrade_client.py and test_imf_client.py.)
A fake session answers and nothing sleeps for real, except in the tests of the call deadline, an
unknown host and a trickling server, which go over real sockets (a stand-in on 127.0.0.1, a
resolver stubbed) with deadlines of a second or two.
"""

from __future__ import annotations

import email.utils
import logging
import socket
import time

import pytest
import requests

from eurasia.demo.standin import Fault, StandinServer
from eurasia.http import ApiError, ApiUnavailableError, PoliteGetter, build_url, retry_after_seconds

SECRET = "k3y-S3cret-0a9f"
URL = "https://api.example.test/data?x=1"


def response(status: int, body: bytes = b"", headers: dict | None = None) -> requests.Response:
    answer = requests.Response()
    answer.status_code = status
    answer._content = body
    answer.headers.update(headers or {})
    answer.encoding = "utf-8"
    answer.url = URL
    return answer


class FakeSession:
    """Answers from a script of responses and exceptions, recording what was sent."""

    def __init__(self, *script) -> None:
        self.script = list(script)
        self.sent: list[tuple[str, dict]] = []

    def get(self, url, headers=None, timeout=None, allow_redirects=True, stream=False):
        assert allow_redirects is False  # a redirect could carry the key to another host
        self.sent.append((url, dict(headers or {})))
        item = self.script.pop(0)
        if isinstance(item, Exception):
            raise item
        return item

    def close(self) -> None:
        pass


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0
        self.sleeps: list[float] = []

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


def getter(session, clock=None, **options) -> PoliteGetter:
    clock = clock or Clock()
    options.setdefault("interval_seconds", 0.0)
    return PoliteGetter(
        source="Test API",
        session=session,
        sleep=clock.sleep,
        clock=clock,
        secret_headers={"Ocp-Apim-Subscription-Key": SECRET},
        auth_hint="Check TEST_API_KEY.",
        **options,
    )


def test_retry_after_as_an_http_date_waits_until_then():
    in_30_s = email.utils.formatdate(time.time() + 30, usegmt=True)
    assert 28 <= retry_after_seconds(response(429, headers={"Retry-After": in_30_s})) <= 30
    # "-0000" states no zone; RFC 5322 reads it as UTC.
    no_zone = email.utils.formatdate(time.time() + 30)
    assert no_zone.endswith("-0000")
    assert 28 <= retry_after_seconds(response(429, headers={"Retry-After": no_zone})) <= 30
    past = email.utils.formatdate(time.time() - 60, usegmt=True)
    assert retry_after_seconds(response(429, headers={"Retry-After": past})) == 0.0


def test_retry_after_seconds_header_body_or_nothing():
    assert retry_after_seconds(response(429, headers={"Retry-After": " 12 "})) == 12.0
    assert retry_after_seconds(response(429, headers={"Retry-After": "1.5"})) == 1.5
    body = b"Rate limit is exceeded. Try again in 7 seconds."
    assert retry_after_seconds(response(429, body)) == 7.0
    assert retry_after_seconds(response(429, body, {"Retry-After": "Wed, 99 Foo"})) == 7.0
    assert retry_after_seconds(response(429, b"slow down")) is None


def test_a_date_retry_after_is_honoured_by_the_getter():
    clock = Clock()
    in_20_s = email.utils.formatdate(time.time() + 20, usegmt=True)
    session = FakeSession(response(429, b"", {"Retry-After": in_20_s}), response(200, b"ok"))

    answer = getter(session, clock).get(URL)

    assert answer.body == b"ok" and answer.attempts == 2
    assert len(clock.sleeps) == 1 and 18 <= clock.sleeps[0] <= 20


def test_transient_failures_back_off_exponentially_then_give_up_with_advice():
    clock = Clock()
    session = FakeSession(
        response(503, b"busy"),
        requests.ConnectionError("connection reset"),
        response(502, b"bad gateway"),
        requests.Timeout("read timed out"),
        response(500, b"oops"),
    )
    polite = getter(session, clock, max_attempts=5, backoff_seconds=2.0)

    with pytest.raises(ApiUnavailableError) as raised:
        polite.get(URL)

    assert clock.sleeps == [2.0, 4.0, 8.0, 16.0]  # no wait after the last attempt
    assert polite.calls_made == 5 and session.script == []
    assert polite.seconds_waited_for_rate_limits == 0.0
    message = str(raised.value)
    assert "after 5 attempts" in message and URL in message
    assert "HTTP 500" in message and "run the pipeline again later" in message
    assert isinstance(raised.value, ApiError)  # callers may catch either


def test_a_retry_after_longer_than_the_run_waits_stops_at_once():
    clock = Clock()
    session = FakeSession(response(429, b"quota", {"Retry-After": "3600"}), response(200, b"ok"))
    polite = getter(session, clock, max_wait_seconds=300.0)

    with pytest.raises(ApiError, match="3600 s") as raised:
        polite.get(URL)

    assert clock.sleeps == [] and len(session.sent) == 1
    assert "quota is probably used up" in str(raised.value)


def test_a_redirect_is_not_followed_and_stops_with_advice():
    session = FakeSession(response(302, b"", {"Location": "http://elsewhere.example/x"}))
    with pytest.raises(ApiError, match="redirected") as raised:
        getter(session).get(URL)
    assert "elsewhere.example" in str(raised.value)
    assert SECRET not in str(raised.value)


def test_an_answer_broken_off_midway_is_retried():
    clock = Clock()
    broken = requests.exceptions.ChunkedEncodingError("Connection broken: IncompleteRead")
    session = FakeSession(broken, response(200, b"ok"))
    assert getter(session, clock).get(URL).body == b"ok"
    assert len(session.sent) == 2 and clock.sleeps == [2.0]


def test_tls_failure_is_not_retried():
    session = FakeSession(requests.exceptions.SSLError("certificate verify failed"))
    with pytest.raises(ApiError, match="TLS failed"):
        getter(session).get(URL)
    assert len(session.sent) == 1


def test_429_without_any_hint_backs_off():
    clock = Clock()
    session = FakeSession(response(429, b"slow down"), response(200, b"ok"))
    polite = getter(session, clock, backoff_seconds=3.0)
    polite.get(URL)
    assert clock.sleeps == [3.0] and polite.seconds_waited_for_rate_limits == 3.0


def test_rate_limits_that_never_end_are_unavailable_not_an_endless_loop():
    clock = Clock()
    session = FakeSession(*[response(429, b"", {"Retry-After": "1"}) for _ in range(3)])
    with pytest.raises(ApiUnavailableError, match="HTTP 429"):
        getter(session, clock, max_attempts=3).get(URL)
    assert clock.sleeps == [1.0, 1.0]


def test_calls_are_paced_by_the_interval():
    clock = Clock()
    session = FakeSession(*[response(200, b"ok") for _ in range(3)])
    polite = getter(session, clock, interval_seconds=1.0)

    polite.get(URL)  # first call: no wait
    clock.now += 0.25  # the caller worked a little in between
    polite.get(URL)
    clock.now += 5.0  # ...or a lot
    polite.get(URL)

    assert clock.sleeps == [0.75]


def test_secrets_are_scrubbed_from_every_message():
    echoed = f"invalid subscription key {SECRET}".encode()
    cases = [
        (FakeSession(response(401, echoed)), ApiError, "Check TEST_API_KEY."),
        (FakeSession(response(400, echoed)), ApiError, "not transient"),
        (
            FakeSession(*[requests.ConnectionError(f"refused, key={SECRET}")] * 2),
            ApiUnavailableError,
            "ConnectionError",
        ),
    ]
    for session, error, advice in cases:
        with pytest.raises(error) as raised:
            getter(session, max_attempts=2).get(URL)
        message = str(raised.value)
        assert SECRET not in message and advice in message
        # The key still went where it belongs: a header, never the URL.
        assert all(sent[1]["Ocp-Apim-Subscription-Key"] == SECRET for sent in session.sent)
        assert all(SECRET not in sent[0] for sent in session.sent)


def test_secret_scrubbing_in_retry_logs(caplog):
    session = FakeSession(response(503, f"down for {SECRET}".encode()), response(200, b"ok"))
    getter(session).get(URL)
    assert SECRET not in caplog.text


def test_accept_header_and_success_fields():
    session = FakeSession(response(200, b"a,b\n", {"Content-Type": "text/csv"}))
    before = time.time()
    answer = getter(session).get(URL, accept="text/csv")
    assert session.sent[0][1]["Accept"] == "text/csv"
    assert (answer.status, answer.content_type, answer.body, answer.url) == (
        200,
        "text/csv",
        b"a,b\n",
        URL,
    )
    assert before <= answer.requested_at <= time.time()


def test_build_url_keeps_the_api_separators_and_drops_none():
    url = build_url(
        "https://comtradeapi.un.org/",
        "/data/v1/get/C/A/HS",
        {"reporterCode": "398,417", "period": "2010", "partner2Code": None, "q": "a b&c"},
    )
    assert url == (
        "https://comtradeapi.un.org/data/v1/get/C/A/HS?reporterCode=398,417&period=2010&q=a+b%26c"
    )
    assert build_url("https://h/x", "y", {}) == "https://h/x/y"


# --- the whole of a call is bounded, and an unknown host is not a transient failure ----------


class OneAnswer:
    """An engine for the stand-in that answers every path with the same JSON body."""

    body = b'{"data": [' + b",".join(b'{"n": %d}' % i for i in range(200)) + b"]}"

    def answer(self, path, query, headers):
        return 200, {"Content-Type": "application/json"}, self.body


def test_a_trickling_server_is_cut_at_the_deadline_with_visible_lines_then_retried(caplog):
    with StandinServer(routes={"/api": OneAnswer()}) as server:
        # One byte every 0.2 s never trips a per-read timeout, and would take minutes.
        server.fail_next(Fault(0, dribble_seconds=0.2))
        sleeps: list[float] = []
        polite = PoliteGetter(
            source="Test API", interval_seconds=0, sleep=sleeps.append, deadline_seconds=1.5
        )
        started = time.monotonic()
        with caplog.at_level(logging.WARNING, logger="eurasia.http"):
            answer = polite.get(server.url + "/api/x")
        elapsed = time.monotonic() - started

    assert answer.body == OneAnswer.body and answer.attempts == 2
    assert 1.5 <= elapsed < 4  # the first attempt was cut at its deadline, not after minutes
    assert "no complete answer yet after" in caplog.text  # the silent wait is shown
    assert "within the 1.5 s deadline of a call" in caplog.text
    assert len(sleeps) == 1  # then retried like any transient failure


def test_a_call_that_never_finishes_in_time_stops_naming_the_deadline():
    with StandinServer(routes={"/api": OneAnswer()}) as server:
        server.fail_next(*[Fault(0, dribble_seconds=0.5)] * 2)
        polite = PoliteGetter(
            source="Test API",
            interval_seconds=0,
            sleep=lambda s: None,
            deadline_seconds=0.5,
            max_attempts=2,
        )
        with pytest.raises(ApiUnavailableError, match="deadline of a call"):
            polite.get(server.url + "/api/x")


def test_an_unknown_host_fails_fast_naming_the_dns_cause(monkeypatch):
    def no_such_host(host, *args, **kwargs):
        raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")

    monkeypatch.setattr(socket, "getaddrinfo", no_such_host)
    sleeps: list[float] = []
    polite = PoliteGetter(
        source="Test API", interval_seconds=0, sleep=sleeps.append, url_setting="TEST_BASE_URL"
    )

    with pytest.raises(ApiError) as raised:
        polite.get("http://example.invalid/data")

    message = str(raised.value)
    assert not isinstance(raised.value, ApiUnavailableError)
    assert sleeps == [] and polite.calls_made == 1  # not retried as if transient
    assert "'example.invalid' is unknown" in message
    assert "Name or service not known" in message and "TEST_BASE_URL" in message


def test_a_resolver_that_does_not_answer_is_retried(monkeypatch):
    def resolver_down(host, *args, **kwargs):
        raise socket.gaierror(socket.EAI_AGAIN, "Temporary failure in name resolution")

    monkeypatch.setattr(socket, "getaddrinfo", resolver_down)
    polite = PoliteGetter(source="Test API", interval_seconds=0, sleep=lambda s: None)
    with pytest.raises(ApiUnavailableError, match="after 6 attempts"):
        polite.get("http://example.invalid/data")
    assert polite.calls_made == 6


def test_an_answer_the_check_rejects_is_retried_then_named():
    clock = Clock()
    session = FakeSession(response(200, b"<html>busy</html>"), response(200, b"{}"))
    check = lambda answer: "an HTML page" if answer.body.startswith(b"<") else None  # noqa: E731
    assert getter(session, clock).get(URL, check=check).body == b"{}"
    assert clock.sleeps == [2.0]

    session = FakeSession(*[response(200, b"<html>busy</html>")] * 2)
    with pytest.raises(ApiUnavailableError, match="HTTP 200 but an HTML page"):
        getter(session, max_attempts=2).get(URL, check=check)


def test_a_connection_failure_names_its_cause_even_behind_a_long_url(monkeypatch):
    def resolver_down(host, *args, **kwargs):
        raise socket.gaierror(socket.EAI_AGAIN, "Temporary failure in name resolution")

    monkeypatch.setattr(socket, "getaddrinfo", resolver_down)
    polite = PoliteGetter(
        source="Test API", interval_seconds=0, sleep=lambda s: None, max_attempts=1
    )
    long_url = "http://example.invalid/data?reporterCode=" + ",".join(["398"] * 200)
    with pytest.raises(ApiUnavailableError) as raised:
        polite.get(long_url)
    assert "Temporary failure in name resolution" in str(raised.value)
