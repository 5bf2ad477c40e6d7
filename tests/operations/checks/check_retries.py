"""Retries never duplicate a side effect: a POST is repeated only when the server provably did nothing (429, 503,
or a connection that could not be made), unless the call says `idempotent=True`. A GET (and a POST with
`idempotent=True`) is retried on 408, 429, every 5xx (a CDN's 520, 522, 524 included) and any connection failure.

First over MockTransport (every httpx failure), then over real sockets: the fake server's faults on a POST
route and on a GET route, and a port nobody listens on.
"""

from __future__ import annotations

import socket

import httpx
import pytest
from conftest import KEY, PROJECT, Scripted, batch_error, json_response, needs

import batch_rest
from batch_rest.testing import FakeBatchServer, Fault

BODY = {"name": "vip", "type": "custom_ids"}
CREATED = {"indexing_token": "tok"}


def create(client, **options):
    return client.audiences.create(body=BODY, **options)


NOTHING_SENT = [httpx.ConnectError("refused"), httpx.ConnectTimeout("connect timed out"), httpx.PoolTimeout("pool")]
MAYBE_SENT = [
    httpx.ReadTimeout("read timed out"),
    httpx.WriteTimeout("write timed out"),
    httpx.ReadError("connection reset"),
    httpx.WriteError("broken pipe"),
    httpx.RemoteProtocolError("server disconnected without sending a response"),
]


@needs("audiences_create")
@pytest.mark.parametrize("failure", NOTHING_SENT, ids=lambda e: type(e).__name__)
def test_a_post_is_retried_when_the_connection_could_not_be_made(clients, failure):
    script = Scripted(failure, lambda _: json_response(202, CREATED))
    assert clients.run(script, create).indexing_token == "tok"
    assert len(script.requests) == 2


@needs("audiences_create")
@pytest.mark.parametrize("failure", MAYBE_SENT, ids=lambda e: type(e).__name__)
def test_a_post_that_may_have_reached_the_server_is_not_retried(clients, failure):
    script = Scripted(failure, lambda _: json_response(202, CREATED))
    with pytest.raises(batch_rest.BatchConnectionError) as caught:
        clients.run(script, create)
    assert len(script.requests) == 1
    assert (caught.value.request_sent, caught.value.attempts) == (True, 1)


@needs("audiences_create")
@pytest.mark.parametrize("failure", MAYBE_SENT, ids=lambda e: type(e).__name__)
def test_idempotent_true_makes_a_post_retried_like_a_get(clients, failure):
    script = Scripted(failure, lambda _: batch_error(500), lambda _: json_response(202, CREATED))
    assert clients.run(script, lambda c: create(c, idempotent=True)).indexing_token == "tok"
    assert len(script.requests) == 3


# What an idempotent call is retried on, and a POST is not: the server may have acted on it.
MAYBE_ACTED_ON = [408, 500, 502, 504, 520, 522, 524, 599]


@needs("audiences_create")
@pytest.mark.parametrize("status", MAYBE_ACTED_ON)
def test_a_post_is_not_retried_after_a_timeout_or_a_server_error(clients, status):
    script = Scripted(lambda _: batch_error(status), lambda _: json_response(202, CREATED))
    with pytest.raises(batch_rest.APIError) as caught:
        clients.run(script, create)
    assert len(script.requests) == 1
    assert (caught.value.status_code, caught.value.attempts) == (status, 1)


@needs("audiences_create")
@pytest.mark.parametrize("status", MAYBE_ACTED_ON)
def test_a_post_marked_idempotent_is_retried_after_a_timeout_or_a_server_error(clients, status):
    script = Scripted(lambda _: batch_error(status), lambda _: json_response(202, CREATED))
    assert clients.run(script, lambda c: create(c, idempotent=True)).indexing_token == "tok"
    assert len(script.requests) == 2


@needs("audiences_view")
@pytest.mark.parametrize("status", [*MAYBE_ACTED_ON, 429, 503])
def test_a_get_is_retried_after_a_timeout_or_any_server_error(clients, status):
    script = Scripted(lambda _: batch_error(status), lambda _: json_response(200, {"name": "vip"}))
    assert clients.run(script, lambda c: c.audiences.view(name="vip")).name == "vip"
    assert len(script.requests) == 2


@needs("audiences_view")
@pytest.mark.parametrize("status", [400, 401, 403, 404, 409, 422])
def test_a_get_is_not_retried_after_a_client_error(clients, status):
    script = Scripted(lambda _: batch_error(status), lambda _: json_response(200, {"name": "vip"}))
    with pytest.raises(batch_rest.APIError):
        clients.run(script, lambda c: c.audiences.view(name="vip"))
    assert len(script.requests) == 1


@needs("audiences_create")
@pytest.mark.parametrize("status", [429, 503])
def test_a_post_is_retried_when_the_server_says_it_did_nothing(clients, status):
    refusal = httpx.Response(status, json={"error_code": "E", "error_message": "later"}, headers={"Retry-After": "2"})
    script = Scripted(lambda _: refusal, lambda _: json_response(202, CREATED))
    assert clients.run(script, create).indexing_token == "tok"
    assert len(script.requests) == 2
    assert clients.sleeps == [2.0]


@needs("audiences_view")
@pytest.mark.parametrize("failure", [*NOTHING_SENT, *MAYBE_SENT], ids=lambda e: type(e).__name__)
def test_a_get_is_retried_on_any_connection_failure(clients, failure):
    audience = {"name": "vip"}
    script = Scripted(failure, lambda _: json_response(200, audience))
    assert clients.run(script, lambda c: c.audiences.view(name="vip")).name == "vip"
    assert len(script.requests) == 2


# -- over real sockets ----------------------------------------------------------------------------------------


@pytest.fixture
def server():
    with FakeBatchServer(segments=10) as server:
        yield server


def _posts(server) -> int:
    return sum(1 for r in server.requests if r.method == "POST")


def _client(kind, base_url, *, keys=(KEY, PROJECT), timeout=5.0, **kwargs):
    cls = batch_rest.BatchClient if kind == "sync" else batch_rest.AsyncBatchClient
    client = cls(*keys, base_url=base_url, timeout=timeout, **kwargs)
    client._random = lambda: 1.0  # the shortest backoff: 0.375 s, then 0.75 s
    return client


def _for(server):
    return {"keys": (server.api_key, server.project_key)}


def _run(kind, client, call):
    if kind == "sync":
        with client:
            return call(client)
    import asyncio

    async def main():
        async with client:
            return await call(client)

    return asyncio.run(main())


@needs("audiences_create")
@pytest.mark.parametrize(
    "fault", [Fault.server_error(), Fault.drop_before_response(), Fault.drop_mid_body()], ids=lambda f: f.kind
)
def test_over_a_socket_a_post_is_sent_once_when_the_server_may_have_acted(kind, server, fault):
    server.inject(fault)
    client = _client(kind, server.url, **_for(server))
    with pytest.raises(batch_rest.BatchError) as caught:
        _run(kind, client, create)
    assert _posts(server) == 1
    assert caught.value.attempts == 1


CDN_AND_TIMEOUT = [408, 520, 522, 524]


@needs("audiences_create")
@pytest.mark.parametrize("status", CDN_AND_TIMEOUT)
def test_over_a_socket_a_timeout_or_a_cdn_error_is_not_retried_on_a_post(kind, server, status):
    server.inject(Fault.error(status), operation="audiences_create")
    client = _client(kind, server.url, **_for(server))
    with pytest.raises(batch_rest.APIError) as caught:
        _run(kind, client, create)
    assert (_posts(server), caught.value.status_code, caught.value.attempts) == (1, status, 1)


@needs("audiences_view")
@pytest.mark.parametrize("status", CDN_AND_TIMEOUT)
def test_over_a_socket_a_timeout_or_a_cdn_error_is_retried_on_a_get(kind, server, status):
    server.inject(Fault.error(status), operation="audiences_view")
    client = _client(kind, server.url, **_for(server))
    audience = _run(kind, client, lambda c: c.audiences.view(name="vip"))
    assert audience.name
    views = [r for r in server.requests if r.operation == "audiences_view"]
    assert [r.fault for r in views] == ["error", None]


@needs("audiences_create")
def test_over_a_socket_a_post_is_repeated_after_503s_and_succeeds(kind, server):
    server.inject(Fault.service_unavailable(), times=2)
    client = _client(kind, server.url, **_for(server))
    result = _run(kind, client, create)
    assert result.indexing_token
    assert _posts(server) == 3


@needs("audiences_create")
def test_over_a_socket_a_post_times_out_once(kind, server):
    server.inject(Fault.slow(2.0))
    client = _client(kind, server.url, timeout=0.3, **_for(server))
    with pytest.raises(batch_rest.BatchTimeoutError) as caught:
        _run(kind, client, create)
    assert (_posts(server), caught.value.request_sent) == (1, True)


@needs("audiences_create")
def test_a_post_to_a_port_nobody_listens_on_is_retried_then_says_nothing_was_sent(kind):
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]  # closed when the block ends: connecting is refused
    client = _client(kind, f"http://127.0.0.1:{port}/2.11", max_retries=2)
    with pytest.raises(batch_rest.BatchConnectionError) as caught:
        _run(kind, client, create)
    assert (caught.value.request_sent, caught.value.attempts) == (False, 3)
