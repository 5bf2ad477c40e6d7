"""Shared helpers of the reliability tests (tests/reliability): page invariants, and driving either client.

Not a conftest: the folder has none, so that it runs the same in every tox env and in CI.
"""

from __future__ import annotations

import asyncio
import socket
from datetime import datetime
from typing import Any

import batch_rest
from batch_rest.testing import FakeBatchServer, Fault

KINDS = ("sync", "async")


def check_page(page: object) -> None:
    """What every Page the client hands out must satisfy, whatever the server sent."""
    assert isinstance(page, batch_rest.Page), type(page)
    assert isinstance(page.items, list)
    assert type(page.has_more) is bool
    assert page.next_cursor is None or (type(page.next_cursor) is str and page.next_cursor != ""), page.next_cursor
    if not page.has_more:
        assert page.next_cursor is None
    assert page.count is None or type(page.count) is int
    for item in page.items:
        assert isinstance(item, batch_rest.Segment), type(item)
        for name in ("code", "display_name"):
            value = getattr(item, name)
            assert value is None or isinstance(value, str), (name, value)
        for name in ("created_at", "updated_at"):
            value = getattr(item, name)
            if value is not None:
                assert type(value) is datetime, (name, value)
                assert value.tzinfo is not None, (name, value)


def check_error(error: BaseException) -> None:
    """A BatchError, whose str and repr work."""
    assert isinstance(error, batch_rest.BatchError), f"{type(error).__name__}: {error}"
    assert isinstance(str(error), str)
    assert isinstance(repr(error), str)


def make_client(kind: str, server: FakeBatchServer, **kwargs: Any) -> Any:
    """A BatchClient or an AsyncBatchClient bound to `server`."""
    cls = batch_rest.BatchClient if kind == "sync" else batch_rest.AsyncBatchClient
    kwargs.setdefault("timeout", 5.0)
    return cls(server.api_key, server.project_key, base_url=server.url, **kwargs)


def fast_retries(client: Any, max_retries: int = 10) -> None:
    """Retry at once-ish (private, test-only): tests must not sleep through real backoffs."""
    from batch_rest._retry import RetryPolicy

    client._retry_policy = RetryPolicy(max_retries=max_retries, initial_backoff=0.001, max_backoff=0.01)


def codes_of(kind: str, client: Any, **list_kwargs: Any) -> list[str]:
    """Every segment code of a full listing, with either client (closing an async one in its own loop)."""
    if kind == "sync":
        return [s.code for s in client.segments.list(**list_kwargs)]

    async def main() -> list[str]:
        async with client:
            return [s.code async for s in client.segments.list(**list_kwargs)]

    return asyncio.run(main())


def expected_codes(server: FakeBatchServer, start: int = 0) -> list[str]:
    return [server.segment(i)["code"] for i in range(start, server.segments)]


def closed_port_url() -> str:
    """A loopback base URL nothing listens on: connecting is refused."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"http://127.0.0.1:{port}/2.11"


__all__ = [
    "KINDS",
    "FakeBatchServer",
    "Fault",
    "check_error",
    "check_page",
    "closed_port_url",
    "codes_of",
    "expected_codes",
    "fast_retries",
    "make_client",
]
