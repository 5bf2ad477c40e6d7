"""The floor for benchmark 4: what any Python server in the client's process costs, doing nothing else.

A bare socket loop in a thread that reads each request up to its blank line and sends the prebuilt page bytes in
one send, with TCP_NODELAY: no HTTP library, no data to compute, no JSON to encode, no checks. The gap between it
and the in-memory transport is httpx's HTTP/1.1 stack over a socket plus the kernel and thread wake-ups.
"""

from __future__ import annotations

import contextlib
import socket
import threading
from typing import Self
from urllib.parse import parse_qs, urlsplit

from _pages import PrebuiltPages


class ReferenceServer:
    """`with ReferenceServer(pages, api_version) as server:` serves `pages` at `server.url`."""

    def __init__(self, pages: PrebuiltPages, api_version: str) -> None:
        self._pages = pages
        self._listener = socket.create_server(("127.0.0.1", 0))
        self.url = f"http://127.0.0.1:{self._listener.getsockname()[1]}/{api_version}"
        self._thread = threading.Thread(target=self._accept, daemon=True)

    def _accept(self) -> None:
        with contextlib.suppress(OSError):  # the listener closed: done
            while True:
                connection, _ = self._listener.accept()
                connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
                threading.Thread(target=self._serve, args=(connection,), daemon=True).start()

    def _serve(self, connection: socket.socket) -> None:
        with connection, connection.makefile("rb") as requests, contextlib.suppress(OSError):
            while request_line := requests.readline():
                while requests.readline() not in (b"\r\n", b""):
                    pass
                target = request_line.split()[1].decode("latin-1")
                body = self._pages.body(parse_qs(urlsplit(target).query).get("from", [None])[0])
                head = f"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {len(body)}\r\n\r\n"
                connection.sendall(head.encode("latin-1") + body)

    def __enter__(self) -> Self:
        self._thread.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        with contextlib.suppress(OSError):
            self._listener.shutdown(socket.SHUT_RDWR)  # wakes the accept() below, which close() alone does not
        self._listener.close()
        self._thread.join()
