"""A real HTTP server on 127.0.0.1 serving documents to `make update-spec SOURCE=<address>` in the tests.

    with serve({"/cep/profiles/update.md": Answer(body=page)}) as server:
        server.url("/cep/profiles/update.md")   # http://127.0.0.1:<port>/cep/profiles/update.md
        server.requests                        # ["GET /cep/profiles/update.md", ...]

Nothing is downloaded from the internet at test time: every test serves its own documents here.
"""

from __future__ import annotations

import sys
import threading
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@dataclass(frozen=True)
class Answer:
    status: int = 200
    body: bytes = b""
    headers: Mapping[str, str] = field(default_factory=dict)
    chunked: bool = False  # no Content-Length: the body in 64 KiB chunks
    stall: float = 0.0  # seconds to wait before answering (a server that does not answer in time)


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    routes: Mapping[str, Answer]
    requests: list[str]

    def handle_error(self, request: Any, client_address: Any) -> None:
        if not isinstance(sys.exc_info()[1], ConnectionError):  # a client that gave up (too big, too slow)
            super().handle_error(request, client_address)


class _Handler(BaseHTTPRequestHandler):
    server: _Server
    protocol_version = "HTTP/1.1"

    def do_GET(self) -> None:
        self.server.requests.append(f"GET {self.path}")
        answer = self.server.routes.get(self.path, Answer(404, b"not found", {"Content-Type": "text/plain"}))
        if answer.stall:
            time.sleep(answer.stall)
        self.send_response(answer.status)
        for name, value in answer.headers.items():
            self.send_header(name, value)
        if answer.chunked:
            self.send_header("Transfer-Encoding", "chunked")
            self.end_headers()
            for start in range(0, len(answer.body), 65536):
                chunk = answer.body[start : start + 65536]
                self.wfile.write(f"{len(chunk):x}\r\n".encode() + chunk + b"\r\n")
            self.wfile.write(b"0\r\n\r\n")
        else:
            self.send_header("Content-Length", str(len(answer.body)))
            self.end_headers()
            self.wfile.write(answer.body)

    def log_message(self, format: str, *args: object) -> None:
        pass  # the requests are recorded in server.requests


@dataclass
class Served:
    server: _Server

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.server.server_port}{path}"

    @property
    def requests(self) -> list[str]:
        return self.server.requests


@contextmanager
def serve(routes: Mapping[str, Answer]) -> Iterator[Served]:
    server = _Server(("127.0.0.1", 0), _Handler)
    server.routes, server.requests = routes, []
    thread = threading.Thread(target=server.serve_forever, name="loopback-docs", daemon=True)
    thread.start()
    try:
        yield Served(server)
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)
