"""A stand-in API server on 127.0.0.1 that answers from demo engines and misbehaves on request.

Tests use it to exercise the real clients over real HTTP; people can run it to rehearse a live
pull without touching the real services:

    python -m eurasia.demo.standin --port 8765
    COMTRADE_BASE_URL=http://127.0.0.1:8765/comtrade IMF_SDMX_BASE_URL=http://127.0.0.1:8765/imf \
        make run-live
"""

from __future__ import annotations

import argparse
import contextlib
import sys
import threading
import time
from collections import deque
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, unquote, urlsplit


@dataclass
class Fault:
    """One misbehaviour, served instead of the engine's answer to the next matching request."""

    status: int
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)
    path_prefix: str = ""  # only requests whose path starts with this are affected
    drop_connection: bool = False  # close the socket without answering
    # With status 0: the engine's own answer, but misdelivered. `cut_after` bytes of it, with no
    # Content-Length, then the connection closes (a body cut off that the client cannot tell
    # from a whole one); or `dribble_seconds` between single bytes (a server that never stalls
    # long enough for a per-read timeout, yet never finishes).
    cut_after: int | None = None
    dribble_seconds: float = 0.0
    # Hooks for fault-injection suites (eurasia.chaos): which requests a fault is for, beyond
    # the path; what becomes of the engine's answer (status 0): an empty page, a malformed
    # record; and a silence before anything is sent (with drop_connection: a hang).
    when: Callable[[str, dict[str, list[str]]], bool] | None = None
    rewrite: Callable[[int, dict[str, str], bytes], tuple[int, dict[str, str], bytes]] | None = None
    hang_seconds: float = 0.0


@dataclass
class SeenRequest:
    path: str
    query: dict[str, list[str]]
    headers: dict[str, str]
    status: int


class _QuietServer(ThreadingHTTPServer):
    def handle_error(self, request, client_address) -> None:
        # A client that gives up on a hung or trickling answer resets the connection: expected.
        if not isinstance(sys.exc_info()[1], ConnectionError):
            super().handle_error(request, client_address)


class StandinServer:
    """Routes `/<prefix>/...` to engines, e.g. {"/comtrade": ComtradeEngine(...)}."""

    def __init__(self, routes: Mapping[str, object], host: str = "127.0.0.1", port: int = 0):
        self.routes = dict(routes)
        self.faults: deque[Fault] = deque()
        self.seen: list[SeenRequest] = []
        self._lock = threading.Lock()
        self._httpd = _QuietServer((host, port), self._handler_class())
        self._httpd.daemon_threads = True
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        host, port = self._httpd.server_address[:2]
        return f"http://{host}:{port}"

    def fail_next(self, *faults: Fault) -> None:
        with self._lock:
            self.faults.extend(faults)

    def _take_fault(self, path: str, query: dict[str, list[str]]) -> Fault | None:
        with self._lock:
            for fault in self.faults:
                if path.startswith(fault.path_prefix) and (
                    fault.when is None or fault.when(path, query)
                ):
                    self.faults.remove(fault)
                    return fault
        return None

    def dispatch(self, path: str, query: dict[str, list[str]], headers: dict[str, str]):
        for prefix, engine in self.routes.items():
            if path.startswith(prefix + "/") or path == prefix:
                return engine.answer(path[len(prefix) :] or "/", query, headers)
        return 404, {"Content-Type": "text/plain"}, f"no route for {path}".encode()

    def _handler_class(self):
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            # Headers and body go out in two writes; without TCP_NODELAY the second waits for
            # the client's delayed ACK, about 40 ms per request.
            disable_nagle_algorithm = True

            def do_GET(self):  # noqa: N802 - the name http.server calls
                parts = urlsplit(self.path)
                path = unquote(parts.path)
                query = parse_qs(parts.query, keep_blank_values=True)
                headers = {k: v for k, v in self.headers.items()}
                fault = server._take_fault(path, query)
                if fault and fault.hang_seconds:
                    time.sleep(fault.hang_seconds)
                if fault and fault.drop_connection:
                    server.seen.append(SeenRequest(path, query, headers, 0))
                    self.close_connection = True
                    with contextlib.suppress(OSError):  # the client may have given up first
                        self.connection.shutdown(2)
                    return
                if fault and fault.status:
                    status, out_headers, body = fault.status, dict(fault.headers), fault.body
                else:
                    status, out_headers, body = server.dispatch(path, query, headers)
                    if fault and fault.rewrite:
                        status, out_headers, body = fault.rewrite(status, out_headers, body)
                server.seen.append(SeenRequest(path, query, headers, status))
                self.send_response(status)
                for name, value in out_headers.items():
                    self.send_header(name, value)
                if fault and fault.cut_after is not None:
                    self._send_cut(body[: fault.cut_after])
                    return
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                if fault and fault.dribble_seconds:
                    self._dribble(body, fault.dribble_seconds)
                    return
                self.wfile.write(body)

            def _send_cut(self, part: bytes) -> None:
                self.send_header("Connection", "close")
                self.end_headers()
                self.wfile.write(part)
                self.close_connection = True

            def _dribble(self, body: bytes, seconds: float) -> None:
                try:
                    for i in range(len(body)):
                        self.wfile.write(body[i : i + 1])
                        self.wfile.flush()
                        time.sleep(seconds)
                except OSError:  # the client gave up and closed the connection
                    self.close_connection = True

            def log_message(self, *args):  # keep test output quiet
                pass

        return Handler

    def start(self) -> StandinServer:
        # A short poll interval so that stop() returns at once rather than after up to 0.5 s.
        self._thread = threading.Thread(
            target=self._httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()

    def __enter__(self) -> StandinServer:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()


def main() -> None:
    from eurasia.demo.snapshot_engines import snapshot_routes

    parser = argparse.ArgumentParser(description="Serve the demo snapshot as stand-in APIs.")
    parser.add_argument("--port", type=int, default=8765)
    parser.add_argument("--comtrade-key", default=None, help="key the keyed endpoint accepts")
    args = parser.parse_args()
    routes = {f"/{name}": engine for name, engine in snapshot_routes(args.comtrade_key).items()}
    server = StandinServer(routes, port=args.port)
    print(
        f"stand-in APIs on {server.url}/comtrade and {server.url}/imf (synthetic demo data; "
        "IMF IMTS re-serves the bundled REAL IMF DOTS workbooks, Feb 2022); Ctrl-C stops"
    )
    try:
        server._httpd.serve_forever()
    except KeyboardInterrupt:
        server._httpd.server_close()


if __name__ == "__main__":
    main()
