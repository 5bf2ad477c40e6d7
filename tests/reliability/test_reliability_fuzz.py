"""Fuzz: whatever the server answers, the client hands out a valid Page or raises a BatchError.

Arbitrary statuses (100-599, non-standard ones included), bodies (random JSON, JSON of the wrong shape, odd
number literals, truncated JSON, HTML, empty, invalid UTF-8, a few MB), headers (odd Retry-After values,
Content-Encoding that does not match the body) and transport exceptions, served by httpx.MockTransport in
scripts of 1-4 answers. Each example runs four ways: `list_page()` and a full `list()` (page by page), on the
sync and the async client, which must end the same way. Retries happen (max_retries 0-3) but never sleep:
`_sleep` only records, and every recorded wait must be finite, >= 0 and within the client's cap.

Run with `--hypothesis-show-statistics` to see the number of examples.
"""

from __future__ import annotations

import asyncio
import json
import math
from collections import deque
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta, timezone
from email.utils import format_datetime
from typing import Any

import httpx
import pytest
from _reliability import check_error, check_page
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

import batch_rest
from batch_rest._retry import RetryPolicy

KEY = "sk-fuzz-3b1f0c2d9e"
LAST_PAGE = {"segments": [], "has_more": False}
TRANSPORT_ERRORS = (
    httpx.ConnectError,
    httpx.ConnectTimeout,
    httpx.ReadTimeout,
    httpx.WriteTimeout,
    httpx.PoolTimeout,
    httpx.ReadError,
    httpx.WriteError,
    httpx.RemoteProtocolError,
    httpx.LocalProtocolError,
    httpx.ProxyError,
    httpx.UnsupportedProtocol,
    httpx.DecodingError,
    httpx.TooManyRedirects,
)

# -- bodies ------------------------------------------------------------------------------------------------

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=20),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=4),
    max_leaves=10,
)
offsets = st.integers(-23 * 60 - 59, 23 * 60 + 59).map(lambda m: timezone(timedelta(minutes=m)))
datetimes = st.datetimes(min_value=datetime(1, 1, 2), max_value=datetime(9999, 12, 30))
aware_timestamps = st.builds(lambda d, tz: d.replace(tzinfo=tz).isoformat(), datetimes, offsets)
timestamps = st.one_of(
    aware_timestamps,
    datetimes.map(datetime.isoformat),  # naive: read as UTC
    datetimes.map(lambda d: d.strftime("%Y-%m-%dT%H:%M:%SZ")),
    st.sampled_from(["", "now", "2026-13-01T00:00:00Z", "2026-01-01T00:00:00+25:00", "2026-01-01", "24:00"]),
    st.text(max_size=30),
)
valid_segments = st.fixed_dictionaries(
    {"code": st.text(max_size=20), "display_name": st.text(max_size=20)},
    optional={"created_at": aware_timestamps, "updated_at": aware_timestamps, "extra": json_values},
)
odd_segments = st.fixed_dictionaries(
    {},
    optional={
        "code": st.text(max_size=10) | json_values,
        "display_name": st.text(max_size=10) | json_values,
        "created_at": timestamps | json_values,
        "updated_at": timestamps | json_values,
        "extra": json_values,
    },
)
cursors = st.text(max_size=12)
good_pages = st.fixed_dictionaries(
    {"segments": st.lists(valid_segments, max_size=5), "has_more": st.booleans()},
    optional={"next_from": cursors, "count": st.integers(0, 10**6)},
)
odd_pages = st.fixed_dictionaries(
    {},
    optional={
        "segments": st.one_of(
            st.lists(odd_segments, max_size=4),
            st.lists(json_values, max_size=4),  # a list of non-objects
            st.dictionaries(st.text(max_size=5), json_values, max_size=3),
            st.text(max_size=10),
            json_values,
        ),
        "has_more": st.one_of(st.booleans(), st.text(max_size=5), st.integers(), st.none(), st.floats()),
        "next_from": st.one_of(cursors, st.integers(), st.none(), json_values),
        "count": st.one_of(st.integers(), st.floats(), st.text(max_size=5), st.none(), json_values),
        "extra": json_values,
    },
)
# Number and other literals json.dumps would never write: 1e999 is inf, 5000 digits exceed int parsing's limit.
literals = st.sampled_from(
    [
        *("1e999", "-1e999", "1e-400", "9" * 5000, "-0", "1.5", "123456789012345678901234567890", "NaN", "-Infinity"),
        *("true", "false", "null", '""', '"x"', "[]", "{}", '"\\ud800"', '"2026-01-01T00:00:00Z"', '"\\u0000"'),
    ]
)
templated = st.tuples(literals, literals, literals, literals, literals).map(
    lambda t: (
        f'{{"segments":[{{"code":{t[0]},"created_at":{t[1]}}}],"has_more":{t[2]},"next_from":{t[3]},"count":{t[4]}}}'
    ).encode()
)


def _dumps(value: object) -> bytes:
    return json.dumps(value).encode()


def _cut(data: bytes) -> st.SearchStrategy[bytes]:
    return st.integers(0, max(len(data) - 1, 0)).map(lambda n: data[:n])


def _spoil(data: bytes) -> st.SearchStrategy[bytes]:
    bad = st.sampled_from([b"\xff", b"\xfe\xff", b"\xc3", b"\xed\xa0\x80", b"\x80\x80", b"\xf4\x90\x80\x80"])
    return st.tuples(st.integers(0, len(data)), bad).map(lambda t: data[: t[0]] + t[1] + data[t[0] :])


html = st.builds(
    lambda title, text: f"<!DOCTYPE html><html><head><title>{title}</title></head><body>{text}</body></html>".encode(),
    st.sampled_from(["502 Bad Gateway", "Just a moment...", "Maintenance"]),
    st.text(max_size=50),
)

# 2-3 MB each, built once, and cheap to parse: long ASCII strings rather than many items.
_LONG = "x" * 10_000
BIG_BODIES = (
    _dumps({"segments": [{"code": f"c{i}", "display_name": _LONG} for i in range(200)], "has_more": False}),
    _dumps({"segments": [{"code": "x" * 3_000_000}], "has_more": True, "next_from": "big"}),
    _dumps({"error_code": "E" * 2_000_000, "error_message": None}),
    b"x" * 3_000_000,
    b"[" * 2_000_000,
    b'{"segments": [' + b'{"code": "a"},' * 150_000,  # truncated after 2 MB
    ("\u00e9" * 1_000_000).encode()[1:],  # starts mid-character: invalid UTF-8
)

bodies = st.one_of(
    good_pages.map(_dumps),
    good_pages.map(_dumps),
    odd_pages.map(_dumps),
    json_values.map(_dumps),
    templated,
    good_pages.map(_dumps).flatmap(_cut),
    good_pages.map(_dumps).flatmap(_spoil),
    good_pages.map(lambda p: json.dumps(p, ensure_ascii=False).encode("utf-16")),
    st.builds(lambda p: b"\xef\xbb\xbf" + _dumps(p), good_pages),
    html,
    st.just(b""),
    st.binary(max_size=64),
    st.sampled_from(BIG_BODIES),
    st.builds(lambda c, m: _dumps({"error_code": c, "error_message": m}), json_values, json_values),
)

# -- statuses and headers ----------------------------------------------------------------------------------

statuses = st.one_of(
    st.integers(100, 599),
    st.sampled_from([103, 200, 200, 201, 204, 206, 299, 302, 304, 400, 418, 429, 500, 502, 503, 504, 520, 599]),
)
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
raw_http_dates = st.builds(
    lambda day, month, year, hms, zone: f"Mon, {day:02d} {month} {year} {hms} {zone}",
    st.integers(0, 40),
    st.sampled_from(_MONTHS),
    st.one_of(st.integers(0, 10_000), st.integers(2**31 - 2, 2**31 + 2), st.integers(0, 10**25)),
    st.sampled_from(["00:00:00", "23:59:59", "99:99:99", "12:00"]),
    st.one_of(
        st.sampled_from(["GMT", "UTC", "EST", "-0000", "+2400", "XYZ"]),
        st.integers(-(10**20), 10**20).map(lambda n: f"{n:+d}"),
        st.integers(2_000_000_000_000, 3_000_000_000_000).map(lambda n: f"-{n}"),
    ),
)
retry_after_values = st.one_of(
    st.integers(-(10**6), 10**15).map(str),
    st.floats().map(str),
    st.sampled_from(["", " ", "NaN", "inf", "-inf", "Infinity", "1e400", "-1", "-0", "0", "0.0001", "1_0", "0x10"]),
    st.sampled_from(["soon", "Thu, 01 Jan 1970 00:00:00 GMT", "Fri, 31 Dec 9999 23:59:59 GMT"]),
    st.sampled_from(["Sunday, 06-Nov-94 08:49:37 GMT", "Sun Nov  6 08:49:37 1994", "1, 2"]),
    st.integers(-120, 120).map(lambda s: format_datetime(datetime.now(UTC) + timedelta(seconds=s), usegmt=True)),
    datetimes.map(lambda d: format_datetime(d.replace(tzinfo=UTC), usegmt=True)),
    raw_http_dates,
    st.text(max_size=30),
)
header_values = {
    b"Retry-After": retry_after_values.map(lambda s: s.encode()),
    b"Content-Type": st.sampled_from([b"application/json", b"text/html; charset=utf-8", b"application/json; x"]),
    b"Content-Encoding": st.sampled_from([b"gzip", b"deflate", b"identity", b"br", b"zstd", b"bogus", b"gzip, br"]),
    b"X-Odd": st.binary(max_size=20),
}
headers = st.lists(
    st.sampled_from(sorted(header_values)).flatmap(lambda name: header_values[name].map(lambda v: (name, v))),
    max_size=3,
)

# -- scripts: what the server does for each request ---------------------------------------------------------

answers = st.tuples(st.just("answer"), statuses, headers, bodies)
# A status and body a retrying client will come back after: the script goes on.
retried = st.tuples(
    st.just("answer"),
    st.sampled_from([429, 500, 502, 503, 504]),
    st.builds(lambda value, rest: [(b"Retry-After", value), *rest], header_values[b"Retry-After"], headers),
    bodies,
)
failures = st.tuples(st.just("raise"), st.sampled_from(TRANSPORT_ERRORS), st.just(()), st.just(b""))
steps = st.one_of(answers, answers, retried, failures)
scripts = st.lists(steps, min_size=1, max_size=4).map(tuple)


class Script:
    """A MockTransport handler playing a script, then answering a last, empty page."""

    def __init__(self) -> None:
        self.steps: deque[tuple[Any, ...]] = deque()
        self.requests = 0

    def load(self, script: tuple[tuple[Any, ...], ...]) -> None:
        self.steps, self.requests = deque(script), 0

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests += 1
        if not self.steps:
            return httpx.Response(200, json=LAST_PAGE)
        what, status_or_error, header_list, body = self.steps.popleft()
        if what == "raise":
            raise status_or_error("injected by the fuzz script", request=request)
        return httpx.Response(status_or_error, headers=list(header_list), content=body)


class Harness:
    """One sync and one async client over the same script; `_sleep` records instead of sleeping."""

    def __init__(self) -> None:
        self.script = Script()
        self.sleeps: list[float] = []
        transport = httpx.MockTransport(self.script)
        self.sync = batch_rest.BatchClient(KEY, "proj", http_client=httpx.Client(transport=transport, trust_env=False))
        self.async_ = batch_rest.AsyncBatchClient(
            KEY, "proj", http_client=httpx.AsyncClient(transport=transport, trust_env=False)
        )
        self.sync._sleep = self.sleeps.append

        async def record(seconds: float) -> None:
            self.sleeps.append(seconds)

        self.async_._sleep = record
        for client in (self.sync, self.async_):
            client._random = lambda: 0.0
        self.runner = asyncio.Runner()

    def close(self) -> None:
        self.sync._http.close()
        self.runner.run(self.async_._http.aclose())
        self.runner.close()

    def set_retries(self, max_retries: int) -> None:
        for client in (self.sync, self.async_):
            client._retry_policy = RetryPolicy(max_retries=max_retries)

    def outcome(self, kind: str, how: str, script: tuple[tuple[Any, ...], ...]) -> tuple[Any, ...]:
        """Play `script` once; return a summary of how it ended, after checking every page and error."""
        self.script.load(script)
        self.sleeps.clear()
        try:
            if kind == "sync":
                pages = [self.sync.segments.list_page()] if how == "page" else list(self._sync_pages())
                check_page(pages[0])
            else:
                pages = self.runner.run(self._async_pages(how))
        except batch_rest.BatchError as error:
            check_error(error)
            result: tuple[Any, ...] = ("error", type(error).__name__)
        else:
            result = ("pages", len(pages), sum(len(p.items) for p in pages))
        for seconds in self.sleeps:
            assert math.isfinite(seconds), self.sleeps
            assert 0 <= seconds <= RetryPolicy().max_retry_after, self.sleeps
        # Each request consumes one step of the script, and then the last page ends any listing.
        assert self.script.requests <= len(script) + 1
        return (*result, self.script.requests)

    def _sync_pages(self) -> Iterator[Any]:
        for page in self.sync.segments.list(page_size=10).pages():
            check_page(page)
            yield page

    async def _async_pages(self, how: str) -> list[Any]:
        if how == "page":
            page = await self.async_.segments.list_page()
            check_page(page)
            return [page]
        pages = []
        async for page in self.async_.segments.list(page_size=10).pages():
            check_page(page)
            pages.append(page)
        return pages


@pytest.fixture(scope="module")
def harness() -> Iterator[Harness]:
    h = Harness()
    yield h
    h.close()


@pytest.mark.timeout(120)
@settings(
    max_examples=1000,
    phases=[Phase.explicit, Phase.reuse, Phase.generate, Phase.shrink],
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(script=scripts, max_retries=st.integers(0, 3))
def test_any_answer_ends_in_a_valid_page_or_a_batch_error(harness: Harness, script: Any, max_retries: int) -> None:
    harness.set_retries(max_retries)
    for how in ("page", "list"):
        sync_outcome = harness.outcome("sync", how, script)
        async_outcome = harness.outcome("async", how, script)
        assert sync_outcome == async_outcome, (how, sync_outcome, async_outcome)


# -- what the fuzzing found, pinned ------------------------------------------------------------------------


@pytest.mark.parametrize("kind", ["sync", "async"])
@pytest.mark.parametrize(
    "retry_after",
    [
        "Mon, 01 Jan 99999999999999999999 00:00:00 GMT",  # year beyond a C long: OverflowError
        "Mon, 00 Jan 2147483648 00:00:00 GMT",  # year beyond a C int: OverflowError
        "Mon, 01 Jan 2020 00:00:00 +99999999999999",  # offset beyond a C int: OverflowError
        "Mon, 01 Jan 2020 00:00:00 -2400000000000",  # offset beyond timedelta's range: OverflowError
    ],
)
def test_a_retry_after_date_out_of_datetimes_range_is_a_batch_error(kind, retry_after):
    """parse_retry_after catches ValueError from email.utils.parsedate_to_datetime, not OverflowError."""
    harness = Harness()
    try:
        harness.set_retries(0)
        script = (("answer", 429, ((b"Retry-After", retry_after.encode()),), b""),)
        assert harness.outcome(kind, "page", script)[:2] == ("error", "RateLimitError")
    finally:
        harness.close()


@pytest.mark.parametrize("kind", ["sync", "async"])
@pytest.mark.parametrize("how", ["page", "list"])
def test_an_empty_next_from_is_not_handed_out_as_a_cursor(kind, how):
    """has_more true with next_from "": no page may carry next_cursor "" (a cursor list_page(cursor=...) would
    refuse with ValueError); list() then raises PaginationError (has_more without next_from)."""
    harness = Harness()
    try:
        harness.set_retries(0)
        script = (("answer", 200, (), b'{"segments": [], "has_more": true, "next_from": ""}'),)
        harness.outcome(kind, how, script)  # check_page asserts next_cursor is None or a non-empty str
    finally:
        harness.close()


# -- the same over a real socket: raw HTTP/1.1 answers from the fake server ---------------------------------

latin1_text = st.text(st.characters(min_codepoint=0x20, max_codepoint=0xFF, exclude_characters="\x7f"), max_size=30)
raw_header_values = {
    "Retry-After": retry_after_values.filter(lambda v: v.isprintable() and max(v, default=" ") <= "\xff"),
    "Content-Type": st.sampled_from(["application/json", "text/html", "application/json; charset=latin-1"]),
    "Content-Encoding": st.sampled_from(["gzip", "deflate", "identity", "bogus"]),
    "Transfer-Encoding": st.sampled_from(["chunked", "identity", "gzip, chunked"]),
    "Content-Length": st.one_of(st.integers(-1, 10**6).map(str), latin1_text),
    "X-Odd": latin1_text,
}
raw_headers = st.lists(
    st.sampled_from(sorted(raw_header_values)).flatmap(lambda n: raw_header_values[n].map(lambda v: (n, v))),
    max_size=3,
)
small_bodies = st.one_of(
    good_pages.map(_dumps),
    odd_pages.map(_dumps),
    good_pages.map(_dumps).flatmap(_cut),
    html,
    st.binary(max_size=64),
    st.just(b"0\r\n\r\n"),
)


class Socketed:
    """A fake server answering raw faults, and one client of each kind (the async one in a long-lived loop)."""

    def __init__(self) -> None:
        from batch_rest.testing import FakeBatchServer

        self.server = FakeBatchServer(30).start()
        kwargs = {"base_url": self.server.url, "timeout": 2.0, "max_retries": 0}
        self.sync = batch_rest.BatchClient(self.server.api_key, self.server.project_key, **kwargs)
        self.async_ = batch_rest.AsyncBatchClient(self.server.api_key, self.server.project_key, **kwargs)
        self.runner = asyncio.Runner()

    def close(self) -> None:
        self.sync.close()
        self.runner.run(self.async_.aclose())
        self.runner.close()
        self.server.stop()


@pytest.fixture(scope="module")
def socketed() -> Iterator[Socketed]:
    s = Socketed()
    yield s
    s.close()


@pytest.mark.timeout(60)
@settings(max_examples=150, phases=[Phase.explicit, Phase.reuse, Phase.generate, Phase.shrink])
@given(status=st.integers(100, 999), header_list=raw_headers, body=small_bodies)
def test_any_raw_answer_over_a_socket_ends_in_a_page_or_a_batch_error(socketed, status, header_list, body):
    from batch_rest.testing import Fault

    fault = Fault.raw(status, header_list, body)
    outcomes = []
    for kind in ("sync", "async"):
        socketed.server.clear_faults()
        socketed.server.inject(fault)
        try:
            if kind == "sync":
                page = socketed.sync.segments.list_page()
            else:
                page = socketed.runner.run(socketed.async_.segments.list_page())
        except batch_rest.BatchError as error:
            check_error(error)
            outcomes.append(type(error).__name__)
        else:
            check_page(page)
            outcomes.append("page")
    assert outcomes[0] == outcomes[1], outcomes
