"""Secret canary: a unique API key, every error path at DEBUG logging, and the key must show up nowhere.

Nowhere: no log record (message, args, extra attributes; captured by caplog and by a handler on the root
logger; and on stderr through BATCH_REST_LOG=debug), no exception's str, repr or attributes, no formatted
traceback (also with capture_locals=True), no repr of a client, pager or page, and no CLI output.

The paths: each status (400 401 403 404 418 429 500 503 520), a wrong key, connection refused, a timeout, a
connection dropped mid-body, a malformed 200 body, pagination errors, a server that echoes the Authorization
header back in its error bodies and in malformed success bodies, bad arguments, and configuration errors.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import subprocess
import sys
import traceback
import uuid
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest
from _reliability import KINDS, FakeBatchServer, Fault, closed_port_url, fast_retries, make_client

import batch_rest
from batch_rest import cli

KEY = f"sk-canary-{uuid.uuid4().hex}"
PROJECT = "canary-project"
STATUSES = (400, 401, 403, 404, 418, 429, 500, 503, 520)


class Keep(logging.Handler):
    """Every record, kept, and formatted with every standard field."""

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.records: list[logging.LogRecord] = []
        self.lines: list[str] = []
        self.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s %(pathname)s %(message)s"))

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)
        self.lines.append(self.format(record))


@pytest.fixture
def logs(caplog: pytest.LogCaptureFixture) -> Iterator[Keep]:
    """DEBUG on the batch_rest logger, a handler on the root logger; everything restored afterwards."""
    keep = Keep()
    root, library = logging.getLogger(), logging.getLogger("batch_rest")
    handlers, level = list(library.handlers), library.level
    root.addHandler(keep)
    caplog.set_level(logging.DEBUG, logger="batch_rest")
    yield keep
    root.removeHandler(keep)
    for handler in library.handlers[:]:  # BATCH_REST_LOG and the CLI's -v add handlers to the library's logger
        if handler not in handlers:
            library.removeHandler(handler)
    library.setLevel(level)


class Evidence:
    """Every text the key must not appear in, labelled."""

    def __init__(self) -> None:
        self.texts: list[tuple[str, str]] = []

    def add(self, label: str, text: object) -> None:
        self.texts.append((label, text if isinstance(text, str) else repr(text)))

    def error(self, label: str, error: BaseException) -> None:
        """str, repr, attributes and tracebacks of `error`. Where the caller passed the key itself as a (bad)
        argument ("the key as ..."), traceback locals show it as that argument's value: not checked there."""
        self.add(f"{label}: str", str(error))
        self.add(f"{label}: repr", repr(error))
        self.add(f"{label}: attributes", vars(error))
        self.add(f"{label}: format_exception", "".join(traceback.format_exception(error)))
        if "the key as" in label:
            return
        try:
            with_locals = traceback.TracebackException.from_exception(error, capture_locals=True)
            self.add(f"{label}: traceback with locals", "".join(with_locals.format()))
        except Exception as broken:  # see test_repr_of_a_half_built_client_does_not_raise
            self.add(f"{label}: traceback with locals FAILED", f"{type(broken).__name__}: {broken}")

    def records(self, label: str, records: list[logging.LogRecord]) -> None:
        for record in records:
            self.add(f"{label}: {record.getMessage()[:60]!r}", record.getMessage())
            self.add(f"{label}: {record.getMessage()[:60]!r} msg+args", (record.msg, record.args))
            self.add(f"{label}: {record.getMessage()[:60]!r} attributes", vars(record))

    def leaks(self) -> list[str]:
        return [label for label, text in self.texts if KEY in text]

    def failures(self) -> list[str]:
        return [label for label, text in self.texts if "FAILED" in label]


class Echo:
    """A server (or proxy) that puts the request's Authorization header into every answer's body."""

    def __init__(self) -> None:
        self.mode = "html"

    def __call__(self, request: httpx.Request) -> httpx.Response:
        auth = request.headers["authorization"]
        if self.mode == "html":
            return httpx.Response(502, content=f"<html><pre>{auth}</pre></html>".encode())
        if self.mode.startswith("json-"):
            body = {"error_code": f"BAD_{auth}", "error_message": f"Authorization: {auth} is not valid"}
            return httpx.Response(int(self.mode[5:]), json=body, headers={"Retry-After": "0"})
        bodies = {
            "has_more": {"segments": [], "has_more": auth},
            "created_at": {"segments": [{"code": "a", "created_at": auth}], "has_more": False},
            "code": {"segments": [{"code": [auth]}], "has_more": False},
            "segments": {"segments": auth, "has_more": False},
        }
        body = json.dumps(bodies[self.mode]).encode() if self.mode in bodies else auth.encode()
        return httpx.Response(200, content=body)


ECHO_MODES = ("html", *(f"json-{s}" for s in STATUSES), "has_more", "created_at", "code", "segments", "not-json")
_JSON = {"Content-Type": "application/json", "Retry-After": "0"}
# (label, fault, times): each fault enough times to outlast the one retry the clients make.
SERVER_FAULTS = [
    *((f"status {s}", Fault.raw(s, _JSON, b'{"error_code": "E", "error_message": "no"}'), 2) for s in STATUSES),
    ("rate limited", Fault.rate_limit(retry_after=0), 2),
    ("maintenance", Fault.service_unavailable(), 2),
    ("timeout", Fault.slow(1.0), 2),
    ("dropped mid-body", Fault.drop_mid_body(), 2),
    ("dropped before response", Fault.drop_before_response(), 2),
    ("malformed 200", Fault.raw(200, {}, b'{"segments": 5, "has_more": false}'), 1),
]
PAGINATION_FAULTS = [
    ("has_more without next_from", Fault.raw(200, {}, b'{"segments": [], "has_more": true}'), 1),
    ("repeated cursor", Fault.raw(200, {}, b'{"segments": [], "has_more": true, "next_from": "same"}'), 2),
]
BAD_ARGUMENTS: list[tuple[str, Callable[[Any], Any]]] = [
    ("page_size str", lambda c: c.segments.list(page_size="100")),
    ("limit 0", lambda c: c.segments.list_page(limit=0)),
    ("empty cursor", lambda c: c.segments.list(start_cursor="")),
    ("the key as a cursor of the wrong type", lambda c: c.segments.list_page(cursor=KEY.encode())),
    ("the key as an unknown parameter", lambda c: c.segments.list(api_key=KEY)),
]


def _one_page(client: Any) -> Any:
    return client.segments.list_page(limit=10)


def _listing(client: Any) -> Any:
    return client.segments.list(page_size=10)


class Paths:
    """Every error path, for one kind of client: (label, client, arrange, operation)."""

    def __init__(self, kind: str, server: FakeBatchServer, other: FakeBatchServer) -> None:
        cls = batch_rest.BatchClient if kind == "sync" else batch_rest.AsyncBatchClient
        http = httpx.Client if kind == "sync" else httpx.AsyncClient
        self.echo = Echo()
        self.clients = {
            "main": make_client(kind, server, timeout=0.3),
            "wrong key": cls(KEY, PROJECT, base_url=other.url),  # `other` expects another key
            "refused": cls(KEY, PROJECT, base_url=closed_port_url()),
            "echo": cls(KEY, PROJECT, http_client=http(transport=httpx.MockTransport(self.echo))),
        }
        for client in self.clients.values():
            fast_retries(client, max_retries=1)
            client._random = lambda: 0.0
        main = self.clients["main"]

        def inject(fault: Fault, times: int) -> Callable[[], None]:
            def arrange() -> None:
                server.clear_faults()  # what a non-retried fault left in the queue
                server.inject(fault, times)

            return arrange

        def echo(mode: str) -> Callable[[], None]:
            return lambda: setattr(self.echo, "mode", mode)

        nothing: Callable[[], None] = lambda: None  # noqa: E731
        self.cases: list[tuple[str, Any, Callable[[], None], Callable[[Any], Any]]] = [
            *((label, main, inject(fault, times), _one_page) for label, fault, times in SERVER_FAULTS),
            *((label, main, inject(fault, times), _listing) for label, fault, times in PAGINATION_FAULTS),
            ("wrong key", self.clients["wrong key"], nothing, _listing),
            ("connection refused", self.clients["refused"], nothing, _one_page),
            *((f"echo {mode}", self.clients["echo"], echo(mode), _one_page) for mode in ECHO_MODES),
            *((f"bad argument: {label}", main, nothing, operation) for label, operation in BAD_ARGUMENTS),
        ]


ERRORS = (batch_rest.BatchError, TypeError, ValueError)


def _run_paths(kind: str, evidence: Evidence) -> int:
    """Drive every error path with `kind`'s client, then the reprs of a page, a pager and the clients.

    Returns how many errors were examined.
    """
    examined = 0
    with (
        FakeBatchServer(120, api_key=KEY, project_key=PROJECT) as server,
        FakeBatchServer(10, api_key="not-the-canary", project_key=PROJECT) as other,
    ):
        paths = Paths(kind, server, other)
        main = paths.clients["main"]
        if kind == "sync":
            for label, client, arrange, operation in paths.cases:
                arrange()
                with pytest.raises(ERRORS) as caught:
                    result = operation(client)
                    if not isinstance(result, batch_rest.Page):
                        list(result)
                evidence.error(f"sync {label}", caught.value)
                examined += 1
            server.clear_faults()
            page = main.segments.list_page(limit=5)
            pager = main.segments.list(page_size=50)
            evidence.add("sync repr(item)", repr(next(iter(pager))))
            evidence.add("sync repr(page)", repr(page))
            evidence.add("sync repr(pager) mid-listing", repr(pager))
            for name, client in paths.clients.items():
                evidence.add(f"sync repr(client {name})", repr(client))
                client.close()
            return examined

        async def main_async() -> int:
            examined = 0
            for label, client, arrange, operation in paths.cases:
                arrange()
                with pytest.raises(ERRORS) as caught:
                    result = operation(client)
                    if hasattr(result, "__aiter__"):
                        [item async for item in result]
                    else:
                        await result
                evidence.error(f"async {label}", caught.value)
                examined += 1
            server.clear_faults()
            page = await main.segments.list_page(limit=5)
            pager = main.segments.list(page_size=50)
            async for item in pager:
                evidence.add("async repr(item)", repr(item))
                break
            evidence.add("async repr(page)", repr(page))
            evidence.add("async repr(pager) mid-listing", repr(pager))
            for name, client in paths.clients.items():
                evidence.add(f"async repr(client {name})", repr(client))
                await client.aclose()
            return examined

        return asyncio.run(main_async())


@pytest.mark.timeout(60)
@pytest.mark.parametrize("kind", KINDS)
def test_no_error_path_shows_the_key(kind, logs, caplog):
    evidence = Evidence()
    examined = _run_paths(kind, evidence)
    expected = len(SERVER_FAULTS) + len(PAGINATION_FAULTS) + 2 + len(ECHO_MODES) + len(BAD_ARGUMENTS)
    assert examined == expected
    # The logs were on, and said something about every attempt.
    attempts = [r for r in logs.records if hasattr(r, "attempt")]
    assert len(attempts) >= len(SERVER_FAULTS) + len(ECHO_MODES)
    assert any("retrying" in r.getMessage() for r in logs.records)
    evidence.records("root handler", logs.records)
    evidence.add("root handler, formatted", "\n".join(logs.lines))
    evidence.records("caplog", caplog.records)
    evidence.add("caplog.text", caplog.text)
    assert evidence.failures() == []
    leaks = evidence.leaks()
    assert leaks == [], "\n".join(leaks)


@pytest.mark.timeout(60)
@pytest.mark.parametrize("kind", KINDS)
def test_debug_logs_on_stderr_from_batch_rest_log_do_not_show_the_key(kind, logs, capsys, monkeypatch):
    """BATCH_REST_LOG=debug: the client's own stderr handler, at DEBUG, through every error path."""
    monkeypatch.setenv("BATCH_REST_LOG", "debug")
    evidence = Evidence()
    _run_paths(kind, evidence)
    err = capsys.readouterr().err
    # The handler BATCH_REST_LOG adds did write the debug lines.
    assert any("DEBUG" in line and "GET /2.11/segments/list" in line for line in err.splitlines()), err[:500]
    evidence.add("stderr", err)
    leaks = evidence.leaks()
    assert leaks == [], "\n".join(leaks)


# -- configuration errors: raised by the constructors -------------------------------------------------------

CONFIGURATION_ERRORS = {
    "insecure http to a non-loopback host": ({"base_url": "http://api.example.com/2.11"}, {}),
    "insecure http from the environment": ({}, {"BATCH_BASE_URL": "http://api.example.com/2.11"}),
    "bad api_version": ({"api_version": "v2"}, {}),
    "bad timeout": ({"timeout": -1}, {}),
    "bad max_retries": ({"max_retries": -1}, {}),
    "project_key of the wrong type": ({"project_key": 5}, {}),
    "key from the environment, bad base URL": ({"api_key": None, "base_url": "ftp://x"}, {"BATCH_REST_API_KEY": KEY}),
    "key with a trailing newline": ({"api_key": KEY + "\n"}, {}),
}


def _configuration_error(kind: str, name: str, monkeypatch: pytest.MonkeyPatch) -> BaseException:
    """The error the constructor raises; its traceback starts at the constructor call (not this frame's
    locals, which hold the arguments: the caller's own business)."""
    arguments, environment = CONFIGURATION_ERRORS[name]
    for variable in ("BATCH_REST_API_KEY", "BATCH_PROJECT_KEY", "BATCH_BASE_URL", "BATCH_API_VERSION"):
        monkeypatch.delenv(variable, raising=False)
    for variable, value in environment.items():
        monkeypatch.setenv(variable, value)
    cls = batch_rest.BatchClient if kind == "sync" else batch_rest.AsyncBatchClient
    with pytest.raises((batch_rest.ConfigurationError, TypeError, ValueError)) as caught:
        cls(**{"api_key": KEY, "project_key": PROJECT, **arguments})
    error = caught.value
    assert error.__traceback__ is not None
    error.__traceback__ = error.__traceback__.tb_next  # from the constructor call on
    return error


def _locals_shown(error: BaseException) -> str:
    """Every local of every frame of the traceback, as capture_locals renders them (Python 3.12+ style: a
    repr that raises is shown as such)."""
    lines = []
    for frame, _ in traceback.walk_tb(error.__traceback__):
        for name, value in frame.f_locals.items():
            try:
                lines.append(f"{name} = {value!r}")
            except Exception as broken:
                lines.append(f"{name} = <repr() failed: {broken!r}>")
    return "\n".join(lines)


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("name", sorted(CONFIGURATION_ERRORS))
def test_configuration_errors_do_not_show_the_key(kind, name, monkeypatch):
    error = _configuration_error(kind, name, monkeypatch)
    for text in (str(error), repr(error), repr(vars(error)), "".join(traceback.format_exception(error))):
        assert KEY not in text


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("name", sorted(CONFIGURATION_ERRORS))
def test_configuration_error_tracebacks_with_locals_do_not_show_the_key(kind, name, monkeypatch):
    """What `traceback.TracebackException(..., capture_locals=True)` (and error trackers that record locals)
    show of a constructor's failure: the client's own frames must not hold the key in plain text."""
    error = _configuration_error(kind, name, monkeypatch)
    try:
        text = "".join(traceback.TracebackException.from_exception(error, capture_locals=True).format())
    except AttributeError:  # Python 3.11 and the half-built client's repr: see the test below
        text = _locals_shown(error)
    shown = [line.strip() for line in text.splitlines() if KEY in line]
    assert shown == []


@pytest.mark.parametrize("kind", KINDS)
def test_repr_of_a_half_built_client_does_not_raise(kind, monkeypatch):
    """A constructor that raises leaves `self` in its frame; anything showing locals calls repr() on it.

    On Python 3.11, traceback.TracebackException(capture_locals=True) lets that repr's exception escape.
    """
    error = _configuration_error(kind, "insecure http to a non-loopback host", monkeypatch)
    frames = [frame for frame, _ in traceback.walk_tb(error.__traceback__) if frame.f_code.co_name == "__init__"]
    half_built = frames[0].f_locals["self"]
    assert type(half_built).__name__ in {"BatchClient", "AsyncBatchClient"}
    assert isinstance(repr(half_built), str)


# -- the CLI ------------------------------------------------------------------------------------------------


@pytest.mark.timeout(60)
def test_cli_output_never_shows_the_key(logs, capsys, monkeypatch):
    for variable in ("BATCH_REST_API_KEY", "BATCH_PROJECT_KEY", "BATCH_BASE_URL", "BATCH_API_VERSION"):
        monkeypatch.delenv(variable, raising=False)
    evidence = Evidence()
    with (
        FakeBatchServer(30, api_key=KEY, project_key=PROJECT) as right,
        FakeBatchServer(30, api_key="not-the-canary", project_key=PROJECT) as wrong,
    ):
        listing = ["segments", "list", "--project-key", PROJECT, "--max-retries", "0", "--timeout", "2"]
        echo = json.dumps({"error_code": "E", "error_message": f"Authorization: Bearer {KEY}"}).encode()
        runs: list[tuple[str, list[str], Callable[[], None], int]] = [
            ("wrong key", ["--api-key", KEY, "--base-url", wrong.url], lambda: None, cli.EXIT_API),
            ("wrong key -v", ["--api-key", KEY, "--base-url", wrong.url, "-v"], lambda: None, cli.EXIT_API),
            ("wrong key from the environment", ["--base-url", wrong.url], lambda: None, cli.EXIT_API),
            ("503", ["--api-key", KEY, "--base-url", right.url], lambda: right.inject(Fault.service_unavailable()), 4),
            (
                "503 on page 2, with a resume hint, -v",
                ["--api-key", KEY, "--base-url", right.url, "--page-size", "10", "-v"],
                lambda: (right.inject(Fault.slow(0)), right.inject(Fault.service_unavailable())),
                cli.EXIT_API,
            ),
            ("key echoed in an error body", ["--api-key", KEY, "--base-url", right.url],
             lambda: right.inject(Fault.raw(500, {"Content-Type": "application/json"}, echo)), cli.EXIT_API),
            ("connection refused", ["--api-key", KEY, "--base-url", closed_port_url()], lambda: None, 5),
            ("timeout", ["--api-key", KEY, "--base-url", right.url, "--timeout", "0.2"],
             lambda: right.inject(Fault.slow(1.0)), cli.EXIT_CONNECTION),
            ("malformed body", ["--api-key", KEY, "--base-url", right.url],
             lambda: right.inject(Fault.raw(200, {}, b"<html>")), cli.EXIT_RESPONSE),
            ("bad page size", ["--api-key", KEY, "--base-url", right.url, "--page-size", "0"], lambda: None, 2),
            ("key with a space", ["--api-key", f"{KEY} x", "--base-url", right.url], lambda: None, 2),
            ("insecure http", ["--api-key", KEY, "--base-url", "http://api.example.com/2.11"], lambda: None, 2),
            ("success", ["--api-key", KEY, "--base-url", right.url, "--format", "json", "-v"], lambda: None, 0),
        ]  # fmt: skip
        for label, argv, arrange, expected in runs:
            right.clear_faults()
            arrange()
            if "environment" in label:
                monkeypatch.setenv("BATCH_REST_API_KEY", KEY)
            code = cli.main([*listing, *argv])
            monkeypatch.delenv("BATCH_REST_API_KEY", raising=False)
            out, err = capsys.readouterr()
            assert code == expected, (label, out, err)
            evidence.add(f"cli {label}: stdout", out)
            evidence.add(f"cli {label}: stderr", err)
            if "resume" in label:
                assert "--start-cursor" in err
    evidence.records("root handler", logs.records)
    leaks = evidence.leaks()
    assert leaks == [], "\n".join(leaks)


@pytest.mark.timeout(60)
def test_cli_subprocess_with_debug_logs_never_shows_the_key():
    with FakeBatchServer(30, api_key="not-the-canary", project_key=PROJECT) as wrong:
        env = {
            **os.environ,
            "BATCH_REST_API_KEY": KEY,
            "BATCH_PROJECT_KEY": PROJECT,
            "BATCH_BASE_URL": wrong.url,
            "BATCH_REST_LOG": "debug",
        }
        done = subprocess.run(
            [sys.executable, "-m", "batch_rest", "segments", "list", "--max-retries", "1", "-v"],
            env=env,
            capture_output=True,
            text=True,
            timeout=30,
            check=False,
        )
    assert done.returncode == cli.EXIT_API, done.stderr
    assert "401" in done.stderr
    assert "segments/list" in done.stderr  # the debug logs were on
    assert KEY not in done.stdout
    assert KEY not in done.stderr


@pytest.mark.parametrize("kind", KINDS)
def test_a_next_from_echoing_the_key_is_not_repeated_in_the_pagination_error(kind):
    """A server (or proxy) echoing the Authorization header into next_from, twice: the PaginationError's
    message quotes next_from verbatim, where every other error built from a body scrubs the key.

    (The second request carries the echoed value in its URL: that the client cannot help, it was told to.)
    """

    def echo(request: httpx.Request) -> httpx.Response:
        body = {"segments": [], "has_more": True, "next_from": request.headers["authorization"]}
        return httpx.Response(200, json=body)

    transport = httpx.MockTransport(echo)

    async def main() -> None:
        async with batch_rest.AsyncBatchClient(KEY, PROJECT, http_client=httpx.AsyncClient(transport=transport)) as c:
            [s async for s in c.segments.list()]

    with pytest.raises(batch_rest.PaginationError) as caught:
        if kind == "sync":
            with batch_rest.BatchClient(KEY, PROJECT, http_client=httpx.Client(transport=transport)) as client:
                list(client.segments.list())
        else:
            asyncio.run(main())
    assert KEY not in str(caught.value)
    assert KEY not in repr(caught.value)
