"""Interruption: after an exception mid-listing, `pager.cursor` resumes with nothing lost or repeated.

Two ways to go on are checked from the same state: a new listing from `start_cursor=pager.cursor`, and
iterating the same pager again. A client error (400, a 503 or a dropped connection with retries off, a 429
whose Retry-After is beyond the cap) loses and repeats nothing. The caller's own exception inside the `for`
loop repeats exactly the part of the page in hand that was already seen, and nothing else.
"""

from __future__ import annotations

import asyncio
import json
from typing import Any

import pytest
from _reliability import KINDS, FakeBatchServer, Fault, expected_codes, make_client

import batch_rest

SEGMENTS, PAGE_SIZE = 500, 100
INTERRUPTIONS = {
    "400": (Fault.raw(400, {"Content-Type": "application/json"}, b'{"error_code": "INVALID_PARAMETER"}'), 3),
    "503": (Fault.service_unavailable(), 0),
    "429-beyond-cap": (Fault.rate_limit(retry_after=3600), 3),
    "dropped-mid-body": (Fault.drop_mid_body(), 0),
    "dropped-before-response": (Fault.drop_before_response(), 0),
}


class Interrupt(Exception):
    """The caller's own exception, raised inside the for loop."""


def _interrupted_then_resumed(kind: str, client: Any, pager: Any, stop: Any, check: Any) -> tuple[list[str], ...]:
    """Iterate `pager`, calling stop(seen) before taking each item, until an exception; call check(error); then
    go on both ways. Returns (seen, a new listing from pager.cursor, the same pager iterated again).

    The async client's connections belong to one event loop: everything runs in one asyncio.run.
    """
    seen: list[str] = []
    if kind == "sync":
        with client:
            try:
                for segment in pager:
                    stop(seen)
                    seen.append(segment.code)
            except Exception as error:
                check(error)
            else:
                raise AssertionError("the listing was expected to be interrupted")
            resumed = [s.code for s in client.segments.list(start_cursor=pager.cursor)]
            again = [s.code for s in pager]
        return seen, resumed, again

    async def main() -> tuple[list[str], ...]:
        async with client:
            try:
                async for segment in pager:
                    stop(seen)
                    seen.append(segment.code)
            except Exception as error:
                check(error)
            else:
                raise AssertionError("the listing was expected to be interrupted")
            resumed = [s.code async for s in client.segments.list(start_cursor=pager.cursor)]
            again = [s.code async for s in pager]
        return seen, resumed, again

    return asyncio.run(main())


@pytest.mark.timeout(30)
@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("name", sorted(INTERRUPTIONS))
@pytest.mark.parametrize("at", [0, 250, 300])
def test_an_error_mid_listing_loses_and_repeats_nothing(kind, name, at):
    fault, max_retries = INTERRUPTIONS[name]
    with FakeBatchServer(SEGMENTS, seed=9) as server:
        client = make_client(kind, server, max_retries=max_retries)
        pager = client.segments.list(page_size=PAGE_SIZE)

        def stop(seen: list[str]) -> None:
            if len(seen) == at:  # the fault hits the next request: the page after the one in hand
                server.inject(fault)

        if at == 0:
            server.inject(fault)
        failed_at = 0 if at == 0 else (at // PAGE_SIZE + 1) * PAGE_SIZE  # the first segment of the failed page

        def check(error: BaseException) -> None:
            assert isinstance(error, batch_rest.BatchError), repr(error)
            assert pager.cursor == (server.cursor(failed_at) if failed_at else None)
            assert not pager.exhausted

        seen, resumed, again = _interrupted_then_resumed(kind, client, pager, stop, check)
    everything = expected_codes(server)
    assert len(seen) == failed_at
    assert seen + resumed == everything
    assert seen + again == everything
    assert pager.exhausted


@pytest.mark.timeout(30)
@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("raise_after", [1, 99, 100, 150, 200, 499])
def test_the_callers_exception_repeats_exactly_the_seen_part_of_the_page_in_hand(kind, raise_after):
    with FakeBatchServer(SEGMENTS, seed=9) as server:
        client = make_client(kind, server)
        pager = client.segments.list(page_size=PAGE_SIZE)

        def stop(seen: list[str]) -> None:
            if len(seen) == raise_after:
                raise Interrupt(f"after {raise_after}")

        in_hand = raise_after // PAGE_SIZE * PAGE_SIZE  # the first segment of the page in hand

        def check(error: BaseException) -> None:
            assert isinstance(error, Interrupt), repr(error)
            assert pager.cursor == (server.cursor(in_hand) if in_hand else None)

        seen, resumed, again = _interrupted_then_resumed(kind, client, pager, stop, check)
    everything = expected_codes(server)
    assert seen == everything[:raise_after]
    for rest in (resumed, again):
        # Nothing lost: from the start of the page in hand to the end. Repeated: the seen part of that page only.
        assert rest == everything[in_hand:]
        assert [code for code in rest if code in set(seen)] == seen[in_hand:]


@pytest.mark.timeout(30)
@pytest.mark.parametrize("kind", KINDS)
def test_a_rejected_cursor_leaves_the_pager_where_it_was(kind):
    """A cursor the server refuses (400) raises, and the pager keeps that cursor: the caller sees which."""
    with FakeBatchServer(300, seed=1) as server:
        client = make_client(kind, server)
        bogus = json.dumps({"not": "a cursor"})
        pager = client.segments.list(start_cursor=bogus)
        errors: list[BaseException] = []
        with pytest.raises(batch_rest.BadRequestError):
            _interrupted_then_resumed(kind, client, pager, lambda seen: None, errors.append)
    assert [type(e) for e in errors] == [batch_rest.BadRequestError]
    assert pager.cursor == bogus
    assert server.requests[0].query["from"] == [bogus]
