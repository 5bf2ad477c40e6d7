"""Secret canary: a unique API key, every error path at DEBUG logging, and the key must show up nowhere.

Nowhere: no log record (message, args, extra attributes; captured by caplog and by a handler on the root
logger; and on stderr through BATCH_REST_LOG=debug), no exception's str, repr, attributes or pickle, nothing
reachable from it (`__cause__`, `__context__`, their args, attributes and pickles, and the headers, bodies and
URLs of every httpx request and response they hold), no formatted traceback (also with capture_locals=True), no
repr of a client, pager or page, and no CLI output. Not even a part of it: a message that cuts an echoed key
short must not show the rest.

The same holds for every other credential a request carries, whoever put it there: an Authorization of the
caller's in `extra_headers`, a Proxy-Authorization, the user's httpx client's Cookie, an X-Api-Key in
`default_headers`.

The paths: each status (400 401 403 404 418 429 500 503 520), a wrong key, connection refused, a timeout, a
connection dropped mid-body, a malformed 200 body, pagination errors, a server that echoes the credential
headers back in its error bodies, its headers and in malformed success bodies, bad arguments, and configuration
errors.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import pickle
import subprocess
import sys
import traceback
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from _reliability import KINDS, FakeBatchServer, Fault, closed_port_url, fast_retries, make_client

import batch_rest
from batch_rest import cli

KEY = f"sk-canary-{uuid.uuid4().hex}"
PROJECT = "canary-project"
# Credentials the requests carry besides the client's key, each another way.
OTHER_KEY = f"other-canary-{uuid.uuid4().hex}"  # extra_headers: Authorization
PROXY_CREDENTIAL = f"proxy-canary-{uuid.uuid4().hex}"  # extra_headers: Proxy-Authorization
COOKIE = f"cookie-canary-{uuid.uuid4().hex}"  # the user's httpx client: Cookie
GATEWAY_KEY = f"gateway-canary-{uuid.uuid4().hex}"  # default_headers: X-Api-Key
CANARIES = (KEY, OTHER_KEY, PROXY_CREDENTIAL, COOKIE, GATEWAY_KEY)
OTHER_HEADERS = {"Authorization": f"Bearer {OTHER_KEY}", "Proxy-Authorization": f"Basic {PROXY_CREDENTIAL}"}
DEFAULT_HEADERS = {"X-Api-Key": GATEWAY_KEY}
HTTP_CLIENT_HEADERS = {"Cookie": f"lang=en; session={COOKIE}"}
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


# A canary shows when any 12 characters of its random part do: a message may cut it short, or quote its start.
_WINDOW = 12


def _fragments(canary: str) -> list[str]:
    secret = canary.rsplit("-", 1)[1]
    return [secret[i : i + _WINDOW] for i in range(len(secret) - _WINDOW + 1)]


FRAGMENTS = {canary: _fragments(canary) for canary in CANARIES}


def shown(text: str | bytes) -> list[str]:
    """The canaries `text` shows, whole or in part."""
    if isinstance(text, bytes):
        text = text.decode("latin-1")
    return [canary for canary, parts in FRAGMENTS.items() if any(part in text for part in parts)]


def _attribute(holder: object, name: str) -> object:
    try:
        return getattr(holder, name, None)
    except RuntimeError:  # httpx: an exception or response without a request
        return None


def reachable(error: BaseException) -> Iterator[tuple[str, str | bytes]]:
    """Every text reachable from `error`, labelled with the way there: through `__cause__` and `__context__`, each
    exception's str, repr, args, attributes and pickle, and every httpx request and response held (URL, raw
    headers, body; a response's request)."""
    seen: set[int] = set()
    todo: list[tuple[str, object]] = [("error", error)]
    while todo:
        path, thing = todo.pop()
        if id(thing) in seen:
            continue
        seen.add(id(thing))
        if isinstance(thing, BaseException):
            yield f"{path} str", str(thing)
            yield f"{path} repr", repr(thing)
            yield f"{path} args", repr(thing.args)
            yield f"{path} attributes", repr(vars(thing))
            try:
                yield f"{path} pickle", pickle.dumps(thing)
            except Exception as broken:
                yield f"{path} pickle FAILED", f"{type(broken).__name__}: {broken}"
            held = [*vars(thing).items(), *((n, _attribute(thing, n)) for n in ("request", "response"))]
            held += [("__cause__", thing.__cause__), ("__context__", thing.__context__)]
            todo += [(f"{path}.{name}", value) for name, value in held if value is not None]
        elif isinstance(thing, httpx.Request):
            yield f"{path} url", str(thing.url)
            yield f"{path} headers", repr(thing.headers.raw)
            yield f"{path} content", thing.content
        elif isinstance(thing, httpx.Response):
            yield f"{path} headers", repr(thing.headers.raw)
            yield f"{path} content", thing.content
            request = _attribute(thing, "request")
            if request is not None:
                todo.append((f"{path}.request", request))


def _without_the_callers_extra_headers(summary: traceback.TracebackException) -> None:
    """The generated method a caller called holds its `extra_headers` argument as it came: the caller's own
    object, shown as the caller passed it (as a key passed as a bad argument is). Every other local is checked."""
    for frame in summary.stack:
        if frame.filename.endswith("_typed.py") and frame.locals:
            frame.locals.pop("extra_headers", None)
    for chained in (summary.__cause__, summary.__context__):
        if chained is not None:
            _without_the_callers_extra_headers(chained)


class Evidence:
    """Every text no canary may appear in, labelled."""

    def __init__(self) -> None:
        self.texts: list[tuple[str, str | bytes]] = []

    def add(self, label: str, text: object) -> None:
        self.texts.append((label, text if isinstance(text, str | bytes) else repr(text)))

    def error(self, label: str, error: BaseException) -> None:
        """Everything reachable from `error`, and its tracebacks. Where the caller passed the key itself as a (bad)
        argument ("the key as ..."), traceback locals show it as that argument's value: not checked there."""
        for way, text in reachable(error):
            self.add(f"{label}: {way}", text)
        self.add(f"{label}: format_exception", "".join(traceback.format_exception(error)))
        if "the key as" in label:
            return
        try:
            with_locals = traceback.TracebackException.from_exception(error, capture_locals=True)
            _without_the_callers_extra_headers(with_locals)
            self.add(f"{label}: traceback with locals", "".join(with_locals.format()))
        except Exception as broken:  # see test_repr_of_a_half_built_client_does_not_raise
            self.add(f"{label}: traceback with locals FAILED", f"{type(broken).__name__}: {broken}")

    def records(self, label: str, records: list[logging.LogRecord]) -> None:
        for record in records:
            self.add(f"{label}: {record.getMessage()[:60]!r}", record.getMessage())
            self.add(f"{label}: {record.getMessage()[:60]!r} msg+args", (record.msg, record.args))
            self.add(f"{label}: {record.getMessage()[:60]!r} attributes", vars(record))

    def leaks(self) -> list[str]:
        return [f"{label} shows {', '.join(c.split('-')[0] for c in shown(text))}" for label, text in self.texts
                if shown(text)]  # fmt: skip

    def failures(self) -> list[str]:
        return [label for label, text in self.texts if "FAILED" in label]


ECHOED = ("authorization", "proxy-authorization", "cookie", "x-api-key")


class Echo:
    """A server (or proxy) that puts the request's credential headers into every answer's body and headers."""

    def __init__(self) -> None:
        self.mode = "html"

    def __call__(self, request: httpx.Request) -> httpx.Response:
        auth = " ".join(request.headers[name] for name in ECHOED if name in request.headers)
        echo = {"X-Echo": auth, "Set-Cookie": f"echo={auth}"}
        if self.mode == "html":
            return httpx.Response(502, content=f"<html><pre>{auth}</pre></html>".encode(), headers=echo)
        if self.mode.startswith("json-"):
            body = {"error_code": f"BAD_{auth}", "error_message": f"Authorization: {auth} is not valid"}
            return httpx.Response(int(self.mode[5:]), json=body, headers={"Retry-After": "0", **echo})
        bodies = {
            "has_more": {"segments": [], "has_more": auth},
            "created_at": {"segments": [{"code": "a", "created_at": auth}], "has_more": False},
            "code": {"segments": [{"code": [auth]}], "has_more": False},
            "segments": {"segments": auth, "has_more": False},
        }
        body = json.dumps(bodies[self.mode]).encode() if self.mode in bodies else auth.encode()
        return httpx.Response(200, content=body, headers=echo)


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
THROUGH_A_PROXY = ("status 400", "status 520", "timeout", "dropped mid-body", "malformed 200")
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


def _one_page_with_other_credentials(client: Any) -> Any:
    return client.segments.list_page(limit=10, extra_headers=OTHER_HEADERS)


def _one_page_through_a_proxy(client: Any) -> Any:
    """The fake server checks Authorization: here the key stays, and a proxy's credential comes along."""
    return client.segments.list_page(limit=10, extra_headers={"Proxy-Authorization": f"Basic {PROXY_CREDENTIAL}"})


def _listing(client: Any) -> Any:
    return client.segments.list(page_size=10)


class Paths:
    """Every error path, for one kind of client: (label, client, arrange, operation)."""

    def __init__(self, kind: str, server: FakeBatchServer, other: FakeBatchServer) -> None:
        cls = batch_rest.BatchClient if kind == "sync" else batch_rest.AsyncBatchClient
        http = httpx.Client if kind == "sync" else httpx.AsyncClient
        self.echo = Echo()
        # Credentials besides the key: the client's default_headers, and its httpx client's own headers.
        others: dict[str, Any] = {"default_headers": DEFAULT_HEADERS}
        self.clients = {
            "main": make_client(kind, server, timeout=0.3, **others),
            "wrong key": cls(KEY, PROJECT, base_url=other.url),  # `other` expects another key
            "refused": cls(KEY, PROJECT, base_url=closed_port_url()),
            "refused, other credentials": cls(
                KEY, PROJECT, base_url=closed_port_url(), http_client=http(headers=HTTP_CLIENT_HEADERS), **others
            ),
            "echo": cls(KEY, PROJECT, http_client=http(transport=httpx.MockTransport(self.echo))),
            "echo, other credentials": cls(
                KEY,
                PROJECT,
                http_client=http(transport=httpx.MockTransport(self.echo), headers=HTTP_CLIENT_HEADERS),
                **others,
            ),
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
        refused, echoing = self.clients["refused, other credentials"], self.clients["echo, other credentials"]
        self.cases: list[tuple[str, Any, Callable[[], None], Callable[[Any], Any]]] = [
            *((label, main, inject(fault, times), _one_page) for label, fault, times in SERVER_FAULTS),
            *((f"{label} through a proxy", main, inject(fault, times), _one_page_through_a_proxy)
              for label, fault, times in SERVER_FAULTS if label in THROUGH_A_PROXY),
            *((label, main, inject(fault, times), _listing) for label, fault, times in PAGINATION_FAULTS),
            ("wrong key", self.clients["wrong key"], nothing, _listing),
            ("connection refused", self.clients["refused"], nothing, _one_page),
            ("connection refused, other credentials", refused, nothing, _one_page_with_other_credentials),
            *((f"echo {mode}", self.clients["echo"], echo(mode), _one_page) for mode in ECHO_MODES),
            *((f"echo {mode}, other credentials", echoing, echo(mode), _one_page_with_other_credentials)
              for mode in ECHO_MODES),
            *((f"bad argument: {label}", main, nothing, operation) for label, operation in BAD_ARGUMENTS),
        ]  # fmt: skip


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
    expected = (
        len(SERVER_FAULTS)
        + len(THROUGH_A_PROXY)
        + len(PAGINATION_FAULTS)
        + 3
        + 2 * len(ECHO_MODES)
        + len(BAD_ARGUMENTS)
    )
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
    "a gateway key in default_headers, bad base URL": ({"base_url": "ftp://x", "default_headers": DEFAULT_HEADERS}, {}),
    "a gateway key in default_headers, bad timeout": ({"timeout": -1, "default_headers": DEFAULT_HEADERS}, {}),
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
        assert shown(text) == []


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
    assert [line.strip() for line in text.splitlines() if shown(line)] == []


@pytest.mark.parametrize("kind", KINDS)
def test_with_options_refusing_an_argument_does_not_show_the_default_headers(kind):
    cls = batch_rest.BatchClient if kind == "sync" else batch_rest.AsyncBatchClient
    client = cls(KEY, PROJECT, default_headers={"X-Trace": "t"})
    with pytest.raises(ValueError, match="timeout") as caught:
        client.with_options(timeout=-1, default_headers=DEFAULT_HEADERS)
    text = "".join(traceback.TracebackException.from_exception(caught.value, capture_locals=True).format())
    assert "with_options" in text
    assert [line.strip() for line in text.splitlines() if shown(line)] == []


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


# -- the three places issue 15 found a key in ---------------------------------------------------------------


def _raised(kind: str, client: Any, call: Callable[[Any], Any]) -> BaseException:
    """The exception `call(client)` raises, with either kind of client."""

    async def main() -> None:
        async with client:
            await call(client)

    with pytest.raises(Exception) as caught:  # noqa: PT011 - the tests say which
        if kind == "sync":
            with client:
                call(client)
        else:
            asyncio.run(main())
    return caught.value


def _echoing(kind: str, mode: str, **kwargs: Any) -> Any:
    echo = Echo()
    echo.mode = mode
    cls, http = (
        (batch_rest.BatchClient, httpx.Client) if kind == "sync" else (batch_rest.AsyncBatchClient, httpx.AsyncClient)
    )
    return cls(KEY, PROJECT, http_client=http(transport=httpx.MockTransport(echo)), max_retries=0, **kwargs)


def _shown_anywhere(error: BaseException) -> list[str]:
    return [f"{way} shows {shown(text)}" for way, text in reachable(error) if shown(text)]


@pytest.mark.parametrize("kind", KINDS)
def test_a_connection_error_is_chained_to_a_scrubbed_copy_of_httpx_exception(kind):
    """`BatchConnectionError.__cause__.request.headers["authorization"]` held the key in clear."""
    cls = batch_rest.BatchClient if kind == "sync" else batch_rest.AsyncBatchClient
    client = cls(KEY, PROJECT, base_url=closed_port_url(), max_retries=0)
    headers = {**OTHER_HEADERS, **DEFAULT_HEADERS}
    error = _raised(kind, client, lambda c: c.segments.list_page(extra_headers=headers))
    assert isinstance(error, batch_rest.BatchConnectionError)
    cause = error.__cause__
    assert isinstance(cause, httpx.ConnectError)
    assert cause.request.headers["authorization"] == "[REDACTED]"
    assert cause.request.headers["proxy-authorization"] == "[REDACTED]"
    assert cause.request.headers["x-api-key"] == "[REDACTED]"
    assert cause.request.headers["x-batch-project"] == PROJECT  # an identifier, not a credential: kept
    assert cause.request.url == error.request.url
    assert error.request.headers["authorization"] == "[REDACTED]"
    # httpx's and httpcore's frames hold the original request: the copy has no traceback and no chain.
    assert (cause.__traceback__, cause.__cause__, cause.__context__) == (None, None, None)
    assert type(cause).__name__ in str(error)
    assert _shown_anywhere(error) == []


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("mode", ["json-401", "json-500", "html", "code"])
def test_a_key_the_caller_sends_in_extra_headers_is_scrubbed_like_the_clients(kind, mode):
    """A key sent with `extra_headers={"Authorization": "Bearer other"}`, echoed by the server, was in `str(e)`
    and in `pickle.dumps(e)`."""
    error = _raised(kind, _echoing(kind, mode), lambda c: c.segments.list_page(extra_headers=OTHER_HEADERS))
    assert isinstance(error, batch_rest.APIError | batch_rest.MalformedResponseError)
    assert OTHER_KEY not in str(error)
    assert OTHER_KEY.encode() not in pickle.dumps(error)
    assert PROXY_CREDENTIAL.encode() not in pickle.dumps(error)
    assert error.request.headers["authorization"] == "[REDACTED]"
    assert "[REDACTED]" in error.response.text
    assert _shown_anywhere(error) == []


@pytest.mark.parametrize("kind", KINDS)
def test_a_raw_response_is_the_callers_own_and_the_readme_says_so(kind):
    """`RawResponse.http_response.request.headers` holds the key: the exchange as it happened, handed to the caller
    (who may log it), not an error. Its reprs do not show the key, the README says what it holds, and an error
    `.parse()` raises is scrubbed like any other (with no chained mismatch quoting the body)."""
    client = _echoing(kind, "created_at")  # a date-time the message quotes
    if kind == "sync":
        with client:
            raw = client.segments.with_raw_response.list_page()
    else:

        async def main() -> Any:
            async with client:
                return await client.segments.with_raw_response.list_page()

        raw = asyncio.run(main())
    assert raw.http_response.request.headers["authorization"] == f"Bearer {KEY}"
    assert shown(repr(raw)) == shown(repr(raw.http_response)) == shown(repr(raw.http_response.request)) == []
    readme = (Path(__file__).parents[2] / "README.md").read_text(encoding="utf-8")
    paragraph = readme[readme.index("**Raw responses**") :].split("\n\n")[0]
    assert "Authorization" in paragraph, paragraph
    with pytest.raises(batch_rest.MalformedResponseError) as caught:
        raw.parse()
    assert _shown_anywhere(caught.value) == []
    assert caught.value.__context__ is None


@pytest.mark.parametrize("kind", KINDS)
def test_a_key_a_message_cuts_short_is_scrubbed_all_the_same(kind):
    """A field's message quotes 40 characters of the value, an excerpt 200 of the body: what is left of an echoed
    key must not show either."""
    error = _raised(kind, _echoing(kind, "created_at"), _one_page)
    assert isinstance(error, batch_rest.MalformedResponseError)
    assert KEY[:20] not in str(error)
    assert "[REDACTED]" in str(error)
    assert _shown_anywhere(error) == []
