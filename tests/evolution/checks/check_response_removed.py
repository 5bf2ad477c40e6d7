"""Mutation `response_removed`: 503 is no longer a documented response of /segments/list.

The promise: a 503 is still a ServiceUnavailableError, and still retried (then the listing succeeds).
"""

import pytest
from _evolution_support import ListEndpoint, collect, error, segments

import batch_rest
from batch_rest.testing import FakeBatchServer, Fault

MAINTENANCE = {"error_code": "SERVICE_UNAVAILABLE", "error_message": "Batch's services are under maintenance"}


def test_a_503_is_retried_then_the_listing_succeeds(kind):
    api = ListEndpoint(segments(25), faults=[None, error(503, MAINTENANCE, headers={"Retry-After": "0"})])
    listed = collect(kind, api, lambda c: c.segments.list(page_size=10))
    assert [s.code for s in listed] == [f"SEG-{i}" for i in range(25)]
    assert len(api.requests) == 4
    assert api.requests[1].url == api.requests[2].url


def test_a_persistent_503_is_a_service_unavailable_error(kind):
    api = ListEndpoint(segments(3), faults=[error(503, MAINTENANCE, headers={"Retry-After": "0"})] * 5)
    with pytest.raises(batch_rest.ServiceUnavailableError) as caught:
        collect(kind, api, lambda c: c.segments.list(), max_retries=2)
    assert (caught.value.status_code, caught.value.error_code) == (503, "SERVICE_UNAVAILABLE")
    assert len(api.requests) == 3


def test_against_the_fake_server():
    with FakeBatchServer(segments=30) as server:
        server.inject(Fault.service_unavailable())
        with batch_rest.BatchClient(server.api_key, server.project_key, base_url=server.url) as client:
            assert len(list(client.segments.list(page_size=20))) == 30
        assert [r.fault for r in server.requests] == ["service_unavailable", None, None]
