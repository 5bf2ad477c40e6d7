"""A bare stdlib HTTP server sending prebuilt page bytes: the floor for any Python server on loopback.

Benchmark 4 runs it next to the fake server to split the fake server's overhead in two: what HTTP over loopback
costs at all (this server: no data to compute, no JSON to encode, one send per response, TCP_NODELAY) and
what the fake server adds by rendering each page (segments computed from hashes, JSON encoded per request).
"""

from __future__ import annotations

import socket
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Self
from urllib.parse import parse_qs, urlsplit

from _pages import PrebuiltPages


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: _Server

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def setup(self) -> None:
        super().setup()
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def do_GET(self) -> None:
        cursor = parse_qs(urlsplit(self.path).query).get("from", [None])[0]
        body = self.server.pages.body(cursor)
        head = f"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {len(body)}\r\n\r\n"
        self.wfile.write(head.encode("latin-1") + body)


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    pages: PrebuiltPages


class ReferenceServer:
    """`with ReferenceServer(pages, api_version) as server:` serves `pages` at `server.url`."""

    def __init__(self, pages: PrebuiltPages, api_version: str) -> None:
        self._httpd = _Server(("127.0.0.1", 0), _Handler)
        self._httpd.pages = pages
        self.url = f"http://127.0.0.1:{self._httpd.server_address[1]}/{api_version}"
        self._thread = threading.Thread(target=self._httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)

    def __enter__(self) -> Self:
        self._thread.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()
        self._thread.join()
