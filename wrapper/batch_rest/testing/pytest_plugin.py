"""pytest fixtures for testing code that uses batch_rest against a fake Batch API on loopback.

Registered through the `pytest11` entry point, so installing the package makes the fixtures available:

    @pytest.mark.batch_server(segments=1200, seed=7)
    def test_export(batch_client, batch_server):
        assert len(list(batch_client.segments.list())) == 1200

pytest loads this module in every session of everyone who installs the package: it imports nothing but pytest
at import time, and the server and the clients only when a fixture is used.
"""

from __future__ import annotations

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

        async with async_batch_client as client:
            segments = [s async for s in client.segments.list()]

    (a sync fixture cannot close it: its connections belong to the loop the test runs in).
    """
    from batch_rest import AsyncBatchClient  # noqa: PLC0415

    return AsyncBatchClient(
        batch_server.api_key, batch_server.project_key, base_url=batch_server.url, timeout=CLIENT_TIMEOUT
    )
