"""Concurrency: one client shared by many listings at once, over real loopback sockets.

8 threads share one BatchClient, and 50 tasks share one AsyncBatchClient (asyncio.gather); each lists every
segment, and each must get the complete listing, in order. Page sizes differ between listings, so that their
cursors interleave on the shared connection pool.
"""

from __future__ import annotations

import asyncio
from concurrent.futures import ThreadPoolExecutor

import pytest
from _reliability import FakeBatchServer, expected_codes, make_client

THREADS, TASKS = 8, 50
PAGE_SIZES = (100, 97, 64, 100, 50, 100, 33, 100)


@pytest.mark.timeout(60)
def test_threads_sharing_one_client_each_get_every_segment():
    with FakeBatchServer(3000, seed=5) as server, make_client("sync", server) as client:

        def listing(n: int) -> list[str]:
            return [s.code for s in client.segments.list(page_size=PAGE_SIZES[n % len(PAGE_SIZES)])]

        with ThreadPoolExecutor(THREADS) as pool:
            results = list(pool.map(listing, range(THREADS)))
        requests = server.requests
    expected = expected_codes(server)
    for n, codes in enumerate(results):
        assert codes == expected, f"thread {n}: {len(codes)} segments, {len(set(codes))} distinct"
    pages = sum(-(-server.segments // PAGE_SIZES[n % len(PAGE_SIZES)]) for n in range(THREADS))
    assert len(requests) == pages  # no request lost or sent twice


@pytest.mark.timeout(60)
def test_concurrent_async_listings_on_one_client_each_get_every_segment():
    with FakeBatchServer(1200, seed=6) as server:
        client = make_client("async", server)

        async def listing(n: int) -> list[str]:
            page_size = PAGE_SIZES[n % len(PAGE_SIZES)]
            return [s.code async for s in client.segments.list(page_size=page_size)]

        async def main() -> list[list[str]]:
            async with client:
                return await asyncio.gather(*(listing(n) for n in range(TASKS)))

        results = asyncio.run(main())
        requests = server.requests
    expected = expected_codes(server)
    for n, codes in enumerate(results):
        assert codes == expected, f"task {n}: {len(codes)} segments, {len(set(codes))} distinct"
    pages = sum(-(-server.segments // PAGE_SIZES[n % len(PAGE_SIZES)]) for n in range(TASKS))
    assert len(requests) == pages
