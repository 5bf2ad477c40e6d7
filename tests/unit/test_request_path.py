"""The one request path, on the shipped operation: per-call options, with_options, raw responses, redirects,
errors that keep their request and response and survive pickling, a closed client.

Every test runs against both clients. The operations of other shapes (POST bodies, 202, 204, 307, 404) are
tested against packages regenerated with the fixture pages: tests/operations.
"""

import asyncio
import pickle

import httpx
import pytest
from test_client import KEY, FakeBatch, Harness, error

import batch_rest
import batch_rest._resource
from batch_rest import errors


def test_per_call_timeout_and_extra_headers_reach_the_request(kind):
    api = FakeBatch(5)
    harness = Harness(kind, api, timeout=30.0)
    harness.run(lambda c: c.segments.list_page(timeout=2.5, extra_headers={"X-Trace": "abc 1"}))
    (request,) = api.requests
    assert request.extensions["timeout"] == httpx.Timeout(2.5).as_dict()
    assert request.headers["x-trace"] == "abc 1"
    assert request.headers["authorization"] == f"Bearer {KEY}"


def test_per_call_max_retries_overrides_the_clients(kind):
    api = FakeBatch(5, faults=[error(503)] * 3)
    harness = Harness(kind, api, max_retries=5)
    with pytest.raises(batch_rest.ServiceUnavailableError) as caught:
        harness.run(lambda c: c.segments.list_page(max_retries=1))
    assert len(api.requests) == 2
    assert caught.value.attempts == 2


@pytest.mark.parametrize(
    ("options", "error_type", "name"),
    [
        ({"timeout": -1}, ValueError, "timeout"),
        ({"timeout": "soon"}, TypeError, "timeout"),
        ({"max_retries": -1}, ValueError, "max_retries"),
        ({"max_retries": 1.5}, TypeError, "max_retries"),
        ({"extra_headers": {"X-Bad": "line\nbreak"}}, ValueError, "extra_headers"),
        ({"extra_headers": {"X-Bad": 5}}, TypeError, "extra_headers"),
        ({"extra_headers": [("X", "y")]}, TypeError, "extra_headers"),
    ],
)
def test_bad_per_call_options_raise_before_any_request(kind, options, error_type, name):
    api = FakeBatch(5)
    with pytest.raises(error_type, match=name):
        Harness(kind, api).run(lambda c: c.segments.list_page(**options))
    assert api.requests == []


def test_with_options_shares_the_pool_and_leaves_the_original_unchanged(kind):
    api = FakeBatch(5, faults=[error(503)] * 2)
    harness = Harness(kind, api, max_retries=0, timeout=30.0)
    patient = harness.client.with_options(max_retries=2, timeout=4.0)
    assert patient._http is harness.client._http
    assert patient.segments is not harness.client.segments  # its resources are its own
    page = harness.run(lambda c: patient.segments.list_page())
    assert len(page) == 5
    assert len(api.requests) == 3
    assert api.requests[-1].extensions["timeout"] == httpx.Timeout(4.0).as_dict()
    assert harness.client._settings.max_retries == 0
    assert repr(patient).endswith("timeout=4.0, max_retries=2)")


def test_default_headers_are_sent_on_every_request_and_a_calls_extra_headers_win(kind):
    api = FakeBatch(250)
    defaults = {"X-Trace": "default", "X-Tenant": "t1", "User-Agent": "my-app/1.0"}
    harness = Harness(kind, api, default_headers=defaults)
    harness.codes()
    harness.run(lambda c: c.segments.list_page(extra_headers={"x-trace": "call", "Authorization": "Bearer call"}))
    listing, call = api.requests[:3], api.requests[3]
    assert [(r.headers["x-trace"], r.headers["x-tenant"]) for r in listing] == [("default", "t1")] * 3
    assert {r.headers["user-agent"] for r in listing} == {"my-app/1.0"}  # not a credential: a default may set it
    assert {r.headers["authorization"] for r in listing} == {f"Bearer {KEY}"}
    assert {r.headers["x-batch-project"] for r in listing} == {"proj"}
    assert (call.headers["x-trace"], call.headers["x-tenant"]) == ("call", "t1")
    assert call.headers["authorization"] == "Bearer call"  # the call's own choice, as extra_headers always allowed
    assert call.headers.get_list("x-trace") == ["call"]


def test_with_options_adds_default_headers_to_a_copy(kind):
    api = FakeBatch(5)
    harness = Harness(kind, api, default_headers={"X-Trace": "a", "X-Keep": "k"})
    traced = harness.client.with_options(default_headers={"x-trace": "b", "X-New": "n"})
    assert traced._http is harness.client._http
    harness.run(lambda c: traced.segments.list_page())
    harness.run(lambda c: c.segments.list_page())
    copy, original = api.requests
    assert [copy.headers.get(n) for n in ("x-trace", "x-keep", "x-new")] == ["b", "k", "n"]
    assert [original.headers.get(n) for n in ("x-trace", "x-keep", "x-new")] == ["a", "k", None]
    assert copy.headers["authorization"] == original.headers["authorization"] == f"Bearer {KEY}"
    untouched = harness.client.with_options(timeout=2.0)
    assert untouched._headers == harness.client._headers


@pytest.mark.parametrize(
    ("headers", "error_type", "words"),
    [
        ({"Authorization": "Bearer other"}, ValueError, ["default_headers", "Authorization", "api_key="]),
        ({"X-Batch-Project": "other"}, ValueError, ["default_headers", "X-Batch-Project", "project_key="]),
        ({"X-Trace": 5}, TypeError, ["default_headers"]),
        (["X-Trace"], TypeError, ["default_headers"]),
    ],
)
def test_bad_default_headers_in_with_options_raise_before_any_request(kind, headers, error_type, words):
    api = FakeBatch(5)
    harness = Harness(kind, api)
    with pytest.raises(error_type) as caught:
        harness.client.with_options(default_headers=headers)
    for word in words:
        assert word in str(caught.value)
    assert api.requests == []


def test_options_in_a_traceback_hide_the_credentials_of_extra_headers():
    options = batch_rest._resource.RequestOptions(2.0, None, {"Authorization": "Bearer other", "X-Trace": "t"})
    assert "other" not in repr(options)
    assert "'X-Trace': 't'" in repr(options)


def test_closing_a_copy_leaves_the_shared_pool_open(kind):
    harness = Harness(kind, FakeBatch(5))
    copy = harness.client.with_options(timeout=1.0)
    if kind == "sync":
        copy.close()
    else:
        asyncio.run(copy.aclose())
    assert not harness.client._http.is_closed


def test_raw_response_gives_the_http_response_and_parses_on_demand(kind):
    api = FakeBatch(5)
    raw = Harness(kind, api).run(lambda c: c.segments.with_raw_response.list_page(limit=2))
    assert isinstance(raw, batch_rest.RawResponse)
    assert raw.status_code == 200
    assert raw.headers["content-type"] == "application/json"
    assert raw.http_response.request.url.params["limit"] == "2"
    page = raw.parse()
    assert [s.code for s in page.segments] == ["SEG-0000", "SEG-0001"]
    assert raw.parse() is page


def test_raw_response_still_raises_on_error_statuses(kind):
    api = FakeBatch(5, faults=[error(401)])
    with pytest.raises(batch_rest.AuthenticationError):
        Harness(kind, api).run(lambda c: c.segments.with_raw_response.list_page())


def test_raw_response_parse_raises_malformed_as_the_plain_method_would(kind):
    api = FakeBatch(5, faults=[httpx.Response(200, content=b"<html>")])
    raw = Harness(kind, api).run(lambda c: c.segments.with_raw_response.list_page())
    with pytest.raises(batch_rest.MalformedResponseError, match="not JSON"):
        raw.parse()


@pytest.mark.parametrize("follow", [False, True])
def test_redirects_are_never_followed_even_by_a_client_that_would(kind, follow):
    seen = []

    def handler(request):
        seen.append(request)
        return httpx.Response(302, headers={"Location": "https://elsewhere.example/steal"})

    transport = httpx.MockTransport(handler)
    if kind == "sync":
        client = batch_rest.BatchClient(
            KEY, "p", http_client=httpx.Client(transport=transport, follow_redirects=follow)
        )
        call = client.segments.list_page
    else:
        http = httpx.AsyncClient(transport=transport, follow_redirects=follow)
        client = batch_rest.AsyncBatchClient(KEY, "p", http_client=http)
        call = client.segments.list_page
    with pytest.raises(batch_rest.UnexpectedStatusError, match="302"):
        call() if kind == "sync" else asyncio.run(call())
    assert [r.url.host for r in seen] == ["api.batch.com"]


def test_api_error_keeps_request_and_response_with_the_key_scrubbed(kind):
    echo = httpx.Response(
        400,
        json={"error_code": "BAD", "error_message": f"you sent {KEY}"},
        headers={"X-Echo": f"Bearer {KEY}"},
    )
    with pytest.raises(batch_rest.BadRequestError) as caught:
        Harness(kind, FakeBatch(5, faults=[echo])).run(lambda c: c.segments.list_page())
    exc = caught.value
    assert exc.request.headers["authorization"] == "[REDACTED]"
    assert exc.response.status_code == 400
    assert exc.response.request is exc.request
    assert KEY not in exc.response.text
    assert KEY not in exc.response.headers["x-echo"]
    assert exc.response.json()["error_code"] == "BAD"
    assert KEY not in repr(exc.__dict__)


ERRORS = [
    errors.BadRequestError(status_code=400, method="GET", url="https://x/y", headers={"a": "b"}, error_code="E"),
    errors.RateLimitError(status_code=429, method="GET", url="https://x/y", headers={}, retry_after=2.0),
    errors.ServiceUnavailableError(status_code=503, method="POST", url="https://x/y", headers={}),
    errors.MalformedResponseError("bad", status_code=200, method="GET", url="https://x", body_excerpt="<"),
    errors.PaginationError("loop", cursor="c"),
    errors.BatchConnectionError("refused"),
    errors.BatchTimeoutError("slow"),
    errors.ConfigurationError("no key"),
    errors.ClientClosedError("closed"),
]


@pytest.mark.parametrize("error", ERRORS, ids=lambda e: type(e).__name__)
def test_every_error_survives_pickling_with_its_attributes(error):
    error.attempts = 3
    copy = pickle.loads(pickle.dumps(error))
    assert type(copy) is type(error)
    assert str(copy) == str(error)
    assert copy.__dict__ == error.__dict__


def test_an_api_error_from_a_real_call_pickles_with_its_request_and_response(kind):
    with pytest.raises(batch_rest.NotFoundError) as caught:
        Harness(kind, FakeBatch(5, faults=[error(404, message="gone")])).run(lambda c: c.segments.list_page())
    copy = pickle.loads(pickle.dumps(caught.value))
    assert (copy.status_code, copy.error_message, copy.attempts) == (404, "gone", 1)
    assert copy.response.json() == {"error_code": "ERR", "error_message": "gone"}
    assert copy.request.url == caught.value.request.url
    assert KEY.encode() not in pickle.dumps(caught.value)


def test_a_closed_client_raises_a_clear_error(kind):
    api = FakeBatch(5)
    if kind == "sync":
        client = batch_rest.BatchClient(KEY, "p", base_url="http://127.0.0.1:9")
        client.close()
        with pytest.raises(batch_rest.ClientClosedError, match="closed"):
            client.segments.list_page()
        with pytest.raises(batch_rest.ClientClosedError):
            list(client.segments.list())
    else:

        async def main():
            async with batch_rest.AsyncBatchClient(KEY, "p", base_url="http://127.0.0.1:9") as client:
                pass
            with pytest.raises(batch_rest.ClientClosedError, match="closed"):
                await client.segments.list_page()

        asyncio.run(main())
    assert api.requests == []


def test_resource_by_operation_name_is_the_typed_resource(kind):
    client = Harness(kind, FakeBatch(5)).client
    assert client.resource("segments_list") is client.segments
    with pytest.raises(ValueError, match="'segments'"):
        client.resource("segments")
