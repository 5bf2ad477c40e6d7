"""A fake of Batch's REST API, every operation of the OpenAPI document the package was generated from, served over
real HTTP/1.1 on loopback, for tests and demos. Stateless, like stripe-mock: the document says what is served.

What it does, like Batch (as far as Batch documents it):

- serves each operation at `/<version>/<path>` with its documented method; another path is a 404, another
  method a 405 (`_routes` says what is checked, in which order);
- checks `Authorization: Bearer <api_key>` and `X-Batch-Project: <project_key>` before anything else about the
  request (401 `AUTHENTICATION_INVALID`), then the parameters and the JSON body against the document (400
  `INVALID_PARAMETER` / `INVALID_BODY`, naming the field);
- pages cursor lists through deterministic data in a stable order with Batch's envelope: the items, `has_more`,
  `next_from` (on every page: on the last one it points past the end, so a client that ignores has_more reads
  an empty page) and `count` (the total, on the first page only). Segments are `segments` fixed items whose
  cursors contain `+`, `/` and `=` (`_data`); other lists have `list_sizes[name]` items (25 by default) built
  from the item schema;
- answers other operations with their documented success status and a body built from the response schema,
  the document's examples first (`_samples`); no body for a 204; a documented redirect (exports' 307) gets a
  `Location` on this server, `/_files/<name>`, which serves a few bytes;
- injects faults (429, 500, 503, dropped connections, slowness, any raw response) into any route, or one
  operation's; optionally adds latency to every request;
- optionally limits rates, answering 429 beyond them (`_limits`): per operation, in items or requests a second
  with a burst (`limits=`, or `documented_limits=True` for what Batch documents), or the server's request rate
  (`rate_limit=`, with Retry-After);
- logs requests (`server.requests`, and an access log on a stream if asked).

What it does not do: keep state (a created audience is not listed afterwards), TLS, HTTP/1.0 keep-alive, nor
Batch's exact error codes and messages, which Batch does not document beyond `{error_code, error_message}`
(`AUTHENTICATION_INVALID` comes from Batch; the other codes are plausible stand-ins). Its answers, including
its 429/500/503 faults and its 404/405, validate against the document (tests/integration/
test_fake_server_conformance.py, and tests/operations for operations the shipped document does not have yet).

Data is a pure function of (seed, operation, index), computed when served, so a million segments cost no memory.
`server.segment(i)`, `server.item(operation, i)`, `server.cursor(i)` and `server.answer(operation)` give what the
server sends, to compare a client's results with.

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

import contextlib
import dataclasses
import http
import json
import random
import socket
import threading
import time
from collections import deque
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Self, TextIO

from batch_rest import _seam

from ._data import Items, SchemaItems, Segments
from ._http import HTTPServer, Reply, Request
from ._limits import Limiter, RateLimit, admit, count_items
from ._routes import JSON, Api, error_reply
from ._samples import Samples

__all__ = ["DEMO_API_KEY", "DEMO_PROJECT_KEY", "FakeBatchServer", "Fault", "RateLimit", "RecordedRequest"]

DEMO_API_KEY = "demo-rest-api-key"
DEMO_PROJECT_KEY = "demo-project-key"
DEFAULT_LIST_SIZE = 25
SEGMENTS = "segments_list"


def _error_body(code: str, message: str) -> bytes:
    return json.dumps({"error_code": code, "error_message": message}).encode()


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
        return cls("rate_limit", 429, headers, body)

    @classmethod
    def server_error(cls) -> Fault:
        """500 with a Batch-style error body."""
        return cls("server_error", 500, (), _error_body("SERVER_ERROR", "Unexpected error"))

    @classmethod
    def service_unavailable(cls) -> Fault:
        """503 with a Batch-style error body (Batch's maintenance answer)."""
        message = "Batch's services are under maintenance. Please try again later"
        return cls("service_unavailable", 503, (), _error_body("SERVICE_UNAVAILABLE", message))

    @classmethod
    def error(cls, status: int, code: str | None = None, message: str | None = None) -> Fault:
        """Any 4xx/5xx with a Batch-style error body: a documented error of one operation, such as

            server.inject(Fault.error(404), operation="audiences_view")

        `code` defaults to the status's name (`NOT_FOUND`), `message` to its phrase.
        """
        if not 400 <= status <= 599:
            raise ValueError(f"status must be a 4xx or 5xx HTTP status, got {status!r}")
        phrase = _phrase(status)
        body = _error_body(code or phrase.upper().replace(" ", "_").replace("-", "_"), message or phrase)
        return cls("error", status, (), body)

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


def _phrase(status: int) -> str:
    try:
        return http.HTTPStatus(status).phrase
    except ValueError:
        return "Error"


@dataclass(frozen=True)
class RecordedRequest:
    """One request the server read. Header names are lower-cased; Authorization's value is "[REDACTED]"."""

    method: str
    path: str  # without the query string, as sent (not percent-decoded)
    query: dict[str, list[str]]  # decoded, as a server decodes a query string (a bare `+` is a space)
    headers: dict[str, str]
    fault: str | None  # Fault.kind when a fault was applied to this request
    operation: str | None = None  # the operation the request was routed to (None: no route)
    body: bytes = b""  # as received


class FakeBatchServer:
    """Batch's REST API on loopback, every operation of the document. See the module docstring.

    Use it as a context manager, or call start() and stop(); `url` is the base URL to give the client.
    `list_sizes` sets how many items a cursor list other than segments has (`{"catalogs_list": 3}`; 25 by
    default); `latency` (seconds) delays every answer; `access_log` gets one line per request.

    Rate limits answer 429 beyond them (recorded as a `rate_limit` fault; a refused request takes no tokens):
    `limits` maps operations to a `RateLimit` (items and/or requests a second, each with a burst, counted from
    start()); `documented_limits=True` gives every operation the limits Batch documents for it
    (`RateLimit.documented`), which `limits` overrides operation by operation; `rate_limit` (requests a
    second, over every route, bursts of as many) answers with Retry-After. `clock` is the limits' clock, in
    nanoseconds like `time.monotonic_ns`: a test can freeze it.
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
        api_version: str = _seam.DEFAULT_API_VERSION,
        list_sizes: Mapping[str, int] | None = None,
        latency: float = 0.0,
        rate_limit: float | None = None,
        limits: Mapping[str, RateLimit] | None = None,
        documented_limits: bool = False,
        clock: Callable[[], int] = time.monotonic_ns,
        access_log: TextIO | None = None,
    ) -> None:
        _check_size("segments", segments)
        lists = {name: facts for name, facts in _seam.OPERATIONS.items() if facts["paging"]}
        sizes = dict(list_sizes or {})
        for name, size in sizes.items():
            if name == SEGMENTS or name not in lists:
                others = ", ".join(sorted(set(lists) - {SEGMENTS})) or "none"
                raise ValueError(f"list_sizes: {name!r} is not a cursor list besides segments (those are: {others})")
            _check_size(f"list_sizes[{name!r}]", size)
        if not 0 <= latency < float("inf"):
            raise ValueError(f"latency must be a finite number of seconds >= 0, got {latency!r}")
        if rate_limit is not None and not 0 < rate_limit < float("inf"):
            raise ValueError(f"rate_limit must be a number of requests a second > 0, got {rate_limit!r}")
        self._limits = _operation_limits(limits or {}, documented_limits)
        self.segments, self.seed = segments, seed
        self.api_key, self.project_key, self.api_version = api_key, project_key, api_version
        self.host, self._port = host, port
        self.latency, self.access_log = float(latency), access_log
        samples = Samples(_seam.document(), seed)
        self._lists: dict[str, Items] = {
            name: SchemaItems(sizes.get(name, DEFAULT_LIST_SIZE), samples, name, facts["paging"]["item_schema"])
            for name, facts in lists.items()
            if name != SEGMENTS
        }
        self._lists[SEGMENTS] = Segments(segments, seed)
        self._api = Api(operations=_seam.OPERATIONS, document=_seam.document(), samples=samples, lists=self._lists,
                        credentials=(api_key, project_key), origin=self._origin)  # fmt: skip
        self._fast = True  # False: the stdlib's two sends per response and Nagle on (benchmark 4 shows the cost)
        self._lock = threading.Lock()
        self._log: list[RecordedRequest] = []
        self._queued: deque[tuple[Fault, str | None]] = deque()
        self._fault_rate, self._fault_random = 0.0, random.Random(0)
        self._rate_faults: tuple[Fault, ...] = ()
        self._server_limit = None if rate_limit is None else RateLimit(requests_per_second=rate_limit, retry_after=True)
        self._clock = clock
        self._limiters: dict[str | None, Limiter] = {}  # by operation; None: the server's rate_limit
        self._item_arrays = {name: (facts["bulk"] or {}).get("array") for name, facts in _seam.OPERATIONS.items()}
        self._connections: set[socket.socket] = set()
        self._connections_opened = 0
        self._httpd: HTTPServer | None = None
        self._thread: threading.Thread | None = None
        self._stopping = threading.Event()

    # -- life cycle ------------------------------------------------------------------------------------------

    def start(self) -> Self:
        """Bind and serve in a background thread (no-op when already started)."""
        if self._httpd is not None:
            return self
        family = socket.AF_INET6 if ":" in self.host else socket.AF_INET
        httpd = HTTPServer((self.host, self._port), self, family)
        now = self._clock()
        with self._lock:  # full buckets: the limits count from now
            self._limiters = {name: Limiter(limit, now) for name, limit in self._limits.items()}
            if self._server_limit is not None:
                self._limiters[None] = Limiter(self._server_limit, now)
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
        self._stopping.set()  # wakes slow faults and latency
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
        return f"{self._origin()}/{self.api_version}"

    def _origin(self) -> str:
        host = {"0.0.0.0": "127.0.0.1", "::": "::1"}.get(self.host, self.host)  # noqa: S104 - not binding here
        return f"http://{f'[{host}]' if ':' in host else host}:{self.port}"

    def __repr__(self) -> str:
        where = self.url if self._httpd is not None else "not started"
        return f"FakeBatchServer(segments={self.segments}, seed={self.seed}, {where})"

    # -- data ------------------------------------------------------------------------------------------------

    def segment(self, index: int) -> dict[str, str]:
        """Segment number `index` (0-based) as the server sends it."""
        segment: dict[str, str] = self._lists[SEGMENTS].item(index)
        return segment

    def item(self, operation: str, index: int) -> Any:
        """Item number `index` (0-based) of the cursor list `operation` (e.g. "catalogs_list"), as served."""
        return self._list(operation).item(index)

    def cursor(self, index: int, operation: str = SEGMENTS) -> str:
        """The cursor Batch would send as next_from for a page starting at item `index` of `operation`.

        `index` equal to the list's size is the end of the list: the last page's next_from, which reads an
        empty page.
        """
        items = self._list(operation)
        if not 0 <= index <= items.size:
            raise IndexError(f"cursor index {index} out of range (0..{items.size})")
        return items.cursor(index)

    def answer(self, operation: str) -> tuple[int, Any]:
        """The documented success status of `operation` (not a cursor list) and the JSON body the server sends
        with it (None when there is none: a 204, a redirect)."""
        route = self._api.routes.get(operation)
        if route is None or route.items is not None:
            raise ValueError(f"{operation!r} is not an operation of the document, or is a cursor list")
        return route.status, route.success_body()

    def _list(self, operation: str) -> Items:
        if operation not in self._lists:
            raise ValueError(f"{operation!r} is not a cursor list; those are: {', '.join(sorted(self._lists))}")
        return self._lists[operation]

    # -- faults and the request log --------------------------------------------------------------------------

    def inject(self, fault: Fault, times: int = 1, *, operation: str | None = None) -> None:
        """Apply `fault` to the next `times` requests, after any fault queued before for them (first in, first
        out): any request (unknown routes and /_files links too), or only those routed to `operation`."""
        if not isinstance(fault, Fault):
            raise TypeError(f"fault must be a Fault, not {type(fault).__name__}")
        if isinstance(times, bool) or not isinstance(times, int) or times < 1:
            raise ValueError(f"times must be an int >= 1, got {times!r}")
        if operation is not None and operation not in self._api.routes:
            raise ValueError(f"no operation {operation!r}; known: {', '.join(sorted(self._api.routes))}")
        with self._lock:
            self._queued.extend([(fault, operation)] * times)

    def set_fault_rate(self, rate: float, faults: Sequence[Fault] = (), seed: int = 0) -> None:
        """Give each request (without a queued fault) a `rate` chance of a fault drawn from `faults`.

        Deterministic given `seed` and the order requests arrive in. `set_fault_rate(0)` turns it off (and leaves
        the queued faults, which `clear_faults()` forgets too); a rate above 0 needs at least one fault.
        """
        if not 0 <= rate <= 1:
            raise ValueError(f"rate must be from 0 to 1, got {rate!r}")
        if rate and not faults:
            raise ValueError(f"faults must not be empty when rate > 0 (set_fault_rate({rate!r}, [Fault...]))")
        with self._lock:
            self._fault_rate, self._rate_faults, self._fault_random = rate, tuple(faults), random.Random(seed)

    def clear_faults(self) -> None:
        """Forget every fault: the ones queued by `inject()` (for any operation) that no request has taken yet,
        and the fault rate (as `set_fault_rate(0)`). The constructor's `rate_limit` and `latency` stay: they
        are the server's settings, not faults. Use it between the steps of a test that share one server."""
        with self._lock:
            self._queued.clear()
            self._fault_rate, self._rate_faults = 0.0, ()

    @property
    def requests(self) -> list[RecordedRequest]:
        """Every request read so far, oldest first (a copy)."""
        with self._lock:
            return list(self._log)

    def clear_requests(self) -> None:
        """Forget the requests recorded so far: `requests` then lists only those read afterwards, for a test that
        counts one step's requests on a shared server. Faults and `connections_opened` are kept."""
        with self._lock:
            self._log.clear()

    @property
    def connections_opened(self) -> int:
        """How many TCP connections the server has accepted so far."""
        with self._lock:
            return self._connections_opened

    @property
    def limits(self) -> dict[str, RateLimit]:
        """The rate limit of each limited operation (`limits=` over the documented ones); `rate_limit` aside."""
        return dict(self._limits)

    def _opened(self, connection: socket.socket) -> None:
        with self._lock:
            self._connections.add(connection)
            self._connections_opened += 1

    def _closed(self, connection: socket.socket) -> None:
        with self._lock:
            self._connections.discard(connection)

    def _record(self, request: Request, operation: str | None) -> Fault | None:
        """Log the request, and say which fault (if any) it gets: a queued one, the rate limits', a random one."""
        headers = dict(request.headers)
        if "authorization" in headers:
            headers["authorization"] = "[REDACTED]"
        # Counted outside the lock: it parses the body. Only an items limit needs it.
        limit = self._limits.get(operation) if operation is not None else None
        items = 1
        if operation is not None and limit is not None and limit.items_per_second is not None:
            items = count_items(request.body, self._item_arrays[operation])
        with self._lock:
            fault = self._queued_fault(operation)
            if fault is None:
                fault = self._rate_limited(operation, items)
            if fault is None and self._fault_rate and self._fault_random.random() < self._fault_rate:
                fault = self._fault_random.choice(self._rate_faults)
            kind = fault.kind if fault else None
            path = request.target.partition("?")[0]
            self._log.append(RecordedRequest(request.method, path, request.query, headers, kind, operation,
                                             request.body))  # fmt: skip
        return fault

    def _rate_limited(self, operation: str | None, items: int) -> Fault | None:
        """The 429 of the limits that refuse this request, None when they all admit it (and it took its tokens).
        Called under the lock."""
        keys = (None,) if operation is None else (None, operation)  # the server's limit, then the operation's
        charges = [(limiter, items) for key in keys if (limiter := self._limiters.get(key)) is not None]
        if not charges:
            return None
        refusal = admit(charges, self._clock())
        return None if refusal is None else Fault.rate_limit(refusal.retry_after_header())

    def _queued_fault(self, operation: str | None) -> Fault | None:
        for position, (fault, target) in enumerate(self._queued):
            if target is None or target == operation:
                del self._queued[position]
                return fault
        return None

    # -- answering (called by _http's connection threads) ----------------------------------------------------

    def _serve(self, request: Request) -> tuple[Reply, str | None]:
        """The reply to `request`, and the kind of fault applied to it (None if none)."""
        operation, respond = self._api.match(request.method, request.path)
        fault = self._record(request, operation)
        kind = fault.kind if fault is not None else None
        if fault is not None and fault.kind == "drop_before_response":
            return Reply(0, action="drop"), kind
        wait = self.latency + (fault.seconds if fault is not None and fault.kind == "slow" else 0.0)
        if wait and self._stopping.wait(wait):
            return Reply(0, action="drop"), kind
        if fault is not None and fault.kind == "raw":
            return Reply(fault.status, fault.headers, fault.body, action="raw"), kind
        if fault is not None and fault.status:
            reply = Reply(fault.status, (JSON, *fault.headers), fault.body)
        else:
            try:
                reply = respond(request)
            except Exception as exc:  # noqa: BLE001 - a bug of the fake: say so to the client, not to stderr
                reply = error_reply(500, "SERVER_ERROR", f"the fake server failed: {type(exc).__name__}: {exc}")
        if fault is not None and fault.kind == "drop_mid_body":
            return dataclasses.replace(reply, action="cut"), kind
        return reply, kind

    def _served(self, request: Request, reply: Reply, fault: str | None, seconds: float) -> None:
        """The access log's line for one request: time, method, target, status, milliseconds, fault."""
        if self.access_log is None:
            return
        status = {"drop": "dropped", "cut": f"{reply.status} cut"}.get(reply.action, str(reply.status))
        line = f"{time.strftime('%H:%M:%S')} {request.method} {request.target} {status} {seconds * 1000:.1f} ms"
        with contextlib.suppress(ValueError, OSError):  # a closed stream must not break serving
            self.access_log.write(line + (f" fault={fault}" if fault else "") + "\n")
            self.access_log.flush()


def _operation_limits(limits: Mapping[str, RateLimit], documented: bool) -> dict[str, RateLimit]:
    """The limit of each limited operation: the documented ones if asked, then `limits` (checked) over them."""
    if not isinstance(documented, bool):
        raise TypeError(f"documented_limits must be True or False, got {documented!r}")
    chosen: dict[str, RateLimit] = {}
    if documented:
        chosen = {name: limit for name in _seam.OPERATIONS if (limit := RateLimit.documented(name)) is not None}
    if not isinstance(limits, Mapping):
        raise TypeError(f"limits must map operation names to RateLimit, not {type(limits).__name__}")
    for name, limit in limits.items():
        if name not in _seam.OPERATIONS:
            raise ValueError(f"limits: no operation {name!r}; known: {', '.join(sorted(_seam.OPERATIONS))}")
        if not isinstance(limit, RateLimit):
            raise TypeError(f"limits[{name!r}] must be a RateLimit, not {type(limit).__name__}")
        chosen[name] = limit
    return chosen


def _check_size(what: str, size: object) -> None:
    if isinstance(size, bool) or not isinstance(size, int) or not 0 <= size < 2**62:
        raise ValueError(f"{what} must be an int >= 0, got {size!r}")
