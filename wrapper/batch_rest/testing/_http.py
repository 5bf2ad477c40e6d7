"""The fake server's HTTP/1.1: connections, requests and replies.

Each connection gets a daemon thread (socketserver's ThreadingMixIn) that reads a request, hands it to the
application (`FakeBatchServer._serve`), and writes the reply in one send with TCP_NODELAY: a reply written in
two sends stalls ~40 ms on a keep-alive connection, Nagle's algorithm holding the second until the client ACKs
the first, which it delays.

Requests are read here rather than by h11 (the HTTP/1.1 parser httpx relies on, installed with it), because
benchmark 4 measured what h11 costs: reading requests with h11 (replies framed here) took 5 to 7 % more wall
time for a 100-page listing over loopback, ~50 µs per request on a 2-vCPU VM (fake server / in-memory transport
1.81x -> 1.93x with the threads on one CPU, 2.05x -> 2.29x placed by the scheduler), and framing replies with
h11 too cost 7 to 13 %. What h11 would add is chunked request bodies, which the client never sends (its JSON
bodies have a Content-Length). The stdlib's parser is slower still: it hands the headers to the email package.

What is read, and what is refused (with a Batch error body, closing the connection):

- the request line: `METHOD target HTTP/1.x` (400), HTTP/1.0 or 1.1 (505), at most 64 KiB (414);
- headers: RFC 9110 names (no space before the colon) (400), at most 100 lines of 64 KiB (431); names are
  lower-cased, and a repeated header's values joined with ", " as RFC 9110 combines field lines, so a doubled
  Authorization never matches the key;
- the body: by Content-Length, at most 16 MiB (413: Batch documents no size; a call of 10,000 profile edits,
  the most /profiles/mass-update takes, can pass 1 MiB); a chunked body (Transfer-Encoding) is refused (400),
  as is a Content-Length that is not one number;
- keep-alive: HTTP/1.1 unless `Connection: close`; HTTP/1.0 only with `Connection: keep-alive`.
"""

from __future__ import annotations

import contextlib
import email.utils
import http
import json
import re
import socket
import socketserver
import sys
import threading
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qs

if TYPE_CHECKING:
    from ._server import FakeBatchServer

__all__ = ["HTTPServer", "Reply", "Request"]

MAX_BODY = 16 << 20
MAX_LINE, MAX_HEADERS = 65536, 100
_VERSION = re.compile(r"HTTP/[0-9]\.[0-9]")
_TOKEN = re.compile(r"[!#$%&'*+.^_`|~0-9A-Za-z-]+")  # RFC 9110 field names: no spaces before the colon
_END_OF_HEADERS = (b"\r\n", b"\n", b"")
_LENGTH = re.compile(r"[0-9]{1,19}")


@dataclass(frozen=True, slots=True)
class Request:
    method: str
    target: str  # as sent: the path and the query string, not percent-decoded
    path: str
    query: dict[str, list[str]]  # decoded as a server decodes a query string (a bare `+` is a space)
    headers: dict[str, str]  # lower-case names; a repeated header's values joined with ", "
    body: bytes


@dataclass(frozen=True, slots=True)
class Reply:
    """What to answer. `action`: "send" it; "drop" the connection without a byte; "cut" it after half the body;
    "raw": send status, headers and body exactly as given (no Content-Length added), then close."""

    status: int
    headers: tuple[tuple[str, str], ...] = ()
    body: bytes = b""
    action: str = "send"


class _Refused(Exception):
    """A request that cannot be served: answered with this status and a Batch error, then the connection closes."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status, self.message = status, message


class HTTPServer(socketserver.ThreadingTCPServer):
    allow_reuse_address = True  # `batch-rest fake-server --port 8000` again right after Ctrl-C
    # The listen queue: connections the kernel completes before the accept loop takes them. socketserver's
    # default is 5; beyond it Linux drops the SYN and the client sends it again 1 s later (then 3 s), so a
    # burst of 8 async calls waited a second. The kernel caps it at net.core.somaxconn (4096 by default).
    request_queue_size = 1024

    def __init__(self, address: tuple[str, int], app: FakeBatchServer, family: socket.AddressFamily) -> None:
        self.address_family = family
        self.app = app
        # The connections' threads, each removing itself when done, so that an accept costs the same with 1 or
        # 1,000 connections open; stop() joins what is left. The stdlib's ThreadingMixIn joins its threads on
        # server_close() only when they are not daemons, and non-daemon threads blocked in recv() on idle
        # keep-alive connections would hang the interpreter's exit whenever someone forgets stop().
        self._handlers: set[threading.Thread] = set()
        self._handlers_lock = threading.Lock()
        super().__init__(address, _Connection)

    @property
    def handler_threads(self) -> list[threading.Thread]:
        """The connections' threads still running."""
        with self._handlers_lock:
            return list(self._handlers)

    def process_request(self, request: Any, client_address: Any) -> None:
        self.app._opened(request)
        if self.app._fast:
            request.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        thread = threading.Thread(target=self._handle, args=(request, client_address), daemon=True)
        with self._handlers_lock:
            self._handlers.add(thread)
        try:
            thread.start()
        except BaseException:  # no thread to run it (socketserver closes the connection): nothing to join
            with self._handlers_lock:
                self._handlers.discard(thread)
            raise

    def _handle(self, request: Any, client_address: Any) -> None:
        try:
            self.process_request_thread(request, client_address)
        finally:
            with self._handlers_lock:
                self._handlers.discard(threading.current_thread())

    def shutdown_request(self, request: Any) -> None:
        self.app._closed(request)
        super().shutdown_request(request)

    def handle_error(self, request: Any, client_address: Any) -> None:
        # Clients time out, drop connections, and stop() shuts sockets down under the handlers: all expected.
        # Anything else is a bug in the fake, and the default handler prints its traceback.
        if not isinstance(sys.exc_info()[1], OSError):
            super().handle_error(request, client_address)


class _Connection(socketserver.StreamRequestHandler):
    server: HTTPServer
    # wfile unbuffered: each write is one sendall, and _reply writes each reply once.

    def handle(self) -> None:
        while self._exchange():
            pass

    def _exchange(self) -> bool:
        """Read one request and answer it; whether the connection stays open for the next one."""
        try:
            read = self._read()
        except _Refused as exc:
            self._refuse(exc.status, exc.message)
            return False
        except (ConnectionError, TimeoutError):
            return False
        if read is None:
            return False
        request, keep_alive = read
        started = time.perf_counter()
        reply, fault = self.server.app._serve(request)
        keep_alive = keep_alive and reply.action == "send"
        self._reply(request, reply, keep_alive)
        self.server.app._served(request, reply, fault, time.perf_counter() - started)
        return keep_alive

    def _read(self) -> tuple[Request, bool] | None:
        """The next request with its whole body, and whether the connection stays open after it; None when the
        client closed the connection (between requests, or in the middle of one)."""
        line = self.rfile.readline(MAX_LINE + 1)
        if not line:
            return None
        if len(line) > MAX_LINE:
            raise _Refused(414, f"the request line is longer than {MAX_LINE} bytes")
        words = line.decode("latin-1").split()
        if len(words) != 3 or not _VERSION.fullmatch(words[2]):
            raise _Refused(400, "malformed request line")
        method, target, version = words
        if version not in {"HTTP/1.1", "HTTP/1.0"}:
            raise _Refused(505, f"{version} is not supported")
        headers = self._read_headers()
        body = self._read_body(headers)
        if body is None:
            return None
        connection = {token.strip() for token in headers.get("connection", "").lower().split(",")}
        keep_alive = "keep-alive" in connection if version == "HTTP/1.0" else "close" not in connection
        path, _, query = target.partition("?")
        return Request(method, target, path, parse_qs(query, keep_blank_values=True), headers, body), keep_alive

    def _read_headers(self) -> dict[str, str]:
        headers: dict[str, str] = {}
        for _ in range(MAX_HEADERS + 1):
            line = self.rfile.readline(MAX_LINE + 1)
            if line in _END_OF_HEADERS:
                return headers
            name, colon, value = line.decode("latin-1").partition(":")
            if len(line) > MAX_LINE:
                raise _Refused(431, f"a header line is longer than {MAX_LINE} bytes")
            if not colon or not _TOKEN.fullmatch(name):
                raise _Refused(400, "malformed header line")
            name, value = name.lower(), value.strip()
            headers[name] = f"{headers[name]}, {value}" if name in headers else value
        raise _Refused(431, f"more than {MAX_HEADERS} header lines")

    def _read_body(self, headers: dict[str, str]) -> bytes | None:
        """The body by its Content-Length; None if the connection ended before all of it came."""
        if "transfer-encoding" in headers:
            raise _Refused(400, "a chunked body is not supported: send Content-Length")
        length = headers.get("content-length", "0")
        if not _LENGTH.fullmatch(length):
            raise _Refused(400, f"Content-Length must be one number, got {length!r}")
        if int(length) > MAX_BODY:
            raise _Refused(413, f"the body is larger than {MAX_BODY} bytes")
        body = self.rfile.read(int(length)) if int(length) else b""
        return body if len(body) == int(length) else None

    def _reply(self, request: Request, reply: Reply, keep_alive: bool) -> None:
        if reply.action == "drop":
            return
        if reply.action == "raw":
            self.wfile.write(_raw(reply.status, reply.headers, reply.body))
            return
        lines = [f"HTTP/1.1 {reply.status} {_phrase(reply.status)}", f"Date: {_date()}"]
        lines += [f"{name}: {value}" for name, value in reply.headers]
        if reply.status not in {204, 304}:
            lines.append(f"Content-Length: {len(reply.body)}")
        if not keep_alive:
            lines.append("Connection: close")
        head = ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")
        body = b"" if request.method == "HEAD" or reply.status in {204, 304} else reply.body
        if reply.action == "cut":
            self.wfile.write(head + body[: len(body) // 2])
        elif self.server.app._fast:
            self.wfile.write(head + body)
        else:  # what a stdlib http.server does: headers, then body, in two sends (benchmark 4 shows the cost)
            self.wfile.write(head)
            self.wfile.write(body)

    def _refuse(self, status: int, message: str) -> None:
        body = json.dumps({"error_code": "INVALID_REQUEST", "error_message": message}).encode()
        headers = (("Content-Type", "application/json"), ("Content-Length", str(len(body))))
        with contextlib.suppress(OSError):  # the client is gone already
            self.wfile.write(_raw(status, headers, body))


def _raw(status: int, headers: tuple[tuple[str, str], ...], body: bytes) -> bytes:
    """A whole response as given, closing the connection: its framing is the caller's to get right (or wrong)."""
    lines = [f"HTTP/1.1 {status} {_phrase(status)}", f"Date: {_date()}", *(f"{n}: {v}" for n, v in headers)]
    if not any(name.lower() == "connection" for name, _ in headers):
        lines.append("Connection: close")
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + body


_date_cache: tuple[int, str] = (0, "")


def _date() -> str:
    """The Date header, formatted once a second."""
    global _date_cache  # a one-entry cache; a race only formats the same date twice
    now = int(time.time())
    if _date_cache[0] != now:
        _date_cache = (now, email.utils.formatdate(now, usegmt=True))
    return _date_cache[1]


def _phrase(status: int) -> str:
    try:
        return http.HTTPStatus(status).phrase
    except ValueError:
        return "Unknown"
