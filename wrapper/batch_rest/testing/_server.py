"""A fake of Batch's `GET /segments/list`, served over real HTTP/1.1 on loopback, for tests and demos.

What it does, like Batch (as far as Batch documents it):

- checks `Authorization: Bearer <api_key>` and `X-Batch-Project: <project_key>` before anything else about
  the request (401 `AUTHENTICATION_INVALID`);
- validates `limit` (an integer from 1 to 100, 10 when absent) and `from` (a cursor it issued), 400 otherwise;
- pages through a deterministic data set in a stable order with Batch's envelope: `segments`, `has_more`,
  `next_from` (on every page: on the last one it points past the end, so a client that ignores has_more reads
  an empty page) and `count` (the total, on the first page only);
- issues opaque cursors in Batch's style, standard base64 (with padding) of `<code>@<created_at>`. The codes
  mix scripts on purpose so that cursors contain `+`, `/` and `=`: a client that does not percent-encode the
  cursor gets a 400, because a bare `+` in a query string reads as a space.

What it does not do: other endpoints (404) or methods (405), real rate limiting, TLS, chunked request bodies,
nor Batch's exact error codes and messages, which Batch does not document beyond `{error_code, error_message}`
(`AUTHENTICATION_INVALID` comes from Batch; the other codes are plausible stand-ins). Its answers to the
documented operation, and its 429/500/503 faults, validate against the vendored OpenAPI document; its 404 and
405 bodies follow the document's Error schema (tests/integration/test_fake_server_conformance.py).

Data: segment i is a pure function of (seed, i), computed when served, so a million segments cost no memory.
`server.segment(i)` and `server.cursor(i)` give what the server sends, to compare a listing with.

In your test suite, the pytest plugin installed with the package gives fixtures `batch_server`,
`batch_client` and `async_batch_client`, and the marker `@pytest.mark.batch_server(segments=..., seed=...)`:

    def test_export_survives_a_rate_limit(batch_server, batch_client):
        batch_server.inject(Fault.rate_limit(retry_after=0))
        assert len(list(batch_client.segments.list())) == 250
        assert [r.fault for r in batch_server.requests] == ["rate_limit", None, None, None]

Or by hand:

    from batch_rest import BatchClient
    from batch_rest.testing import FakeBatchServer, Fault

    with FakeBatchServer(segments=120) as server:
        server.set_fault_rate(0.2, [Fault.server_error(), Fault.drop_mid_body()], seed=1)
        with BatchClient(server.api_key, server.project_key, base_url=server.url, max_retries=10) as client:
            codes = [s.code for s in client.segments.list()]
        assert codes == [server.segment(i)["code"] for i in range(120)]
"""

from __future__ import annotations

import base64
import contextlib
import email.utils
import functools
import hashlib
import http
import json
import random
import re
import socket
import sys
import threading
import time
from collections import deque
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Self
from urllib.parse import parse_qs, urlsplit

from batch_rest._seam import DEFAULT_API_VERSION

__all__ = ["DEMO_API_KEY", "DEMO_PROJECT_KEY", "FakeBatchServer", "Fault", "RecordedRequest"]

DEMO_API_KEY = "demo-rest-api-key"
DEMO_PROJECT_KEY = "demo-project-key"

MAX_LIMIT, DEFAULT_LIMIT = 100, 10
_PATH = re.compile(r"/[0-9]+\.[0-9]+/segments/list")
_LIMIT = re.compile(r"[0-9]{1,6}")
_INDEX = re.compile(r"[0-9]{1,19}")
_MAX_BODY = 1 << 20
_MAX_LINE, _MAX_HEADERS = 65536, 100
_VERSION = re.compile(r"HTTP/[0-9]\.[0-9]")
_TOKEN = re.compile(r"[!#$%&'*+.^_`|~0-9A-Za-z-]+")  # RFC 9110 field names: no spaces before the colon
_END_OF_HEADERS = (b"\r\n", b"\n", b"")

# Scripts with multi-byte UTF-8 (Cyrillic п is D0 BF, Korean and Japanese have E-lead bytes...) are what puts
# `+` and `/` in the base64 of "<code>@<timestamp>": ASCII letters, digits and timestamps never produce them.
_TOPICS = ("newsletter", "vip", "churn-risk", "fidèles", "été", "cart", "beta", "niños", "über", "crème",
           "dormant", "loyal", "東京", "서울", "спорт", "größe", "français", "premium")  # fmt: skip
_AUDIENCES = ("buyers", "readers", "fans", "clients", "joueurs", "käufer", "покупатели", "ユーザー", "lapsed",
              "new", "eu", "us", "apac", "weekly", "high-value", "trial")  # fmt: skip
_EPOCH = 1_546_300_800  # 2019-01-01T00:00:00Z
_SPACING = 600  # seconds between two segments' creations, so that created_at is strictly increasing
_MAX_EDIT = 30 * 86_400


def _error_body(code: str, message: str) -> dict[str, Any]:
    return {"error_code": code, "error_message": message}


@dataclass(frozen=True)
class Fault:
    """Something to go wrong with one request; build one with the class methods: `Fault.rate_limit(2)`."""

    kind: str
    status: int = 0
    headers: tuple[tuple[str, str], ...] = ()
    body: bytes = b""
    seconds: float = 0.0

    @classmethod
    def rate_limit(cls, retry_after: int | str | None = None) -> Fault:
        """429; `retry_after` is sent verbatim as Retry-After: seconds, or any string such as an HTTP-date."""
        headers = () if retry_after is None else (("Retry-After", _header_value(str(retry_after))),)
        body = _error_body("TOO_MANY_REQUESTS", "Too many requests, please retry later")
        return cls("rate_limit", 429, headers, json.dumps(body).encode())

    @classmethod
    def server_error(cls) -> Fault:
        """500 with a Batch-style error body."""
        body = _error_body("SERVER_ERROR", "Unexpected error")
        return cls("server_error", 500, (), json.dumps(body).encode())

    @classmethod
    def service_unavailable(cls) -> Fault:
        """503 with a Batch-style error body (Batch's maintenance answer)."""
        message = "Batch's services are under maintenance. Please try again later"
        body = _error_body("SERVICE_UNAVAILABLE", message)
        return cls("service_unavailable", 503, (), json.dumps(body).encode())

    @classmethod
    def drop_before_response(cls) -> Fault:
        """Close the connection after reading the request, before sending a single byte."""
        return cls("drop_before_response")

    @classmethod
    def drop_mid_body(cls) -> Fault:
        """Send the status line, the headers (with the full Content-Length) and half the body, then close."""
        return cls("drop_mid_body")

    @classmethod
    def slow(cls, seconds: float) -> Fault:
        """Wait `seconds`, then answer normally (stop() cuts the wait short)."""
        if not 0 <= seconds < float("inf"):
            raise ValueError(f"seconds must be a finite number >= 0, got {seconds!r}")
        return cls("slow", seconds=float(seconds))

    @classmethod
    def raw(cls, status: int, headers: Mapping[str, str] | Sequence[tuple[str, str]] = (), body: bytes = b"") -> Fault:
        """Exactly this response, then close the connection (its framing is yours to get wrong).

        Content-Length is added when neither it nor Transfer-Encoding is among `headers`.
        """
        if not 100 <= status <= 999:
            raise ValueError(f"status must be a 3-digit HTTP status, got {status!r}")
        pairs = tuple(headers.items() if isinstance(headers, Mapping) else headers)
        names = {name.lower() for name, _ in pairs}
        if not names & {"content-length", "transfer-encoding"}:
            pairs += (("Content-Length", str(len(body))),)
        return cls("raw", status, tuple((_header_value(n), _header_value(v)) for n, v in pairs), bytes(body))


def _header_value(text: str) -> str:
    # A CR or LF would let a test inject whole headers by accident; refuse rather than send garbage.
    if "\r" in text or "\n" in text:
        raise ValueError(f"header names and values must not contain CR or LF: {text!r}")
    return text


@dataclass(frozen=True)
class RecordedRequest:
    """One request the server read. Header names are lower-cased; Authorization's value is "[REDACTED]"."""

    method: str
    path: str  # without the query string, as sent (not percent-decoded)
    query: dict[str, list[str]]  # decoded, as a server decodes a query string (a bare `+` is a space)
    headers: dict[str, str]
    fault: str | None  # Fault.kind when a fault was applied to this request


class _HTTPServer(ThreadingHTTPServer):
    fake: FakeBatchServer
    # Only the serving thread and then stop() touch this list. The stdlib's ThreadingMixIn joins its threads
    # on server_close() only when they are not daemons, and non-daemon threads blocked in recv() on idle
    # keep-alive connections would hang the interpreter's exit whenever someone forgets stop().
    handler_threads: list[threading.Thread]

    def process_request(self, request: Any, client_address: Any) -> None:
        self.fake._opened(request)
        if self.fake._fast:
            # Without TCP_NODELAY, a response written in two sends stalls ~40 ms: Nagle's algorithm holds the
            # second until the first is ACKed, and the client delays that ACK. _Handler._write sends once.
            request.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        thread = threading.Thread(target=self.process_request_thread, args=(request, client_address), daemon=True)
        self.handler_threads = [t for t in self.handler_threads if t.is_alive()] + [thread]
        thread.start()

    def shutdown_request(self, request: Any) -> None:
        self.fake._closed(request)
        super().shutdown_request(request)

    def handle_error(self, request: Any, client_address: Any) -> None:
        # Clients time out, drop connections, and stop() shuts sockets down under the handlers: all expected.
        # Anything else is a bug in the fake, and the default handler prints its traceback.
        if not isinstance(sys.exc_info()[1], OSError):
            super().handle_error(request, client_address)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: _HTTPServer

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def handle_one_request(self) -> None:
        # The stdlib's version dispatches to do_<METHOD> and answers 501 to the rest; Batch answers 405.
        try:
            self.raw_requestline = self.rfile.readline(_MAX_LINE + 1)
            if len(self.raw_requestline) > _MAX_LINE:
                self.requestline = self.request_version = self.command = ""
                self.send_error(http.HTTPStatus.REQUEST_URI_TOO_LONG)
            elif not self.raw_requestline:
                self.close_connection = True
            elif self.parse_request():
                self._discard_body()
                self.server.fake._serve(self)
        except TimeoutError:
            self.close_connection = True

    def parse_request(self) -> bool:
        """Read the request line and headers; answer 400/431/505 (send_error closes) and return False if unusable.

        The stdlib's version hands the headers to the email package, which costs more than the rest of a request
        (~130 of ~330 µs here). `self.headers` is a plain dict with lower-case names; a repeated header is joined
        with ", " as RFC 9110 combines field lines, so a doubled Authorization never matches the key.
        """
        self.command = None  # type: ignore[assignment]  # what send_error looks at before the line is parsed
        self.request_version = "HTTP/1.1"
        self.requestline = str(self.raw_requestline, "latin-1").rstrip("\r\n")
        words = self.requestline.split()
        if len(words) != 3 or not _VERSION.fullmatch(words[2]):
            self.send_error(http.HTTPStatus.BAD_REQUEST, "Bad request line")
            return False
        self.command, self.path, self.request_version = words
        if self.request_version not in {"HTTP/1.1", "HTTP/1.0"}:
            self.send_error(http.HTTPStatus.HTTP_VERSION_NOT_SUPPORTED)
            return False
        headers: dict[str, str] = {}
        for _ in range(_MAX_HEADERS + 1):
            line = self.rfile.readline(_MAX_LINE + 1)
            if line in _END_OF_HEADERS:
                break
            name, colon, value = str(line, "latin-1").partition(":")
            if len(line) > _MAX_LINE or not colon or not _TOKEN.fullmatch(name):
                self.send_error(http.HTTPStatus.BAD_REQUEST, "Bad header line")
                return False
            name, value = name.lower(), value.strip()
            headers[name] = f"{headers[name]}, {value}" if name in headers else value
        else:
            self.send_error(http.HTTPStatus.REQUEST_HEADER_FIELDS_TOO_LARGE, "Too many headers")
            return False
        self.headers = headers  # type: ignore[assignment]
        connection = {token.strip() for token in headers.get("connection", "").lower().split(",")}
        if self.request_version == "HTTP/1.0":
            self.close_connection = "keep-alive" not in connection
        else:
            self.close_connection = "close" in connection
        return True

    def _discard_body(self) -> None:
        # A body left unread would be taken for the next request on this keep-alive connection.
        length = self.headers.get("content-length", "0")
        if "transfer-encoding" in self.headers or not length.isdigit() or int(length) > _MAX_BODY:
            self.close_connection = True
        elif int(length):
            self.rfile.read(int(length))

    def _write(self, status: int, headers: Sequence[tuple[str, str]], body: bytes, *, cut: int | None = None) -> None:
        if self.close_connection:
            headers = [*headers, ("Connection", "close")]
        if not self.server.fake._fast:  # what http.server does left as is: headers, then body, in two sends
            self.send_response(status)
            for name, value in headers:
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(body[:cut])
            return
        lines = [f"HTTP/1.1 {status} {_phrase(status)}", f"Date: {email.utils.formatdate(usegmt=True)}"]
        lines += [f"{name}: {value}" for name, value in headers]
        # One send per response (wfile is unbuffered: each write is a sendall): see process_request.
        self.wfile.write(("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + body[:cut])


class FakeBatchServer:
    """Batch's `GET /<version>/segments/list` on loopback. See the module docstring.

    Use it as a context manager, or call start() and stop(); `url` is the base URL to give the client.
    """

    def __init__(
        self,
        segments: int = 250,
        *,
        seed: int = 0,
        api_key: str = DEMO_API_KEY,
        project_key: str = DEMO_PROJECT_KEY,
        host: str = "127.0.0.1",
        port: int = 0,
        api_version: str = DEFAULT_API_VERSION,
    ) -> None:
        if isinstance(segments, bool) or not isinstance(segments, int) or not 0 <= segments < 2**62:
            raise ValueError(f"segments must be an int >= 0, got {segments!r}")
        self.segments, self.seed = segments, seed
        self.api_key, self.project_key, self.api_version = api_key, project_key, api_version
        self.host, self._port = host, port
        self._salt = hashlib.blake2b(repr(seed).encode(), digest_size=16).digest()
        self._base_time = _EPOCH + int.from_bytes(self._salt[:4], "big") % (365 * 86_400)
        self._fast = True  # False: the stdlib's two sends per response and Nagle on (benchmark 4 shows the cost)
        self._lock = threading.Lock()
        self._log: list[RecordedRequest] = []
        self._queued: deque[Fault] = deque()
        self._fault_rate, self._fault_random = 0.0, random.Random(0)
        self._rate_faults: tuple[Fault, ...] = ()
        self._connections: set[socket.socket] = set()
        self._connections_opened = 0
        self._httpd: _HTTPServer | None = None
        self._thread: threading.Thread | None = None
        self._stopping = threading.Event()
        # Rendering a page costs more than serving it: keep the recent ones (about 15 kB each) for retries and
        # for listings run more than once. Bounded, so a million segments still cost no memory.
        self._page = functools.lru_cache(maxsize=256)(self._render_page)
        # Checking a cursor means recomputing the segment it names: remember the cursors recently checked too.
        self._index_of = functools.lru_cache(maxsize=1024)(self._decode_cursor)

    # -- life cycle ------------------------------------------------------------------------------------------

    def start(self) -> Self:
        """Bind and serve in a background thread (no-op when already started)."""
        if self._httpd is not None:
            return self
        family = socket.AF_INET6 if ":" in self.host else socket.AF_INET
        httpd_class = type("_HTTPServer", (_HTTPServer,), {"address_family": family})
        httpd = httpd_class((self.host, self._port), _Handler)
        httpd.fake, httpd.handler_threads = self, []
        self._stopping.clear()
        self._httpd, self._port = httpd, httpd.server_address[1]
        self._thread = threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.05},
                                        name=f"FakeBatchServer:{self._port}", daemon=True)  # fmt: skip
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving, close every connection (keep-alive ones too) and join every thread. Idempotent."""
        httpd, thread = self._httpd, self._thread
        if httpd is None or thread is None:
            return
        self._stopping.set()  # wakes slow faults
        httpd.shutdown()
        with self._lock:
            open_connections = list(self._connections)
        for connection in open_connections:
            # shutdown, not close: the handler thread blocked in recv() wakes up with EOF and closes its own
            # socket, so that no thread ever uses a file descriptor closed (and maybe reused) under it.
            with contextlib.suppress(OSError):
                connection.shutdown(socket.SHUT_RDWR)
        httpd.server_close()
        thread.join()
        for handler_thread in httpd.handler_threads:
            handler_thread.join()
        self._httpd = self._thread = None

    def serve_forever(self) -> None:
        """Serve until stop() is called elsewhere or until Ctrl-C (KeyboardInterrupt propagates)."""
        self.start()
        try:
            while not self._stopping.wait(0.5):
                pass
        finally:
            self.stop()

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    @property
    def port(self) -> int:
        """The port listened on (the one the OS chose when port=0), once started."""
        if self._httpd is None and self._port == 0:
            raise RuntimeError("not started: call start(), or use `with FakeBatchServer() as server`")
        return self._port

    @property
    def url(self) -> str:
        """The client's base URL, e.g. http://127.0.0.1:54321/2.11."""
        host = {"0.0.0.0": "127.0.0.1", "::": "::1"}.get(self.host, self.host)  # noqa: S104 - not binding here
        return f"http://{f'[{host}]' if ':' in host else host}:{self.port}/{self.api_version}"

    def __repr__(self) -> str:
        where = self.url if self._httpd is not None else "not started"
        return f"FakeBatchServer(segments={self.segments}, seed={self.seed}, {where})"

    # -- data ------------------------------------------------------------------------------------------------

    def segment(self, index: int) -> dict[str, str]:
        """Segment number `index` (0-based) as the server sends it."""
        if not 0 <= index < self.segments:
            raise IndexError(f"segment index {index} out of range (0..{self.segments - 1})")
        h = hashlib.blake2b(index.to_bytes(8, "big"), digest_size=12, salt=self._salt).digest()
        topic, audience = _TOPICS[h[0] % len(_TOPICS)], _AUDIENCES[h[1] % len(_AUDIENCES)]
        created = self._base_time + index * _SPACING + int.from_bytes(h[2:6], "big") % _SPACING
        updated = created + int.from_bytes(h[6:10], "big") % _MAX_EDIT
        return {
            "code": f"{topic}-{audience}-{index}",  # the index makes codes unique, and cursors decodable here
            "display_name": f"{topic.capitalize()} {audience} #{index}",
            "created_at": _timestamp(created),
            "updated_at": _timestamp(updated),
        }

    def cursor(self, index: int) -> str:
        """The cursor Batch would send as next_from for a page starting at segment `index`.

        `index == segments` is the end of the list: the last page's next_from, which reads an empty page.
        """
        if index == self.segments:
            return base64.b64encode(f"end-{index}@{_timestamp(self._base_time)}".encode()).decode("ascii")
        segment = self.segment(index)
        return base64.b64encode(f"{segment['code']}@{segment['created_at']}".encode()).decode("ascii")

    def _decode_cursor(self, cursor: str) -> int | None:
        try:
            code = base64.b64decode(cursor.encode("ascii"), validate=True).decode("utf-8").rpartition("@")[0]
        except ValueError:  # binascii.Error and UnicodeError are ValueErrors
            return None
        index = code.rpartition("-")[2]
        if not _INDEX.fullmatch(index) or int(index) > self.segments:
            return None
        # Comparing with the canonical cursor rejects tampered ones and non-canonical base64 alike.
        return int(index) if self.cursor(int(index)) == cursor else None

    # -- faults and the request log --------------------------------------------------------------------------

    def inject(self, fault: Fault, times: int = 1) -> None:
        """Apply `fault` to the next `times` requests, after any fault queued before (first in, first out)."""
        if not isinstance(fault, Fault):
            raise TypeError(f"fault must be a Fault, not {type(fault).__name__}")
        if isinstance(times, bool) or not isinstance(times, int) or times < 1:
            raise ValueError(f"times must be an int >= 1, got {times!r}")
        with self._lock:
            self._queued.extend([fault] * times)

    def set_fault_rate(self, rate: float, faults: Sequence[Fault], seed: int = 0) -> None:
        """Give each request (without a queued fault) a `rate` chance of a fault drawn from `faults`.

        Deterministic given `seed` and the order requests arrive in; `set_fault_rate(0, ())` turns it off.
        """
        if not 0 <= rate <= 1:
            raise ValueError(f"rate must be from 0 to 1, got {rate!r}")
        if rate and not faults:
            raise ValueError("faults must not be empty when rate > 0")
        with self._lock:
            self._fault_rate, self._rate_faults, self._fault_random = rate, tuple(faults), random.Random(seed)

    def clear_faults(self) -> None:
        """Forget the queued faults and turn the fault rate off."""
        with self._lock:
            self._queued.clear()
            self._fault_rate, self._rate_faults = 0.0, ()

    @property
    def requests(self) -> list[RecordedRequest]:
        """Every request read so far, oldest first (a copy)."""
        with self._lock:
            return list(self._log)

    def clear_requests(self) -> None:
        with self._lock:
            self._log.clear()

    @property
    def connections_opened(self) -> int:
        """How many TCP connections the server has accepted so far."""
        with self._lock:
            return self._connections_opened

    def _opened(self, connection: socket.socket) -> None:
        with self._lock:
            self._connections.add(connection)
            self._connections_opened += 1

    def _closed(self, connection: socket.socket) -> None:
        with self._lock:
            self._connections.discard(connection)

    def _record(self, handler: _Handler, path: str, query: dict[str, list[str]]) -> Fault | None:
        headers = dict(handler.headers)
        if "authorization" in headers:
            headers["authorization"] = "[REDACTED]"
        with self._lock:
            if self._queued:
                fault: Fault | None = self._queued.popleft()
            elif self._fault_rate and self._fault_random.random() < self._fault_rate:
                fault = self._fault_random.choice(self._rate_faults)
            else:
                fault = None
            kind = fault.kind if fault else None
            self._log.append(RecordedRequest(handler.command, path, query, headers, kind))
        return fault

    # -- answering -------------------------------------------------------------------------------------------

    def _serve(self, handler: _Handler) -> None:
        url = urlsplit(handler.path)
        query = parse_qs(url.query, keep_blank_values=True)
        fault = self._record(handler, url.path, query)
        if fault is not None and fault.kind == "drop_before_response":
            handler.close_connection = True
            return
        if fault is not None and fault.kind == "slow" and self._stopping.wait(fault.seconds):
            handler.close_connection = True
            return
        if fault is not None and fault.kind == "raw":
            handler.close_connection = True
            handler._write(fault.status, fault.headers, fault.body)
            return
        if fault is not None and fault.status:
            status, headers, body = fault.status, list(fault.headers), fault.body
        else:
            status, content, headers = self._answer(handler, url.path, query)
            body = content if isinstance(content, bytes) else json.dumps(content, ensure_ascii=False).encode()
        headers = [("Content-Type", "application/json"), ("Content-Length", str(len(body))), *headers]
        if handler.command == "HEAD":
            body = b""
        if fault is not None and fault.kind == "drop_mid_body":
            handler.close_connection = True
            handler._write(status, headers, body, cut=len(body) // 2)
            return
        handler._write(status, headers, body)

    def _answer(
        self, handler: _Handler, path: str, query: dict[str, list[str]]
    ) -> tuple[int, dict[str, Any] | bytes, list[tuple[str, str]]]:
        # A wrong path or method answers as such whatever the credentials: it is a wrong base URL more often
        # than an attack, and saying so is more useful to whoever debugs it.
        if not _PATH.fullmatch(path):
            return 404, _error_body("ROUTE_NOT_FOUND", f"No route matches {path}"), []
        if handler.command != "GET":
            message = f"{handler.command} is not allowed here"
            return 405, _error_body("METHOD_NOT_ALLOWED", message), [("Allow", "GET")]
        scheme, _, token = handler.headers.get("authorization", "").partition(" ")
        project = handler.headers.get("x-batch-project")
        if scheme.lower() != "bearer" or token != self.api_key or project != self.project_key:
            message = "The REST API key is missing or not valid for this project"
            return 401, _error_body("AUTHENTICATION_INVALID", message), []
        limits, cursors = query.get("limit", [str(DEFAULT_LIMIT)]), query.get("from")
        if len(limits) != 1 or not _LIMIT.fullmatch(limits[0]) or not 1 <= int(limits[0]) <= MAX_LIMIT:
            message = f"limit must be one integer from 1 to {MAX_LIMIT}, got {', '.join(limits)!r}"
            return 400, _error_body("INVALID_PARAMETER", message), []
        start = 0
        if cursors is not None:
            found = self._index_of(cursors[0]) if len(cursors) == 1 else None
            if found is None:
                return 400, _error_body("INVALID_PARAMETER", "from is not a valid cursor"), []
            start = found
        return 200, self._page(start, int(limits[0]), first=cursors is None), []

    def _render_page(self, start: int, limit: int, *, first: bool) -> bytes:
        end = min(start + limit, self.segments)
        page: dict[str, Any] = {"segments": [self.segment(i) for i in range(start, end)]}
        if first:
            page["count"] = self.segments
        page["has_more"] = end < self.segments
        page["next_from"] = self.cursor(end)  # on the last page too, as Batch does: clients must stop on has_more
        return json.dumps(page, ensure_ascii=False, separators=(",", ":")).encode()


def _phrase(status: int) -> str:
    try:
        return http.HTTPStatus(status).phrase
    except ValueError:
        return "Unknown"


def _timestamp(seconds: int) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(seconds))
