"""Bad input: every public argument, of a wrong type or out of range, raises before any request is sent.

BatchClient / AsyncBatchClient (every constructor argument, default_headers included), list(page_size,
start_cursor, **params), list_page(limit, cursor, **params) and resource(name). A rejected value raises TypeError,
ValueError or ConfigurationError whose message names the argument; an accepted one gives a client (or a listing)
that works.
Hypothesis draws the values; a recording MockTransport checks that nothing was sent.
"""

from __future__ import annotations

import asyncio
import math
import re
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from _reliability import KINDS, FakeBatchServer, check_page
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import batch_rest

KEY, PROJECT = "sk-arguments-5e1d", "proj"
REJECTED = (TypeError, ValueError, batch_rest.ConfigurationError)
ENVIRONMENT = ("BATCH_REST_API_KEY", "BATCH_PROJECT_KEY", "BATCH_BASE_URL", "BATCH_API_VERSION", "BATCH_REST_LOG")
PAGE = {
    "segments": [{"code": "a", "display_name": "A", "created_at": "2026-01-01T00:00:00Z"}],
    "has_more": False,
}


class Recorder:
    """A MockTransport handler answering one valid, last page to every request, and counting them."""

    def __init__(self) -> None:
        self.requests: list[httpx.Request] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        return httpx.Response(200, json=PAGE)


def _client(kind: str, recorder: Recorder, **kwargs: Any) -> Any:
    transport = httpx.MockTransport(recorder)
    if kind == "sync":
        return batch_rest.BatchClient(http_client=httpx.Client(transport=transport, trust_env=False), **kwargs)
    return batch_rest.AsyncBatchClient(http_client=httpx.AsyncClient(transport=transport, trust_env=False), **kwargs)


def _run(kind: str, make: Any) -> Any:
    """Call make(); for the async client await its result (or drain it, for a pager) in a fresh loop."""
    if kind == "sync":
        result = make()
        return result if isinstance(result, batch_rest.Page) else list(result)

    async def main() -> Any:
        result = make()
        if hasattr(result, "__aiter__"):
            return [item async for item in result]
        return await result

    return asyncio.run(main())


def _attempt(make: Any, rejected: tuple[type[BaseException], ...] = REJECTED) -> tuple[Any, BaseException | None]:
    """(make(), None), or (None, the error) when make() raises one of `rejected`."""
    try:
        return make(), None
    except rejected as error:
        return None, error


def _names_the_argument(error: BaseException, *names: str) -> bool:
    return any(name in str(error) for name in names)


@pytest.fixture(scope="module", autouse=True)
def clean_environment() -> Iterator[None]:
    """No BATCH_* variable from the environment the tests run in (module-scoped: hypothesis tests use it)."""
    mp = pytest.MonkeyPatch()
    for variable in ENVIRONMENT:
        mp.delenv(variable, raising=False)
    yield
    mp.undo()


# -- the constructors ---------------------------------------------------------------------------------------

CONSTRUCTOR_CASES = [
    ("api_key", 123, TypeError),
    ("api_key", b"key", TypeError),
    ("api_key", "", batch_rest.ConfigurationError),
    ("api_key", "two words", batch_rest.ConfigurationError),
    ("api_key", "clé", batch_rest.ConfigurationError),
    ("api_key", "key\n", batch_rest.ConfigurationError),
    ("api_key", None, batch_rest.ConfigurationError),  # and no $BATCH_REST_API_KEY
    ("project_key", 5, TypeError),
    ("project_key", "", batch_rest.ConfigurationError),
    ("project_key", "a\tb", batch_rest.ConfigurationError),
    ("project_key", None, batch_rest.ConfigurationError),
    ("api_version", 2.11, TypeError),
    ("api_version", "v2", batch_rest.ConfigurationError),
    ("api_version", "2.11 ", batch_rest.ConfigurationError),
    ("api_version", "", batch_rest.ConfigurationError),
    ("base_url", b"https://api.batch.com", TypeError),
    ("base_url", "api.batch.com/2.11", batch_rest.ConfigurationError),
    ("base_url", "ftp://api.batch.com/2.11", batch_rest.ConfigurationError),
    ("base_url", "https://api.batch.com/2.11?x=1", batch_rest.ConfigurationError),
    ("base_url", "https://api.batch.com/2.11#top", batch_rest.ConfigurationError),
    ("base_url", "https://api.batch .com", batch_rest.ConfigurationError),
    ("base_url", "http://api.batch.com/2.11", batch_rest.ConfigurationError),  # plain http, not loopback
    ("base_url", "", batch_rest.ConfigurationError),
    ("timeout", "30", TypeError),
    ("timeout", True, TypeError),
    ("timeout", None, TypeError),
    ("timeout", 0, ValueError),
    ("timeout", -1.5, ValueError),
    ("timeout", math.nan, ValueError),
    ("timeout", math.inf, ValueError),
    ("max_retries", 1.0, TypeError),
    ("max_retries", True, TypeError),
    ("max_retries", "3", TypeError),
    ("max_retries", None, TypeError),
    ("max_retries", -1, ValueError),
    ("allow_insecure_http", "yes", TypeError),
    ("allow_insecure_http", 1, TypeError),
    ("allow_insecure_http", None, TypeError),
    ("default_headers", "X-Trace: 1", TypeError),
    ("default_headers", [("X-Trace", "1")], TypeError),
    ("default_headers", {"X-Trace": 1}, TypeError),
    ("default_headers", {b"X-Trace": "1"}, TypeError),
    ("default_headers", {"X-Trace": "a\nb"}, ValueError),
    ("default_headers", {"X Trace": "1"}, ValueError),
    ("default_headers", {"": "1"}, ValueError),
    ("default_headers", {"Authorization": "Bearer other"}, ValueError),
    ("default_headers", {"authorization": "Basic eDp5"}, ValueError),
    ("default_headers", {"X-BATCH-PROJECT": "other"}, ValueError),
]


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize(("argument", "value", "expected"), CONSTRUCTOR_CASES)
def test_a_bad_constructor_argument_raises_naming_it(kind, argument, value, expected):
    recorder = Recorder()
    with pytest.raises(expected) as caught:
        _client(kind, recorder, **{"api_key": KEY, "project_key": PROJECT, argument: value})
    assert type(caught.value) is expected
    assert _names_the_argument(caught.value, argument), str(caught.value)
    assert recorder.requests == []


@pytest.mark.parametrize(
    ("cls", "wrong"),
    [
        (batch_rest.BatchClient, httpx.AsyncClient()),
        (batch_rest.AsyncBatchClient, httpx.Client()),
        (batch_rest.BatchClient, "http://localhost"),
        (batch_rest.AsyncBatchClient, object()),
    ],
)
def test_a_bad_http_client_raises_naming_it(cls, wrong):
    with pytest.raises(TypeError, match="http_client"):
        cls(KEY, PROJECT, http_client=wrong)


junk = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.floats(),
    st.text(max_size=30),
    st.binary(max_size=10),
    st.lists(st.integers(), max_size=2),
    st.sampled_from(["2.11", "10.0", "\u0661.\u0662", "localhost", "x" * 300]),
    st.builds(
        lambda scheme, host, rest: f"{scheme}://{host}{rest}",
        st.sampled_from(["http", "https", "ftp", "", "HTTP"]),
        st.sampled_from(["localhost", "127.0.0.1", "[::1]", "api.batch.com", "", "a b", "ëxample.com", "[::1", "0"]),
        st.one_of(st.just(""), st.text(max_size=10), st.sampled_from([":0", ":65535", ":65536", ":-1", "/2.11/"])),
    ),
    st.builds(httpx.Timeout, st.one_of(st.none(), st.floats(allow_nan=False, min_value=0.001, max_value=60))),
    st.dictionaries(
        st.one_of(st.text(max_size=12), st.sampled_from(["Authorization", "X-Batch-Project", "User-Agent", "X-T"])),
        st.one_of(st.text(max_size=12), st.integers()),
        max_size=3,
    ),
)
constructor_arguments = st.sampled_from(
    ["api_key", "project_key", "api_version", "base_url", "timeout", "max_retries", "allow_insecure_http",
     "default_headers"]
)  # fmt: skip


@pytest.mark.timeout(60)
@settings(max_examples=300, suppress_health_check=[HealthCheck.too_slow])
@given(kind=st.sampled_from(KINDS), argument=constructor_arguments, value=junk)
def test_any_constructor_argument_is_rejected_naming_it_or_gives_a_working_client(
    clean_environment, kind, argument, value
):
    recorder = Recorder()
    client, error = _attempt(
        lambda: _client(kind, recorder, **{"api_key": KEY, "project_key": PROJECT, argument: value})
    )
    if error is not None:
        assert _names_the_argument(error, argument), f"{type(error).__name__}: {error}"
        assert recorder.requests == []
        return
    # Accepted: the client works (MockTransport ignores URLs and timeouts: see the real-socket test below).
    check_page(_run(kind, client.segments.list_page))
    assert len(recorder.requests) == 1


OUT_OF_RANGE_TIMEOUTS = {
    "1e10 s": 1e10,  # finite, but beyond what the sync transport can wait for (OverflowError)
    "Timeout(-1)": httpx.Timeout(-1.0),
    "Timeout(0)": httpx.Timeout(0.0),  # as a float, 0 is rejected
    "Timeout(nan)": httpx.Timeout(math.nan),
    "Timeout(inf)": httpx.Timeout(math.inf),
    "Timeout(5, read=-1)": httpx.Timeout(5.0, read=-1.0),
}


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("name", sorted(OUT_OF_RANGE_TIMEOUTS))
def test_an_out_of_range_timeout_is_rejected_naming_it(kind, name):
    """Every number in the timeout, a float or an httpx.Timeout's fields, is checked like a float timeout:
    positive and finite (and small enough for the transport); None in an httpx.Timeout means no timeout."""
    recorder = Recorder()
    with pytest.raises(ValueError, match="timeout"):
        _client(kind, recorder, api_key=KEY, project_key=PROJECT, timeout=OUT_OF_RANGE_TIMEOUTS[name])
    assert recorder.requests == []


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("port", [65536, 99999])
def test_a_base_url_with_an_impossible_port_is_rejected(kind, port):
    """httpx.URL accepts any port number; connecting to port 65536 raises OverflowError (inside an
    ExceptionGroup, with the async client) rather than any BatchError."""
    with pytest.raises(batch_rest.ConfigurationError, match="base_url"):
        _client(kind, Recorder(), api_key=KEY, project_key=PROJECT, base_url=f"http://127.0.0.1:{port}/2.11")


@pytest.fixture(scope="module")
def server() -> Iterator[FakeBatchServer]:
    with FakeBatchServer(20) as server:
        yield server


timeouts = st.one_of(
    st.floats(),
    st.integers(min_value=-(10**12), max_value=10**12),
    st.builds(httpx.Timeout, st.floats()),
    st.builds(
        httpx.Timeout,
        st.floats(min_value=1, max_value=10),
        connect=st.none() | st.floats(),
        read=st.none() | st.floats(),
        write=st.none() | st.floats(),
        pool=st.none() | st.floats(),
    ),
)


@pytest.mark.timeout(60)
@settings(max_examples=150, suppress_health_check=[HealthCheck.too_slow])
@given(kind=st.sampled_from(KINDS), timeout=timeouts)
def test_a_timeout_the_constructor_accepts_works_over_real_sockets(clean_environment, server, kind, timeout):
    """A timeout the constructor accepts gives a page (the server answers at once) or a BatchError (a
    BatchTimeoutError when it is tiny); never another exception. A rejected one names `timeout`."""
    cls = batch_rest.BatchClient if kind == "sync" else batch_rest.AsyncBatchClient
    client, error = _attempt(
        lambda: cls(server.api_key, server.project_key, base_url=server.url, timeout=timeout, max_retries=0)
    )
    if error is not None:
        assert _names_the_argument(error, "timeout"), f"{type(error).__name__}: {error}"
        return

    async def main() -> Any:
        async with client:
            return await client.segments.list_page(limit=5)

    def one_page() -> Any:
        if kind == "async":
            return asyncio.run(main())
        with client:
            return client.segments.list_page(limit=5)

    page, error = _attempt(one_page, (batch_rest.BatchError,))
    if error is None:
        check_page(page)


# -- list(), list_page() and resource() ---------------------------------------------------------------------

LISTING_CASES = [
    ("list", {"page_size": 0}, ValueError, "page_size"),
    ("list", {"page_size": 101}, ValueError, "page_size"),
    ("list", {"page_size": -1}, ValueError, "page_size"),
    ("list", {"page_size": 10.0}, TypeError, "page_size"),
    ("list", {"page_size": "10"}, TypeError, "page_size"),
    ("list", {"page_size": True}, TypeError, "page_size"),
    ("list", {"page_size": None}, TypeError, "page_size"),
    ("list", {"start_cursor": ""}, ValueError, "start_cursor"),
    ("list", {"start_cursor": 5}, TypeError, "start_cursor"),
    ("list", {"start_cursor": b"abc"}, TypeError, "start_cursor"),
    ("list", {"limit": 10}, TypeError, "limit"),  # list_page's name, not list's
    ("list", {"from_": "abc"}, TypeError, "from_"),
    ("list", {"x_batch_project": "other"}, TypeError, "x_batch_project"),
    ("list", {"colour": "red"}, TypeError, "colour"),
    ("list_page", {"limit": 0}, ValueError, "limit"),
    ("list_page", {"limit": 1000}, ValueError, "limit"),
    ("list_page", {"limit": "5"}, TypeError, "limit"),
    ("list_page", {"limit": False}, TypeError, "limit"),
    ("list_page", {"cursor": ""}, ValueError, "cursor"),
    ("list_page", {"cursor": ["abc"]}, TypeError, "cursor"),
    ("list_page", {"page_size": 10}, TypeError, "page_size"),  # list's name, not list_page's
    ("list_page", {"start_cursor": "abc"}, TypeError, "start_cursor"),
    ("list_page", {"colour": "red"}, TypeError, "colour"),
]


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize(("method", "kwargs", "expected", "name"), LISTING_CASES)
def test_a_bad_listing_argument_raises_naming_it_before_any_request(kind, method, kwargs, expected, name):
    recorder = Recorder()
    client = _client(kind, recorder, api_key=KEY, project_key=PROJECT)
    with pytest.raises(expected) as caught:
        _run(kind, lambda: getattr(client.segments, method)(**kwargs))
    assert name in str(caught.value)
    assert recorder.requests == []


class Clients:
    """One client of each kind over one recorder, reused across examples."""

    def __init__(self) -> None:
        self.recorder = Recorder()
        self.by_kind = {kind: _client(kind, self.recorder, api_key=KEY, project_key=PROJECT) for kind in KINDS}


@pytest.fixture(scope="module")
def clients(clean_environment: None) -> Clients:
    return Clients()


values = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.floats(),
    st.text(max_size=20),
    st.text(st.characters(categories=["Cs"]), min_size=1, max_size=3),  # lone surrogates: not encodable
    st.binary(max_size=5),
    st.lists(st.integers(), max_size=2),
    st.dictionaries(st.text(max_size=3), st.integers(), max_size=2),
)
sizes = st.one_of(st.integers(1, 100), st.none(), values)
cursors = st.one_of(
    st.none(),
    st.text(min_size=1, max_size=20),
    st.text(st.characters(categories=["Cs"]), min_size=1, max_size=3),
    st.builds(
        lambda a, b: a + b,
        st.text(min_size=1, max_size=5),
        st.text(st.characters(categories=["Cs"]), min_size=1, max_size=1),
    ),
    values,
)
parameter_names = st.text(min_size=1, max_size=12).filter(
    lambda n: n not in {"page_size", "start_cursor", "limit", "cursor"}
)


def _valid_size(value: object, *, optional: bool) -> bool:
    if value is None:
        return optional
    return type(value) is int and 1 <= value <= 100


def _valid_cursor(value: object) -> bool:
    if value is None:
        return True
    if type(value) is not str or not value:
        return False
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


@pytest.mark.timeout(60)
@settings(max_examples=400, suppress_health_check=[HealthCheck.too_slow])
@given(
    kind=st.sampled_from(KINDS),
    method=st.sampled_from(["list", "list_page"]),
    size=sizes,
    cursor=cursors,
    extra=st.one_of(st.just({}), st.dictionaries(parameter_names, values, min_size=1, max_size=2)),
)
def test_listing_arguments_are_rejected_naming_them_or_listed(clients, *, kind, method, size, cursor, extra):
    """A rejected argument raises before any request, naming it; accepted ones give a page (one request).

    A cursor is opaque: any non-empty str the client can put in a URL is the server's business. One that
    cannot be put in a URL (a lone surrogate) must be rejected like any bad value, naming the argument.
    """
    size_name, cursor_name = ("page_size", "start_cursor") if method == "list" else ("limit", "cursor")
    arguments = {size_name: size, cursor_name: cursor, **extra}
    client, recorder = clients.by_kind[kind], clients.recorder
    recorder.requests.clear()
    valid_size = _valid_size(size, optional=method == "list_page")
    result, error = _attempt(
        lambda: _run(kind, lambda: getattr(client.segments, method)(**arguments)), (TypeError, ValueError)
    )
    if error is not None:
        assert recorder.requests == []
        named = [name for name in (size_name, cursor_name, *(f"'{k}'" for k in extra)) if name in str(error)]
        assert named, f"{type(error).__name__} names no argument: {error}"
        assert extra or not valid_size or not _valid_cursor(cursor), f"valid arguments rejected: {error}"
        return
    assert not extra
    assert valid_size
    assert _valid_cursor(cursor)
    assert len(recorder.requests) == 1
    if method == "list_page":
        check_page(result)


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("name", ["", "segments", "segments_list ", "SEGMENTS_LIST", "nope_list", "_server"])
def test_an_unknown_resource_name_raises_naming_it(kind, name):
    recorder = Recorder()
    client = _client(kind, recorder, api_key=KEY, project_key=PROJECT)
    with pytest.raises(ValueError, match=re.escape(repr(name))):
        client.resource(name)
    assert recorder.requests == []


@settings(max_examples=200)
@given(
    kind=st.sampled_from(KINDS),
    name=st.one_of(
        st.text(max_size=20), st.none(), st.integers(), st.binary(max_size=5), st.lists(st.text(), max_size=2)
    ),
)
def test_any_resource_name_but_a_list_operation_raises_naming_it(clients, kind, name):
    if name == "segments_list":
        return
    client, recorder = clients.by_kind[kind], clients.recorder
    recorder.requests.clear()
    with pytest.raises((TypeError, ValueError)) as caught:
        client.resource(name)
    message = str(caught.value)
    assert repr(name) in message or "operation" in message, f"{type(caught.value).__name__}: {message}"
    assert recorder.requests == []
