"""The fake Batch server over real loopback sockets, with http.client and httpx (no batch_rest client), against the
shipped document (segments). Operations the shipped document does not have yet are served in
tests/operations/checks/check_fake_server_operations.py."""

from __future__ import annotations

import base64
import http.client
import io
import json
import re
import signal
import socket
import socketserver
import subprocess
import sys
import threading
import time
import tracemalloc
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest

from batch_rest.testing import DEMO_API_KEY, DEMO_PROJECT_KEY, FakeBatchServer, Fault, RateLimit, RecordedRequest

pytestmark = pytest.mark.timeout(30)

AUTH = {"Authorization": f"Bearer {DEMO_API_KEY}", "X-Batch-Project": DEMO_PROJECT_KEY}
RFC3339_UTC = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z")


# verify=False on every httpx client here: the requests are plain http to loopback, and it spares loading the
# CA bundle, which costs 30-80 ms per client.


def get(url: str, **kwargs: Any) -> httpx.Response:
    return httpx.get(url, verify=False, **kwargs)


@pytest.fixture(scope="module")
def shared() -> Iterator[FakeBatchServer]:
    with FakeBatchServer() as server:
        yield server


@pytest.fixture
def server(shared: FakeBatchServer) -> FakeBatchServer:
    """The module's server (250 segments, seed 0), with an empty log and no fault pending."""
    shared.clear_requests()
    shared.clear_faults()
    return shared


@pytest.fixture
def api(server: FakeBatchServer) -> Iterator[httpx.Client]:
    with httpx.Client(verify=False, base_url=server.url, headers=AUTH, timeout=5) as client:
        yield client


OPENED: list[http.client.HTTPConnection] = []


@pytest.fixture(autouse=True)
def _close_connections() -> Iterator[None]:
    yield
    while OPENED:
        OPENED.pop().close()


def connect(server: FakeBatchServer) -> http.client.HTTPConnection:
    """An http.client connection to the server, closed after the test; it sends what it is given verbatim."""
    connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=5)
    OPENED.append(connection)
    return connection


def raw_get(server: FakeBatchServer, target: str, headers: dict[str, str] | None = None) -> http.client.HTTPResponse:
    """GET `target` verbatim (no encoding of any kind) on a new connection; the caller reads the response."""
    connection = connect(server)
    connection.request("GET", target, headers=AUTH if headers is None else headers)
    return connection.getresponse()


def path(server: FakeBatchServer) -> str:
    return f"/{server.api_version}/segments/list"


def error_of(response: httpx.Response) -> dict[str, Any]:
    assert response.headers["content-type"] == "application/json"
    body = response.json()
    assert set(body) == {"error_code", "error_message"}
    assert all(isinstance(v, str) and v for v in body.values())
    return body  # type: ignore[no-any-return]


# -- addresses and life cycle --------------------------------------------------------------------------------


def test_url_and_keys() -> None:
    server = FakeBatchServer(api_version="2.9")
    with pytest.raises(RuntimeError, match="not started"):
        _ = server.url
    with server:
        assert server.port > 0
        assert server.url == f"http://127.0.0.1:{server.port}/2.9"
        assert (server.api_key, server.project_key) == (DEMO_API_KEY, DEMO_PROJECT_KEY)
        assert "demo" in DEMO_API_KEY
        assert "demo" in DEMO_PROJECT_KEY
        assert str(server.port) in repr(server)


def test_stop_is_prompt_with_idle_keep_alive_connections_and_leaves_no_thread() -> None:
    threads_before = set(threading.enumerate())
    server = FakeBatchServer().start()
    connections = [connect(server) for _ in range(4)]
    for connection in connections:
        connection.request("GET", path(server), headers=AUTH)
        connection.getresponse().read()  # the connection stays open, its handler thread waits in recv()
    server.inject(Fault.slow(30))
    slow = connect(server)
    slow.request("GET", path(server), headers=AUTH)
    time.sleep(0.1)  # let the slow request arrive and start waiting
    started = time.perf_counter()
    server.stop()
    assert time.perf_counter() - started < 1.0
    assert set(threading.enumerate()) <= threads_before
    with pytest.raises((http.client.RemoteDisconnected, ConnectionError)):
        slow.getresponse()
    for connection in connections:  # their server side is closed: a new request on them fails
        with pytest.raises((http.client.RemoteDisconnected, ConnectionError)):
            connection.request("GET", path(server), headers=AUTH)
            connection.getresponse()
        connection.close()
    server.stop()  # idempotent


def test_serve_forever_returns_when_stopped_from_another_thread() -> None:
    server = FakeBatchServer()
    thread = threading.Thread(target=server.serve_forever)
    thread.start()
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:
        try:
            server.port  # noqa: B018 - raises until started
            break
        except RuntimeError:
            time.sleep(0.01)
    assert get(server.url + "/segments/list", headers=AUTH).status_code == 200
    server.stop()
    thread.join(timeout=3)
    assert not thread.is_alive()


def test_serve_forever_stops_on_ctrl_c() -> None:
    code = (
        "from batch_rest.testing import FakeBatchServer\n"
        "server = FakeBatchServer(segments=3)\n"
        "server.start()\n"
        "print(server.url, flush=True)\n"
        "server.serve_forever()\n"
    )
    process = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        assert process.stdout is not None
        url = process.stdout.readline().strip()
        assert get(url + "/segments/list", headers=AUTH).json()["count"] == 3
        process.send_signal(signal.SIGINT)
        _, stderr = process.communicate(timeout=10)
    finally:
        process.kill()
    assert "KeyboardInterrupt" in stderr
    assert process.returncode != 0
    with pytest.raises(httpx.ConnectError):
        get(url + "/segments/list", headers=AUTH)


def test_keep_alive_and_connection_count() -> None:
    with FakeBatchServer() as server:
        assert server.connections_opened == 0
        connection = connect(server)
        for _ in range(5):
            connection.request("GET", path(server) + "?limit=3", headers=AUTH)
            response = connection.getresponse()
            assert response.status == 200
            assert response.version == 11
            assert response.getheader("Connection") is None
            response.read()
        assert server.connections_opened == 1
        connection.close()
        raw_get(server, path(server)).read()
        assert server.connections_opened == 2


def test_responses_do_not_stall_on_keep_alive_connections(monkeypatch: pytest.MonkeyPatch) -> None:
    # Headers and body in two sends, with Nagle on, cost ~40 ms per response on Linux loopback. Checked by what
    # the server does (one write per response, TCP_NODELAY), not by timing it: the machines are noisy.
    writes: list[int] = []
    original = socketserver._SocketWriter.write

    def counting_write(self: socketserver._SocketWriter, data: bytes) -> int:
        writes.append(len(data))
        return original(self, data)

    monkeypatch.setattr(socketserver._SocketWriter, "write", counting_write)
    with (
        FakeBatchServer(segments=300) as server,
        httpx.Client(verify=False, headers=AUTH, timeout=5) as client,
    ):
        for _ in range(3):
            assert client.get(server.url + "/segments/list", params={"limit": 100}).status_code == 200
        with server._lock:
            nodelay = [c.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY) for c in server._connections]
        assert nodelay == [1]
        assert len(writes) == 3, writes
        assert server.connections_opened == 1


# -- pages ---------------------------------------------------------------------------------------------------


def test_first_page_defaults(api: httpx.Client, server: FakeBatchServer) -> None:
    response = api.get("/segments/list")
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/json"
    assert int(response.headers["content-length"]) == len(response.content)
    body = response.json()
    assert list(body) == ["segments", "count", "has_more", "next_from"]
    assert len(body["segments"]) == 10
    assert body["count"] == 250
    assert body["has_more"] is True
    assert body["next_from"] == server.cursor(10)
    assert body["segments"] == [server.segment(i) for i in range(10)]


def test_walking_every_page_serves_each_segment_once_in_order(api: httpx.Client, server: FakeBatchServer) -> None:
    seen, pages, cursor = [], [], None
    while True:
        body = api.get("/segments/list", params={"limit": 7, **({"from": cursor} if cursor else {})}).json()
        pages.append(body)
        seen += body["segments"]
        if not body["has_more"]:
            break
        cursor = body["next_from"]
    assert seen == [server.segment(i) for i in range(250)]
    assert len(pages) == 36
    assert "count" in pages[0]
    assert all("count" not in page for page in pages[1:])
    assert pages[-1]["next_from"] == server.cursor(250)  # past the end: an empty last page if followed
    assert api.get("/segments/list", params={"from": pages[-1]["next_from"]}).json() == {
        "segments": [],
        "has_more": False,
        "next_from": server.cursor(250),
    }
    assert len(pages[-1]["segments"]) == 250 % 7
    sent_cursors = [r.query.get("from", [None])[0] for r in server.requests]
    assert sent_cursors == [None] + [p["next_from"] for p in pages]


@pytest.mark.parametrize(("segments", "limit", "sizes"), [(0, 10, [0]), (10, 10, [10]), (11, 10, [10, 1]),
                                                          (1, 100, [1]), (200, 100, [100, 100])])  # fmt: skip
def test_page_boundaries(segments: int, limit: int, sizes: list[int]) -> None:
    with (
        FakeBatchServer(segments) as server,
        httpx.Client(verify=False, base_url=server.url, headers=AUTH) as client,
    ):
        body = client.get("/segments/list", params={"limit": limit}).json()
        assert body["count"] == segments
        got = [len(body["segments"])]
        while body["has_more"]:
            body = client.get("/segments/list", params={"limit": limit, "from": body["next_from"]}).json()
            got.append(len(body["segments"]))
        assert got == sizes
        assert body["next_from"] == server.cursor(segments)


def test_segment_fields() -> None:
    with FakeBatchServer(segments=5000, seed=3) as server:
        segments = [server.segment(i) for i in range(5000)]
    assert all(set(s) == {"code", "display_name", "created_at", "updated_at"} for s in segments)
    assert all(isinstance(value, str) and value for s in segments for value in s.values())
    assert len({s["code"] for s in segments}) == 5000
    for s in segments:
        assert RFC3339_UTC.fullmatch(s["created_at"]), s
        assert RFC3339_UTC.fullmatch(s["updated_at"]), s
        assert s["updated_at"] >= s["created_at"]
    created = [datetime.fromisoformat(s["created_at"]) for s in segments]
    assert all(c.tzinfo == UTC for c in created)
    assert created == sorted(created)


def test_cursor_is_base64_of_code_at_created_at(server: FakeBatchServer) -> None:
    for index in (0, 1, 99, 249):
        segment = server.segment(index)
        assert base64.b64decode(server.cursor(index), validate=True).decode() == (
            f"{segment['code']}@{segment['created_at']}"
        )


@pytest.mark.parametrize("seed", [0, 1, 2, 12345])
def test_cursors_contain_plus_slash_and_equals(seed: int) -> None:
    server = FakeBatchServer(segments=1000, seed=seed)
    cursors = [server.cursor(i) for i in range(1000)]
    for char in "+/=":
        assert any(char in c for c in cursors), char
    assert len(set(cursors)) == 1000


def test_data_is_a_pure_function_of_seed_and_index() -> None:
    a, b, c = FakeBatchServer(300, seed=5), FakeBatchServer(300, seed=5), FakeBatchServer(300, seed=6)
    assert [a.segment(i) for i in range(300)] == [b.segment(i) for i in range(300)]
    assert [a.cursor(i) for i in range(300)] == [b.cursor(i) for i in range(300)]
    differing = sum(a.segment(i) != c.segment(i) for i in range(300))
    assert differing == 300
    assert FakeBatchServer(10**9, seed=5).segment(299) == a.segment(299)  # independent of the data set's size
    with pytest.raises(IndexError):
        a.segment(300)
    with pytest.raises(IndexError):
        a.segment(-1)


def test_a_million_segments_cost_no_memory() -> None:
    tracemalloc.start()
    try:
        with (
            FakeBatchServer(1_000_000) as server,
            httpx.Client(verify=False, base_url=server.url, headers=AUTH) as c,
        ):
            last = c.get("/segments/list", params={"limit": 100, "from": server.cursor(999_950)}).json()
            first = c.get("/segments/list").json()
            _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert first["count"] == 1_000_000
    assert len(last["segments"]) == 50
    assert last["has_more"] is False
    assert last["segments"][-1]["code"].endswith("-999999")
    assert peak < 5_000_000  # httpx and the threads; a million segments would be hundreds of MB


def test_unknown_query_parameters_and_other_api_versions_are_accepted(server: FakeBatchServer) -> None:
    response = raw_get(server, "/2.9/segments/list?limit=2&whatever=1")
    assert response.status == 200
    assert len(json.loads(response.read())["segments"]) == 2


# -- errors --------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "headers",
    [
        {},
        {"X-Batch-Project": DEMO_PROJECT_KEY},
        {"Authorization": f"Bearer {DEMO_API_KEY}"},
        {"Authorization": "Bearer wrong", "X-Batch-Project": DEMO_PROJECT_KEY},
        {"Authorization": f"Bearer {DEMO_API_KEY}", "X-Batch-Project": "other-project"},
        {"Authorization": DEMO_API_KEY, "X-Batch-Project": DEMO_PROJECT_KEY},
        {"Authorization": f"Basic {DEMO_API_KEY}", "X-Batch-Project": DEMO_PROJECT_KEY},
        {"Authorization": f"Bearer  {DEMO_API_KEY}", "X-Batch-Project": DEMO_PROJECT_KEY},
    ],
    ids=[
        "none",
        "no-authorization",
        "no-project",
        "wrong-key",
        "wrong-project",
        "no-scheme",
        "basic",
        "2-spaces",
    ],
)
def test_bad_credentials_are_401(server: FakeBatchServer, headers: dict[str, str]) -> None:
    with httpx.Client(verify=False, base_url=server.url) as client:
        response = client.get("/segments/list", headers=headers, params={"limit": "not a number"})
    assert response.status_code == 401  # before the parameters are looked at
    assert error_of(response)["error_code"] == "AUTHENTICATION_INVALID"


def test_bearer_scheme_is_case_insensitive(server: FakeBatchServer) -> None:
    headers = {"Authorization": f"bearer {DEMO_API_KEY}", "X-Batch-Project": DEMO_PROJECT_KEY}
    assert get(server.url + "/segments/list", headers=headers).status_code == 200


def test_custom_keys() -> None:
    with FakeBatchServer(api_key="k3y", project_key="pr0ject") as server:
        good = {"Authorization": "Bearer k3y", "X-Batch-Project": "pr0ject"}
        assert get(server.url + "/segments/list", headers=good).status_code == 200
        assert get(server.url + "/segments/list", headers=AUTH).status_code == 401


@pytest.mark.parametrize("query", ["limit=0", "limit=101", "limit=-1", "limit=abc", "limit=", "limit=1.5",
                                   "limit=%205", "limit=1e2", "limit=5&limit=6",
                                   "limit=99999999999"])  # fmt: skip
def test_bad_limit_is_400(server: FakeBatchServer, query: str) -> None:
    response = raw_get(server, f"{path(server)}?{query}")
    assert response.status == 400
    body = json.loads(response.read())
    assert set(body) == {"error_code", "error_message"}
    assert "limit" in body["error_message"]


@pytest.mark.parametrize(("limit", "size"), [("1", 1), ("100", 100), ("010", 10)])
def test_good_limits(server: FakeBatchServer, limit: str, size: int) -> None:
    response = raw_get(server, f"{path(server)}?limit={limit}")
    assert response.status == 200
    assert len(json.loads(response.read())["segments"]) == size


def test_bad_cursors_are_400(server: FakeBatchServer) -> None:
    good = next(c for c in map(server.cursor, range(250)) if "+" in c and c.endswith("="))
    code, created = base64.b64decode(good).decode().rsplit("@", 1)
    bad = [
        "",
        "bm9wZQ==",  # "nope"
        "!!!",
        good.rstrip("="),  # no padding
        good + good,
        base64.b64encode(f"{code}@2001-01-01T00:00:00Z".encode()).decode(),
        base64.b64encode(f"{code.rsplit('-', 1)[0]}-999@{created}".encode()).decode(),
        base64.b64encode(b"\xff\xfe@x").decode(),
        "é",
    ]
    for cursor in bad:
        response = get(server.url + "/segments/list", params={"from": cursor}, headers=AUTH)
        assert response.status_code == 400, cursor
        assert "from" in error_of(response)["error_message"]
    # A `+` not percent-encoded is a space once the query is decoded: the cursor is unknown.
    unencoded = raw_get(server, f"{path(server)}?from={good}")
    assert unencoded.status == 400
    unencoded.read()
    assert server.requests[-1].query["from"] == [good.replace("+", " ")]
    assert raw_get(server, f"{path(server)}?from={good.replace('+', '%2B')}").status == 200
    two = get(server.url + "/segments/list", params=[("from", good), ("from", good)], headers=AUTH)
    assert two.status_code == 400


@pytest.mark.parametrize("target", ["/", "/2.11/segments", "/segments/list", "/2.11/segments/list/",
                                    "/v2/segments/list", "/2.11/audiences/list"])  # fmt: skip
def test_other_paths_are_404(server: FakeBatchServer, target: str) -> None:
    response = get(f"http://127.0.0.1:{server.port}{target}", headers=AUTH)
    assert response.status_code == 404
    error_of(response)


@pytest.mark.parametrize("method", ["POST", "PUT", "DELETE", "PATCH", "OPTIONS", "BREW"])
def test_other_methods_are_405(server: FakeBatchServer, method: str) -> None:
    with httpx.Client(verify=False, base_url=server.url, headers=AUTH) as client:
        response = client.request(method, "/segments/list", content=b'{"a body": "to skip"}')
        assert response.status_code == 405
        assert response.headers["allow"] == "GET"
        error_of(response)
        assert client.get("/segments/list").status_code == 200  # the body did not poison the connection


def test_head_is_405_without_a_body(server: FakeBatchServer) -> None:
    connection = connect(server)
    connection.request("HEAD", path(server), headers=AUTH)
    response = connection.getresponse()
    assert response.status == 405
    assert response.read() == b""
    connection.request("GET", path(server), headers=AUTH)  # still in step on the same connection
    assert connection.getresponse().status == 200


def exchange(server: FakeBatchServer, raw: bytes) -> tuple[int, bytes]:
    """Send `raw` bytes on a new socket; the status of the answer and everything read until the server closed."""
    with socket.create_connection(("127.0.0.1", server.port), timeout=5) as sock:
        sock.sendall(raw)
        received = b""
        while chunk := sock.recv(65536):
            received += chunk
    status_line = received.split(b"\r\n", 1)[0].split()
    return int(status_line[1]), received


def request_bytes(server: FakeBatchServer, *header_lines: str, line: str | None = None) -> bytes:
    """A GET of the first page, closing the connection, with `header_lines` after the credentials."""
    lines = [line or f"GET {path(server)} HTTP/1.1", "Host: x", *(f"{k}: {v}" for k, v in AUTH.items())]
    return ("\r\n".join([*lines, *header_lines, "Connection: close", "", ""])).encode("latin-1")


@pytest.mark.parametrize(
    ("line", "status"),
    [
        ("GET {path}", 400),  # HTTP/0.9 style: no version
        ("GET {path} HTTP/1.1 extra", 400),
        ("GET {path} HTTX/1.1", 400),
        ("GET {path} HTTP/2.0", 505),
        ("GET {path}?" + "x" * 70_000 + " HTTP/1.1", 414),
        ("GET {path} HTTP/1.1", 200),
    ],
)
def test_request_lines_are_checked(server: FakeBatchServer, line: str, status: int) -> None:
    assert exchange(server, request_bytes(server, line=line.format(path=path(server))))[0] == status


@pytest.mark.parametrize(
    ("header", "status"), [("No-Colon-Here", 400), ("Space Before : colon", 400), ("X-Ok: 1", 200)]
)
def test_header_lines_are_checked(server: FakeBatchServer, header: str, status: int) -> None:
    assert exchange(server, request_bytes(server, header))[0] == status


def test_too_many_headers_are_431(server: FakeBatchServer) -> None:
    many = [f"X-Filler-{i}: {i}" for i in range(101)]
    assert exchange(server, request_bytes(server, *many))[0] == 431


def test_header_names_are_case_insensitive_and_repeats_are_joined(server: FakeBatchServer) -> None:
    shouting = request_bytes(server).replace(b"Authorization", b"AUTHORIZATION").replace(b"X-Batch", b"x-BATCH")
    assert exchange(server, shouting)[0] == 200
    # Two Authorization lines combine into one value (RFC 9110), which is not the key: no guessing which one wins.
    assert exchange(server, request_bytes(server, f"Authorization: {AUTH['Authorization']}"))[0] == 401
    assert server.requests[-1].headers["x-batch-project"] == DEMO_PROJECT_KEY
    assert server.requests[-1].headers["authorization"] == "[REDACTED]"


def test_http_1_0_closes_unless_asked_to_keep_alive(server: FakeBatchServer) -> None:
    one_oh = request_bytes(server, line=f"GET {path(server)}?limit=1 HTTP/1.0").replace(b"Connection: close\r\n", b"")
    status, received = exchange(server, one_oh)  # returns only because the server closed the connection
    assert status == 200
    assert b"\r\nConnection: close\r\n" in received
    with socket.create_connection(("127.0.0.1", server.port), timeout=5) as sock:
        sock.sendall(one_oh.replace(b"Host: x", b"Host: x\r\nConnection: keep-alive"))
        sock.settimeout(0.5)
        head = sock.recv(65536)
        assert head.startswith(b"HTTP/1.1 200 ")
        assert b"Connection: close" not in head
        sock.sendall(one_oh)  # the connection is still open for a second request
        assert sock.recv(65536).startswith(b"HTTP/1.1 200 ")


# -- request bodies ------------------------------------------------------------------------------------------


def test_a_body_is_read_whole_and_recorded(server: FakeBatchServer) -> None:
    connection = connect(server)
    connection.request("POST", path(server), body=b'{"a": 1}', headers={**AUTH, "Content-Type": "application/json"})
    response = connection.getresponse()
    assert response.status == 405  # segments/list documents GET only...
    response.read()
    connection.request("GET", path(server), headers=AUTH)  # ...and the body did not poison the connection
    assert connection.getresponse().status == 200
    posted = server.requests[0]
    assert (posted.method, posted.body, posted.operation) == ("POST", b'{"a": 1}', None)
    assert server.requests[1].operation == "segments_list"


@pytest.mark.parametrize(
    ("headers", "status", "message"),
    [
        (["Transfer-Encoding: chunked"], 400, "chunked"),
        (["Content-Length: 17000000"], 413, "larger than"),
        (["Content-Length: abc"], 400, "Content-Length"),
        (["Content-Length: -1"], 400, "Content-Length"),
        (["Content-Length: 5", "Content-Length: 6"], 400, "Content-Length"),
    ],
)
def test_unreadable_bodies_are_refused_and_the_connection_closed(
    server: FakeBatchServer, headers: list[str], status: int, message: str
) -> None:
    got, received = exchange(server, request_bytes(server, *headers).replace(b"Connection: close\r\n", b""))
    assert got == status
    head, _, body = received.partition(b"\r\n\r\n")
    assert b"\r\nConnection: close\r\n" in head + b"\r\n"
    error = json.loads(body)
    assert set(error) == {"error_code", "error_message"}
    assert message in error["error_message"]
    assert server.requests == []  # refused before it was a request


# -- the request log -----------------------------------------------------------------------------------------


def test_request_log(api: httpx.Client, server: FakeBatchServer) -> None:
    cursor = server.cursor(20)
    api.get("/segments/list", params={"limit": 5, "from": cursor}, headers={"X-Extra": "1"})
    api.get("/nowhere")
    (first, second) = server.requests
    assert isinstance(first, RecordedRequest)
    assert first.method == "GET"
    assert first.path == path(server)
    assert first.query == {"limit": ["5"], "from": [cursor]}
    assert first.headers["authorization"] == "[REDACTED]"
    assert first.headers["x-batch-project"] == DEMO_PROJECT_KEY
    assert first.headers["x-extra"] == "1"
    assert DEMO_API_KEY not in repr(server.requests)
    assert first.fault is None
    assert (first.operation, first.body) == ("segments_list", b"")
    assert second.path == f"/{server.api_version}/nowhere"
    assert second.operation is None
    log = server.requests
    log.clear()  # a copy
    assert len(server.requests) == 2
    with pytest.raises(AttributeError):
        first.method = "POST"  # type: ignore[misc]
    server.clear_requests()
    assert server.requests == []


def test_request_log_is_thread_safe() -> None:
    with FakeBatchServer() as server:

        def hammer() -> None:
            with httpx.Client(verify=False, headers=AUTH) as client:
                for _ in range(25):
                    assert client.get(server.url + "/segments/list").status_code == 200

        threads = [threading.Thread(target=hammer) for _ in range(8)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert len(server.requests) == 200
        assert server.connections_opened == 8


# -- faults --------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("fault", "status", "retry_after"),
    [
        (Fault.rate_limit(), 429, None),
        (Fault.rate_limit(7), 429, "7"),
        (Fault.rate_limit("Wed, 21 Oct 2037 07:28:00 GMT"), 429, "Wed, 21 Oct 2037 07:28:00 GMT"),
        (Fault.server_error(), 500, None),
        (Fault.service_unavailable(), 503, None),
    ],
)
def test_error_faults(api: httpx.Client, server: FakeBatchServer, fault: Fault, status: int,
                      retry_after: str | None) -> None:  # fmt: skip
    server.inject(fault)
    response = api.get("/segments/list")
    assert response.status_code == status
    assert response.headers.get("retry-after") == retry_after
    assert int(response.headers["content-length"]) == len(response.content)
    error_of(response)
    assert api.get("/segments/list").status_code == 200  # one request only, same connection
    assert [r.fault for r in server.requests] == [fault.kind, None]


def test_faults_apply_regardless_of_auth(server: FakeBatchServer) -> None:
    server.inject(Fault.service_unavailable())
    assert get(server.url + "/segments/list").status_code == 503
    assert get(server.url + "/segments/list").status_code == 401


def test_drop_before_response(server: FakeBatchServer) -> None:
    server.inject(Fault.drop_before_response())
    connection = connect(server)
    connection.request("GET", path(server), headers=AUTH)
    with pytest.raises(http.client.RemoteDisconnected):
        connection.getresponse()
    assert [r.fault for r in server.requests] == ["drop_before_response"]


def test_drop_mid_body(server: FakeBatchServer) -> None:
    server.inject(Fault.drop_mid_body())
    response = raw_get(server, path(server) + "?limit=50")
    assert response.status == 200
    length = int(response.getheader("Content-Length") or 0)
    with pytest.raises(http.client.IncompleteRead) as caught:
        response.read()
    assert len(caught.value.partial) == length // 2
    full = raw_get(server, path(server) + "?limit=50").read()
    assert len(full) == length
    assert full.startswith(caught.value.partial)
    assert [r.fault for r in server.requests] == ["drop_mid_body", None]


def test_slow(api: httpx.Client, server: FakeBatchServer) -> None:
    server.inject(Fault.slow(0.3))
    started = time.perf_counter()
    response = api.get("/segments/list")
    assert time.perf_counter() - started >= 0.3
    assert response.status_code == 200
    assert response.json()["segments"] == [server.segment(i) for i in range(10)]
    server.inject(Fault.slow(1))
    with pytest.raises(httpx.ReadTimeout):
        api.get("/segments/list", timeout=0.1)


def test_raw(server: FakeBatchServer) -> None:
    server.inject(Fault.raw(418, {"Content-Type": "text/plain", "X-Odd": "yes"}, b"I'm a teapot"))
    server.inject(Fault.raw(200, [("Content-Type", "application/json")], b"{not json"))
    first = raw_get(server, path(server))
    assert (first.status, first.getheader("X-Odd"), first.read()) == (418, "yes", b"I'm a teapot")
    assert first.getheader("Connection") == "close"
    second = raw_get(server, path(server))
    assert (second.status, second.read()) == (200, b"{not json")
    assert [r.fault for r in server.requests] == ["raw", "raw"]


def test_raw_can_break_framing(server: FakeBatchServer) -> None:
    server.inject(Fault.raw(200, {"Content-Length": "100"}, b"short"))
    response = raw_get(server, path(server))
    with pytest.raises(http.client.IncompleteRead):
        response.read()


def test_injected_faults_are_first_in_first_out(api: httpx.Client, server: FakeBatchServer) -> None:
    server.inject(Fault.server_error(), times=2)
    server.inject(Fault.rate_limit(1))
    server.inject(Fault.service_unavailable())
    statuses = [api.get("/segments/list").status_code for _ in range(5)]
    assert statuses == [500, 500, 429, 503, 200]
    assert [r.fault for r in server.requests] == ["server_error", "server_error", "rate_limit",
                                                   "service_unavailable", None]  # fmt: skip


def test_clear_faults(api: httpx.Client, server: FakeBatchServer) -> None:
    server.inject(Fault.server_error(), times=3)
    server.set_fault_rate(1.0, [Fault.rate_limit()])
    server.clear_faults()
    assert api.get("/segments/list").status_code == 200


def fault_sequence(rate: float, seed: int, n: int = 60) -> list[str | None]:
    faults = [Fault.server_error(), Fault.service_unavailable(), Fault.rate_limit(0)]
    with FakeBatchServer() as server, httpx.Client(verify=False, base_url=server.url, headers=AUTH) as client:
        server.set_fault_rate(rate, faults, seed=seed)
        for _ in range(n):
            client.get("/segments/list")
        return [r.fault for r in server.requests]


def test_fault_rate_is_deterministic_given_the_seed() -> None:
    first, again = fault_sequence(0.4, seed=1), fault_sequence(0.4, seed=1)
    other = fault_sequence(0.4, seed=2)
    assert first == again
    assert first != other
    assert 10 <= sum(f is not None for f in first) <= 40
    assert {f for f in first if f} == {"server_error", "service_unavailable", "rate_limit"}
    assert set(fault_sequence(1.0, seed=0, n=10)) <= {"server_error", "service_unavailable", "rate_limit"}
    assert fault_sequence(0.0, seed=0, n=10) == [None] * 10


def test_queued_faults_come_before_the_fault_rate(api: httpx.Client, server: FakeBatchServer) -> None:
    server.set_fault_rate(1.0, [Fault.rate_limit()])
    server.inject(Fault.server_error())
    assert [api.get("/segments/list").status_code for _ in range(2)] == [500, 429]


def test_fault_arguments_are_checked(server: FakeBatchServer) -> None:
    with pytest.raises(ValueError, match="seconds"):
        Fault.slow(-1)
    with pytest.raises(ValueError, match="CR or LF"):
        Fault.rate_limit("1\r\nX-Injected: yes")
    with pytest.raises(ValueError, match="CR or LF"):
        Fault.raw(200, {"X": "a\nb"})
    with pytest.raises(ValueError, match="status"):
        Fault.raw(20)
    with pytest.raises(ValueError, match="times"):
        server.inject(Fault.server_error(), times=0)
    with pytest.raises(TypeError):
        server.inject("500")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="rate"):
        server.set_fault_rate(1.5, [Fault.server_error()])
    with pytest.raises(ValueError, match="faults"):
        server.set_fault_rate(0.5, [])
    with pytest.raises(ValueError, match="segments"):
        FakeBatchServer(-1)


def test_faults_are_frozen() -> None:
    fault = Fault.rate_limit(3)
    assert fault == Fault.rate_limit(3)
    with pytest.raises(AttributeError):
        fault.status = 200  # type: ignore[misc]


def test_faults_can_target_one_operation(server: FakeBatchServer) -> None:
    server.inject(Fault.server_error(), operation="segments_list")
    assert get(server.url + "/nowhere", headers=AUTH).status_code == 404  # another route: not its fault
    assert get(server.url + "/segments/list", headers=AUTH).status_code == 500
    assert get(server.url + "/segments/list", headers=AUTH).status_code == 200
    assert [(r.operation, r.fault) for r in server.requests] == [(None, None), ("segments_list", "server_error"),
                                                                  ("segments_list", None)]  # fmt: skip
    with pytest.raises(ValueError, match="no operation 'nope'; known: .*segments_list"):
        server.inject(Fault.server_error(), operation="nope")


def test_error_fault_sends_any_error_status_with_a_batch_body(api: httpx.Client, server: FakeBatchServer) -> None:
    server.inject(Fault.error(404))
    server.inject(Fault.error(403, "FORBIDDEN_PROJECT", "Not for you"))
    first, second = api.get("/segments/list"), api.get("/segments/list")
    assert (first.status_code, error_of(first)) == (404, {"error_code": "NOT_FOUND", "error_message": "Not Found"})
    assert (second.status_code, error_of(second)["error_code"]) == (403, "FORBIDDEN_PROJECT")
    assert [r.fault for r in server.requests] == ["error", "error"]
    with pytest.raises(ValueError, match="4xx or 5xx"):
        Fault.error(302)


def test_latency_delays_every_answer_and_stop_cuts_it_short() -> None:
    with FakeBatchServer(segments=5, latency=0.2) as server:
        started = time.perf_counter()
        assert get(server.url + "/segments/list", headers=AUTH).status_code == 200
        assert get(server.url + "/nowhere", headers=AUTH).status_code == 404
        assert time.perf_counter() - started >= 0.4
        server.latency = 30
        outcome: list[type[Exception]] = []

        def wait_for_an_answer() -> None:
            try:
                get(server.url + "/segments/list", headers=AUTH, timeout=10)
            except httpx.HTTPError as exc:
                outcome.append(type(exc))

        waiting = threading.Thread(target=wait_for_an_answer)
        waiting.start()
        deadline = time.monotonic() + 5
        while len(server.requests) < 3 and time.monotonic() < deadline:  # the request is in, and waiting
            time.sleep(0.01)
        started = time.perf_counter()
    waiting.join()
    assert time.perf_counter() - started < 2
    assert outcome == [httpx.RemoteProtocolError]  # stop() dropped the connection rather than wait 30 s


def test_rate_limit_answers_429_with_retry_after() -> None:
    with FakeBatchServer(segments=5, rate_limit=0.5) as server:  # one request now, the next in 2 s
        assert get(server.url + "/segments/list", headers=AUTH).status_code == 200
        refused = get(server.url + "/segments/list", headers=AUTH)
        assert refused.status_code == 429
        assert refused.headers["retry-after"] == "2"
        assert error_of(refused)["error_code"] == "TOO_MANY_REQUESTS"
        assert [r.fault for r in server.requests] == [None, "rate_limit"]
        server.clear_faults()  # the rate limit is the server's, not a fault to clear
        assert get(server.url + "/segments/list", headers=AUTH).status_code == 429


def answers(server: FakeBatchServer, n: int, target: str = "/segments/list") -> list[int | str]:
    """n GETs in a row: 200, or the status and its Retry-After ("429 1", "429 None")."""
    responses = [get(server.url + target, headers=AUTH) for _ in range(n)]
    return [r.status_code if r.status_code == 200 else f"{r.status_code} {r.headers.get('retry-after')}"
            for r in responses]  # fmt: skip


def test_rate_limit_is_a_token_bucket() -> None:
    now = [10**12]  # the limits' clock, in nanoseconds, frozen: nothing here depends on the machine's speed
    with FakeBatchServer(segments=5, rate_limit=4, clock=lambda: now[0]) as server:
        assert answers(server, 5) == [200, 200, 200, 200, "429 1"]  # a burst of 4, then a wait of 1/4 s: 1 s
        now[0] += 500_000_000  # two tokens back
        assert answers(server, 3) == [200, 200, "429 1"]
        now[0] += 60 * 10**9  # never more than the burst
        assert answers(server, 6).count(200) == 4
        assert answers(server, 1, "/nowhere") == ["429 1"]  # every route counts
    with FakeBatchServer(segments=5, rate_limit=0.5, clock=lambda: now[0]) as server:
        assert answers(server, 2) == [200, "429 2"]


def test_an_operations_limit_and_the_servers_refuse_together_and_take_nothing_when_they_do() -> None:
    now = [10**12]
    limits = {"segments_list": RateLimit(requests_per_second=1, requests_burst=1)}
    with FakeBatchServer(segments=5, rate_limit=2, limits=limits, clock=lambda: now[0]) as server:
        assert server.limits == limits
        assert answers(server, 2) == [200, "429 None"]  # the operation's limit: no Retry-After by default
        assert answers(server, 1, "/nowhere") == ["404 None"]  # the refusal took none of the server's 2 tokens
        assert answers(server, 1, "/nowhere") == ["429 1"]  # the server's limit refuses, with Retry-After
        now[0] += 250_000_000  # half a token for the server, a quarter for the operation: both refuse
        assert answers(server, 1) == ["429 1"]  # Retry-After, as the server's limit says, when both are met
        now[0] += 750_000_000
        assert answers(server, 2) == [200, "429 None"]
        assert [r.fault for r in server.requests].count("rate_limit") == 4
        server.inject(Fault.server_error(), operation="segments_list")
        now[0] += 10**9
        assert answers(server, 2) == ["500 None", 200]  # a queued fault comes first, and takes no token
    with FakeBatchServer(segments=5, limits=limits, clock=lambda: now[0]) as server:
        assert answers(server, 2) == [200, "429 None"]  # a restarted server starts with full buckets


def test_access_log_has_a_line_per_request() -> None:
    log = io.StringIO()
    with FakeBatchServer(segments=5, access_log=log) as server:
        get(server.url + "/segments/list?limit=2", headers=AUTH)
        server.inject(Fault.rate_limit(1))
        get(server.url + "/segments/list", headers=AUTH)
        server.inject(Fault.drop_before_response())
        with pytest.raises(httpx.RemoteProtocolError):
            get(server.url + "/segments/list", headers=AUTH)
        get(server.url + "/nowhere")
    lines = log.getvalue().splitlines()
    assert len(lines) == 4
    pattern = r"\d\d:\d\d:\d\d GET /{v}/{target} {status} \d+\.\d ms{fault}"
    expected = [("segments/list\\?limit=2", "200", ""), ("segments/list", "429", " fault=rate_limit"),
                ("segments/list", "dropped", " fault=drop_before_response"), ("nowhere", "404", "")]  # fmt: skip
    for line, (target, status, fault) in zip(lines, expected, strict=True):
        assert re.fullmatch(pattern.format(v=re.escape(server.api_version), target=target, status=status, fault=fault),
                            line), line  # fmt: skip


def test_items_cursors_and_answers_of_the_document() -> None:
    server = FakeBatchServer(segments=3, seed=2)
    assert server.item("segments_list", 1) == server.segment(1)
    assert server.cursor(3, "segments_list") == server.cursor(3)
    with pytest.raises(IndexError):
        server.cursor(4)
    with pytest.raises(ValueError, match="not a cursor list"):
        server.item("nope", 0)
    with pytest.raises(ValueError, match="cursor list"):
        server.answer("segments_list")  # its answers are pages: item() and cursor() say what they hold


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"list_sizes": {"segments_list": 3}}, "not a cursor list besides segments"),
        ({"list_sizes": {"nope": 3}}, "not a cursor list besides segments"),
        ({"latency": -1}, "latency"),
        ({"latency": float("nan")}, "latency"),
        ({"rate_limit": 0}, "rate_limit"),
        ({"limits": {"nope": RateLimit(items_per_second=1)}}, "limits: no operation 'nope'; known: segments_list"),
    ],
)
def test_options_are_checked(options: dict[str, Any], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        FakeBatchServer(**options)


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"limits": {"segments_list": 10}}, r"limits\['segments_list'\] must be a RateLimit, not int"),
        ({"limits": [("segments_list", RateLimit(items_per_second=1))]}, "limits must map operation names"),
        ({"documented_limits": "yes"}, "documented_limits must be True or False"),
    ],
)
def test_limits_are_typed(options: dict[str, Any], message: str) -> None:
    with pytest.raises(TypeError, match=message):
        FakeBatchServer(**options)


def test_files_are_served_without_credentials(server: FakeBatchServer) -> None:
    origin = server.url.rsplit("/", 1)[0]
    response = get(origin + "/_files/exports_download-1a2b")
    assert (response.status_code, response.content) == (200, b"fake Batch file exports_download-1a2b\n")
    assert response.headers["content-type"] == "application/octet-stream"
    assert get(origin + "/_files/..%2Fetc").status_code == 404
    assert httpx.post(origin + "/_files/x", verify=False).status_code == 405


def test_no_stderr_noise(capfd: pytest.CaptureFixture[str]) -> None:
    with FakeBatchServer() as server:
        get(server.url + "/segments/list", headers=AUTH)
        get(server.url + "/nowhere", headers=AUTH)
        server.inject(Fault.drop_mid_body())
        with pytest.raises(httpx.RemoteProtocolError):
            get(server.url + "/segments/list", headers=AUTH)
        server.inject(Fault.slow(1))
        with pytest.raises(httpx.ReadTimeout):
            get(server.url + "/segments/list", headers=AUTH, timeout=0.05)
    captured = capfd.readouterr()
    assert captured.err == ""
    assert captured.out == ""
