"""pytest fixtures for testing code that uses batch_rest against a fake Batch API on loopback.

Registered through the `pytest11` entry point, so installing the package makes the fixtures available:

    @pytest.mark.batch_server(segments=1200, seed=7)
    def test_export(batch_client, batch_server):
        assert len(list(batch_client.segments.list())) == 1200

pytest loads this module in every session of everyone who installs the package: it imports nothing but pytest
at import time, and the server and the clients only when a fixture is used.

`async def` tests that use `async_batch_client` run without an async plugin: when no plugin (anyio's, which
comes with httpx, or pytest-asyncio) has run such a test, this plugin runs it with `asyncio.run`. Other async
tests are left to pytest, which fails them as it always has.
"""

from __future__ import annotations

import inspect
from collections.abc import Iterator
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from batch_rest import AsyncBatchClient, BatchClient
    from batch_rest.testing import FakeBatchServer

CLIENT_TIMEOUT = 5.0  # seconds: a test against loopback that needs longer is stuck


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        "batch_server(segments=250, seed=0, **kwargs): keyword arguments of the FakeBatchServer that the "
        "batch_server fixture starts (api_key, project_key, api_version...)",
    )


@pytest.fixture
def batch_server(request: pytest.FixtureRequest) -> Iterator[FakeBatchServer]:
    """A started `batch_rest.testing.FakeBatchServer` (250 segments, seed 0), stopped after the test.

    Configure it with `@pytest.mark.batch_server(segments=..., seed=...)`; inject faults with
    `batch_server.inject(Fault.server_error())` and inspect `batch_server.requests`.
    """
    from batch_rest.testing import FakeBatchServer  # noqa: PLC0415 - imported when used: see above

    marker = request.node.get_closest_marker("batch_server")
    if marker is not None and marker.args:
        raise pytest.UsageError("@pytest.mark.batch_server takes keyword arguments only, e.g. segments=100")
    with FakeBatchServer(**(marker.kwargs if marker is not None else {})) as server:
        yield server


@pytest.fixture
def batch_client(batch_server: FakeBatchServer) -> Iterator[BatchClient]:
    """A `batch_rest.BatchClient` bound to `batch_server` (its keys, its URL, 5 s timeout), then closed."""
    from batch_rest import BatchClient  # noqa: PLC0415

    with BatchClient(
        batch_server.api_key, batch_server.project_key, base_url=batch_server.url, timeout=CLIENT_TIMEOUT
    ) as client:
        yield client


@pytest.fixture
def async_batch_client(batch_server: FakeBatchServer) -> AsyncBatchClient:
    """An `AsyncBatchClient` bound to `batch_server`, not yet entered: close it in your test's event loop with

        async def test_listing(async_batch_client):
            async with async_batch_client as client:
                segments = [s async for s in client.segments.list()]

    (a sync fixture cannot close it: its connections belong to the loop the test runs in). An `async def` test
    using it needs no plugin: this one runs it with `asyncio.run` unless anyio's (`@pytest.mark.anyio`) or
    pytest-asyncio's runs it first. A sync test can run its own loop: `asyncio.run(main())`.
    """
    from batch_rest import AsyncBatchClient  # noqa: PLC0415

    return AsyncBatchClient(
        batch_server.api_key, batch_server.project_key, base_url=batch_server.url, timeout=CLIENT_TIMEOUT
    )


def pytest_pyfunc_call(pyfuncitem: pytest.Function) -> bool | None:
    """Run an `async def` test that uses `async_batch_client`, when no async plugin has (see the docstring).

    Neither tryfirst nor trylast: anyio's hook (tryfirst) runs the tests it owns before this one is asked,
    pytest-asyncio has already made the tests it owns sync by then, and pytest's own hook (trylast), which fails
    every `async def` test, is asked after this one.
    """
    if "async_batch_client" not in pyfuncitem.fixturenames or not inspect.iscoroutinefunction(pyfuncitem.obj):
        return None
    import asyncio  # noqa: PLC0415 - only for the tests that need it

    arguments = pyfuncitem.funcargs
    wanted = [name for name in inspect.signature(pyfuncitem.obj).parameters if name in arguments]
    asyncio.run(pyfuncitem.obj(**{name: arguments[name] for name in wanted}))
    return True
