"""The fake server's fault and log controls as a test writes them: set_fault_rate(0) with no faults argument,
clear_faults() and clear_requests(), over real HTTP (the fault machinery itself: test_fake_server.py)."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from batch_rest.testing import FakeBatchServer, Fault


@pytest.fixture
def server() -> Iterator[FakeBatchServer]:
    with FakeBatchServer(segments=3) as server:
        yield server


@pytest.fixture
def api(server: FakeBatchServer) -> Iterator[httpx.Client]:
    headers = {"Authorization": f"Bearer {server.api_key}", "X-Batch-Project": server.project_key}
    with httpx.Client(base_url=server.url, headers=headers) as client:
        yield client


def statuses(api: httpx.Client, count: int) -> list[int]:
    return [api.get("/segments/list").status_code for _ in range(count)]


def test_a_fault_rate_of_zero_needs_no_faults_and_turns_the_rate_off(
    api: httpx.Client, server: FakeBatchServer
) -> None:
    server.set_fault_rate(1, [Fault.server_error()])
    assert statuses(api, 2) == [500, 500]
    server.set_fault_rate(0)
    assert statuses(api, 3) == [200, 200, 200]


def test_turning_the_rate_off_keeps_the_queued_faults(api: httpx.Client, server: FakeBatchServer) -> None:
    server.set_fault_rate(1, [Fault.server_error()])
    server.inject(Fault.rate_limit(), times=2)
    server.set_fault_rate(0)
    assert statuses(api, 3) == [429, 429, 200]


def test_a_positive_rate_still_needs_a_fault_to_draw(server: FakeBatchServer) -> None:
    with pytest.raises(ValueError, match=r"faults must not be empty when rate > 0 \(set_fault_rate\(0\.5, "):
        server.set_fault_rate(0.5)


def test_clear_faults_forgets_the_queued_faults_of_every_operation_and_the_rate(
    api: httpx.Client, server: FakeBatchServer
) -> None:
    server.inject(Fault.server_error(), times=2)
    server.inject(Fault.error(404), operation="segments_list")
    server.set_fault_rate(1, [Fault.service_unavailable()])
    server.clear_faults()
    assert statuses(api, 3) == [200, 200, 200]
    assert [r.fault for r in server.requests] == [None, None, None]


def test_clear_faults_keeps_the_rate_limit_the_server_was_made_with() -> None:
    with FakeBatchServer(segments=3, rate_limit=1) as server:
        headers = {"Authorization": f"Bearer {server.api_key}", "X-Batch-Project": server.project_key}
        with httpx.Client(base_url=server.url, headers=headers) as api:
            server.clear_faults()
            assert statuses(api, 2) == [200, 429]  # one request a second: the second is over it


def test_clear_requests_forgets_the_log_and_keeps_the_faults(api: httpx.Client, server: FakeBatchServer) -> None:
    assert statuses(api, 2) == [200, 200]
    server.inject(Fault.server_error())
    server.clear_requests()
    assert server.requests == []
    assert statuses(api, 2) == [500, 200]
    assert [(r.path, r.fault) for r in server.requests] == [
        (f"/{server.api_version}/segments/list", "server_error"),
        (f"/{server.api_version}/segments/list", None),
    ]
