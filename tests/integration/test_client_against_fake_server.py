"""BatchClient and AsyncBatchClient listing segments from the fake Batch server over loopback.

Each injected fault hits a request in the middle of a listing; the listing must still yield every segment
exactly once and in order, after the retry the fault calls for. The clients' sleeps are recorded instead of
slept (through their `_sleep` hook) so that the waits can be asserted exactly and the tests stay fast.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

import batch_rest
from batch_rest.testing import FakeBatchServer, Fault

pytestmark = pytest.mark.timeout(30)

SEGMENTS, PAGE_SIZE = 1050, 100  # 11 pages, the last one short
BACKOFF = (0.375, 0.5)  # the first retry's wait: RetryPolicy's 0.5 s, shortened by up to a quarter of jitter
CLIENT_TIMEOUT = 0.5  # short, for the slow fault; still 100 times what a page takes on loopback


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture(scope="module")
def shared() -> Iterator[FakeBatchServer]:
    with FakeBatchServer(SEGMENTS, seed=4) as server:
        yield server


@pytest.fixture
def server(shared: FakeBatchServer) -> FakeBatchServer:
    shared.clear_requests()
    shared.clear_faults()
    return shared


def codes(server: FakeBatchServer, start: int = 0) -> list[str]:
    return [server.segment(i)["code"] for i in range(start, server.segments)]


def sync_client(server: FakeBatchServer, delays: list[float], **options: Any) -> batch_rest.BatchClient:
    options = {"timeout": CLIENT_TIMEOUT, "base_url": server.url, **options}
    client = batch_rest.BatchClient(server.api_key, server.project_key, **options)
    client._sleep = delays.append
    return client


def async_client(server: FakeBatchServer, delays: list[float], **options: Any) -> batch_rest.AsyncBatchClient:
    options = {"timeout": CLIENT_TIMEOUT, "base_url": server.url, **options}
    client = batch_rest.AsyncBatchClient(server.api_key, server.project_key, **options)

    async def sleep(seconds: float) -> None:
        delays.append(seconds)

    client._sleep = sleep
    return client


def list_with_fault_after_first_page(server: FakeBatchServer, fault: Fault | None, delays: list[float]) -> list[str]:
    seen = []
    with sync_client(server, delays) as client:
        for number, page in enumerate(client.segments.list(page_size=PAGE_SIZE).pages()):
            seen += [segment.code for segment in page.items]
            if number == 0 and fault is not None:
                server.inject(fault)
    return seen


async def alist_with_fault_after_first_page(
    server: FakeBatchServer, fault: Fault | None, delays: list[float]
) -> list[str]:
    seen = []
    async with async_client(server, delays) as client:
        number = 0
        async for page in client.segments.list(page_size=PAGE_SIZE).pages():
            seen += [segment.code for segment in page.items]
            if number == 0 and fault is not None:
                server.inject(fault)
            number += 1
    return seen


# The fault, and the waits the client must have recorded before its retry: a number (exactly) or a range.
FAULTS: dict[str, tuple[Fault, float | tuple[float, float]]] = {
    "429 Retry-After 7": (Fault.rate_limit(7), 7.0),
    "429 Retry-After 0": (Fault.rate_limit(0), 0.0),
    "429 Retry-After past date": (Fault.rate_limit("Wed, 21 Oct 2015 07:28:00 GMT"), 0.0),
    "429 without Retry-After": (Fault.rate_limit(), BACKOFF),
    "500": (Fault.server_error(), BACKOFF),
    "503": (Fault.service_unavailable(), BACKOFF),
    # A GET is retried on what a CDN or a proxy in front of the API answers, too (a POST is not: check_retries.py).
    "408": (Fault.error(408), BACKOFF),
    "520": (Fault.error(520), BACKOFF),
    "522": (Fault.error(522), BACKOFF),
    "524": (Fault.error(524), BACKOFF),
    "dropped before the response": (Fault.drop_before_response(), BACKOFF),
    "dropped mid-body": (Fault.drop_mid_body(), BACKOFF),
    "slower than the client's timeout": (Fault.slow(CLIENT_TIMEOUT + 1.5), BACKOFF),
}


def check_listing(server: FakeBatchServer, fault: Fault, wait: float | tuple[float, float], seen: list[str],
                  delays: list[float]) -> None:  # fmt: skip
    assert seen == codes(server)  # every segment, exactly once, in order
    assert len(delays) == 1
    if isinstance(wait, tuple):
        assert wait[0] <= delays[0] <= wait[1]
    else:
        assert delays[0] == pytest.approx(wait, abs=1e-6)
    requests = server.requests
    assert [r.fault for r in requests] == [None, fault.kind] + [None] * 10
    assert requests[1].query == requests[2].query  # the retry asks for the same page
    assert requests[1].query["from"] == [server.cursor(PAGE_SIZE)]


@pytest.mark.parametrize("name", FAULTS)
def test_sync_listing_survives(server: FakeBatchServer, name: str) -> None:
    fault, wait = FAULTS[name]
    delays: list[float] = []
    seen = list_with_fault_after_first_page(server, fault, delays)
    check_listing(server, fault, wait, seen, delays)


@pytest.mark.anyio
@pytest.mark.parametrize("name", FAULTS)
async def test_async_listing_survives(server: FakeBatchServer, name: str) -> None:
    fault, wait = FAULTS[name]
    delays: list[float] = []
    seen = await alist_with_fault_after_first_page(server, fault, delays)
    check_listing(server, fault, wait, seen, delays)


def test_sync_listing_uses_one_connection_and_encodes_cursors() -> None:
    with FakeBatchServer(SEGMENTS, seed=4) as server:
        with sync_client(server, []) as client:
            seen = [segment.code for segment in client.segments.list(page_size=10)]
        assert seen == codes(server)
        assert server.connections_opened == 1
        sent = [r.query.get("from") for r in server.requests]
    # The server decodes a bare `+` into a space: equal cursors mean that the client percent-encoded them.
    assert sent == [None] + [[server.cursor(i)] for i in range(10, SEGMENTS, 10)]
    assert all(any(char in c[0] for c in sent if c) for char in "+/=")
    assert all(r.query["limit"] == ["10"] for r in server.requests)


@pytest.mark.anyio
async def test_async_listing_uses_one_connection_and_encodes_cursors() -> None:
    with FakeBatchServer(SEGMENTS, seed=4) as server:
        async with async_client(server, []) as client:
            seen = [segment.code async for segment in client.segments.list(page_size=10)]
        assert seen == codes(server)
        assert server.connections_opened == 1
        sent = [r.query.get("from") for r in server.requests]
    assert sent == [None] + [[server.cursor(i)] for i in range(10, SEGMENTS, 10)]


def test_list_page_and_start_cursor(server: FakeBatchServer) -> None:
    with sync_client(server, []) as client:
        page = client.segments.list_page()
        assert [s.code for s in page.items] == codes(server)[:10]
        assert page.count == SEGMENTS
        assert page.has_more
        assert page.next_cursor == server.cursor(10)
        assert [s.code for s in client.segments.list(start_cursor=server.cursor(1000))] == codes(server, 1000)
        last = client.segments.list_page(limit=100, cursor=server.cursor(1000))
        assert (last.has_more, last.next_cursor, last.count) == (False, None, None)
    assert server.requests[0].query == {}  # limit=None lets the server choose


def test_segments_are_parsed(server: FakeBatchServer) -> None:
    with sync_client(server, []) as client:
        (segment,) = client.segments.list_page(limit=1).items
    raw = server.segment(0)
    assert segment.code == raw["code"]
    assert segment.display_name == raw["display_name"]
    assert segment.created_at.isoformat().replace("+00:00", "Z") == raw["created_at"]
    assert segment.updated_at.isoformat().replace("+00:00", "Z") == raw["updated_at"]


def test_sync_resume_after_retries_run_out(server: FakeBatchServer) -> None:
    delays: list[float] = []
    seen: list[str] = []
    with sync_client(server, delays, max_retries=2) as client:
        pager = client.segments.list(page_size=PAGE_SIZE)
        items = iter(pager)
        seen += [next(items).code for _ in range(PAGE_SIZE)]  # the whole first page
        server.inject(Fault.server_error(), times=3)
        with pytest.raises(batch_rest.ServerError) as caught:
            next(items)
        assert caught.value.status_code == 500
        assert caught.value.error_code == "SERVER_ERROR"
        assert pager.cursor == server.cursor(PAGE_SIZE)
        seen += [segment.code for segment in pager]  # iterate again to go on
    assert seen == codes(server)
    assert len(delays) == 2


@pytest.mark.anyio
async def test_async_resume_after_retries_run_out(server: FakeBatchServer) -> None:
    seen: list[str] = []
    async with async_client(server, [], max_retries=0) as client:
        pager = client.segments.list(page_size=PAGE_SIZE)
        server.inject(Fault.drop_mid_body())
        with pytest.raises(batch_rest.BatchConnectionError):
            async for segment in pager:
                seen.append(segment.code)
        assert seen == []
        assert pager.cursor is None
        seen += [segment.code async for segment in pager]
    assert seen == codes(server)


def test_slow_within_the_timeout_is_not_retried(server: FakeBatchServer) -> None:
    server.inject(Fault.slow(CLIENT_TIMEOUT / 3))
    delays: list[float] = []
    assert list_with_fault_after_first_page(server, None, delays) == codes(server)
    assert delays == []
    assert len(server.requests) == 11


def test_timeouts_run_out_as_batch_timeout_error(server: FakeBatchServer) -> None:
    server.inject(Fault.slow(CLIENT_TIMEOUT + 1.5), times=2)
    with sync_client(server, [], max_retries=1) as client, pytest.raises(batch_rest.BatchTimeoutError):
        client.segments.list_page()


def test_retry_after_longer_than_the_policy_allows_is_raised(server: FakeBatchServer) -> None:
    server.inject(Fault.rate_limit(3600))
    delays: list[float] = []
    with sync_client(server, delays) as client, pytest.raises(batch_rest.RateLimitError) as caught:
        client.segments.list_page()
    assert caught.value.retry_after == 3600
    assert delays == []


def test_wrong_key_is_authentication_error(server: FakeBatchServer) -> None:
    delays: list[float] = []
    client = batch_rest.BatchClient("wrong-key-0123", server.project_key, base_url=server.url, timeout=5)
    client._sleep = delays.append
    with client, pytest.raises(batch_rest.AuthenticationError) as caught:
        list(client.segments.list())
    error = caught.value
    assert error.status_code == 401
    assert error.error_code == "AUTHENTICATION_INVALID"
    assert "wrong-key-0123" not in f"{error} {error!r} {error.headers}"
    assert len(server.requests) == 1  # not retried
    assert delays == []


def test_wrong_project_is_authentication_error(server: FakeBatchServer) -> None:
    client = batch_rest.BatchClient(server.api_key, "another-project", base_url=server.url, timeout=5)
    with client, pytest.raises(batch_rest.AuthenticationError):
        client.segments.list_page()


@pytest.mark.anyio
async def test_async_wrong_key_is_authentication_error(server: FakeBatchServer) -> None:
    async with batch_rest.AsyncBatchClient("nope", server.project_key, base_url=server.url, timeout=5) as client:
        with pytest.raises(batch_rest.AuthenticationError):
            await client.segments.list_page()
    assert len(server.requests) == 1


def test_unknown_cursor_is_bad_request(server: FakeBatchServer) -> None:
    with sync_client(server, []) as client:
        with pytest.raises(batch_rest.BadRequestError) as caught:
            list(client.segments.list(start_cursor="bm9wZQ=="))
        assert caught.value.status_code == 400
        assert caught.value.error_code == "INVALID_PARAMETER"
        with pytest.raises(batch_rest.BadRequestError):
            client.segments.list_page(cursor=server.cursor(5) + "AAAA")
    assert len(server.requests) == 2  # not retried


@pytest.mark.anyio
async def test_async_unknown_cursor_is_bad_request(server: FakeBatchServer) -> None:
    async with async_client(server, []) as client:
        with pytest.raises(batch_rest.BadRequestError):
            await client.segments.list_page(cursor="bm9wZQ==")


SOAK_FAULTS = [Fault.rate_limit(0), Fault.rate_limit(), Fault.server_error(), Fault.service_unavailable(),
               Fault.drop_before_response(), Fault.drop_mid_body()]  # fmt: skip


def test_sync_soak(server: FakeBatchServer) -> None:
    server.set_fault_rate(0.3, SOAK_FAULTS, seed=99)
    with sync_client(server, [], max_retries=10) as client:
        seen = [segment.code for segment in client.segments.list(page_size=25)]
    assert seen == codes(server)
    faulted = [r.fault for r in server.requests if r.fault]
    assert len(faulted) >= 5
    assert len(server.requests) == SEGMENTS // 25 + len(faulted)


@pytest.mark.anyio
async def test_async_soak(server: FakeBatchServer) -> None:
    server.set_fault_rate(0.3, SOAK_FAULTS, seed=7)
    async with async_client(server, [], max_retries=10) as client:
        seen = [segment.code async for segment in client.segments.list(page_size=25)]
    assert seen == codes(server)
    assert len(server.requests) > SEGMENTS // 25
