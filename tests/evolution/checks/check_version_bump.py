"""Mutation `version_bump`: servers default 2.11 -> 2.12, info.version 2.9 -> 2.10.

The promise: the default base URL (and so every request) follows the regenerated document, with no wrapper edit;
an explicit api_version still wins.
"""

from _evolution_support import ListEndpoint, collect, segments

import batch_rest
from batch_rest.testing import FakeBatchServer


def test_default_base_url_follows_the_document():
    client = batch_rest.BatchClient("k", "p")
    assert client.base_url == "https://api.batch.com/2.12"
    assert client.api_version == "2.12"
    assert batch_rest.AsyncBatchClient("k", "p").base_url == "https://api.batch.com/2.12"


def test_requests_go_to_the_new_version(kind):
    api = ListEndpoint(segments(3))
    assert len(collect(kind, api, lambda c: c.segments.list())) == 3
    assert str(api.requests[0].url) == "https://api.batch.com/2.12/segments/list?limit=100"


def test_an_explicit_api_version_still_wins():
    assert batch_rest.BatchClient("k", "p", api_version="2.11").base_url == "https://api.batch.com/2.11"


def test_the_fake_server_follows_the_document_too():
    with FakeBatchServer(segments=15) as server:
        assert server.url.endswith("/2.12")
        with batch_rest.BatchClient(server.api_key, server.project_key, base_url=server.url) as client:
            assert len(list(client.segments.list(page_size=10))) == 15
        assert {r.path for r in server.requests} == {"/2.12/segments/list"}
