"""Serve `snapshot://<api>/...` URLs from demo engines inside the process.

Offline runs mount this adapter on the client's requests.Session, so the bundled snapshot goes
through exactly the client code a live run uses - planning, caps, landing - with no socket.
"""

from __future__ import annotations

from collections.abc import Mapping
from urllib.parse import parse_qs, unquote, urlsplit

import requests
from requests.adapters import BaseAdapter
from requests.structures import CaseInsensitiveDict

SCHEME = "snapshot://"


class SnapshotAdapter(BaseAdapter):
    def __init__(self, engines: Mapping[str, object]):
        super().__init__()
        self.engines = dict(engines)  # netloc -> engine, e.g. {"comtrade": ComtradeEngine(...)}

    def send(self, request, **kwargs):
        parts = urlsplit(request.url)
        engine = self.engines.get(parts.netloc)
        if engine is None:
            status, headers, body = 404, {}, f"no snapshot for {parts.netloc}".encode()
        else:
            query = parse_qs(parts.query, keep_blank_values=True)
            status, headers, body = engine.answer(unquote(parts.path), query, dict(request.headers))
        response = requests.Response()
        response.status_code = status
        response.headers = CaseInsensitiveDict(headers)
        response._content = body
        response.url = request.url
        response.request = request
        response.encoding = "utf-8"
        return response

    def close(self):
        pass


def snapshot_session(engines: Mapping[str, object]) -> requests.Session:
    session = requests.Session()
    session.mount(SCHEME, SnapshotAdapter(engines))
    return session
