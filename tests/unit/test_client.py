"""BatchClient and AsyncBatchClient over httpx's MockTransport: pagination, retries and error translation.

Every test runs against both clients (the `kind` fixture), since they share one plan and differ only in I/O.
"""

import asyncio
import logging
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

import httpx
import pytest

import batch_rest
from batch_rest import errors
from batch_rest._seam import DEFAULT_API_VERSION

KEY = "sk-unit-canary-7f3a9c"


class FakeBatch:
    """A scripted Batch API: `total` segments in pages, cursors like Batch's, and queued faults."""

    def __init__(self, total=250, *, faults=()):
        self.codes = [f"SEG-{i:04d}" for i in range(total)]
        self.faults = list(faults)  # each: httpx.Response, an exception instance, or a callable(request)
        self.requests: list[httpx.Request] = []

    @staticmethod
    def cursor(index):
        return f"c{index}+/="  # `+`, `/` and `=` must survive the round trip

    def __call__(self, request):
        self.requests.append(request)
        if self.faults:
            fault = self.faults.pop(0)
            if isinstance(fault, Exception):
                raise fault
            if fault is not None:
                return fault(request) if callable(fault) else fault
        start = 0
        if "from" in request.url.params:
            start = int(request.url.params["from"][1:-3])
        limit = int(request.url.params.get("limit", 10))
        chunk = self.codes[start : start + limit]
        more = start + limit < len(self.codes)
        body = {
            "segments": [
                {
                    "code": c,
                    "display_name": c.lower(),
                    "created_at": "2026-01-01T00:00:00Z",
                    "updated_at": "2026-01-02T00:00:00Z",
                }
                for c in chunk
            ],
            "has_more": more,
        }
        body["next_from"] = self.cursor(start + limit) if more else "end-of-list"  # Batch sends it on every page
        if start == 0:
            body["count"] = len(self.codes)
        return httpx.Response(200, json=body)


def error(status, code="ERR", message="went wrong", headers=None):
    return httpx.Response(status, json={"error_code": code, "error_message": message}, headers=headers)


class Harness:
    """Drives either client the same way, recording sleeps instead of sleeping."""

    def __init__(self, kind, api, **kwargs):
        self.kind, self.api, self.sleeps = kind, api, []
        transport = httpx.MockTransport(api)
        if kind == "sync":
            self.client = batch_rest.BatchClient(KEY, "proj", http_client=httpx.Client(transport=transport), **kwargs)
            self.client._sleep = self.sleeps.append
        else:
            http = httpx.AsyncClient(transport=transport)
            self.client = batch_rest.AsyncBatchClient(KEY, "proj", http_client=http, **kwargs)

            async def record(seconds):
                self.sleeps.append(seconds)

            self.client._sleep = record
        self.client._random = lambda: 0.0

    def run(self, make):
        """Run `make(client)`; for the async client, awaits it, or drains it if it is an async iterator."""
        if self.kind == "sync":
            result = make(self.client)
            return list(result) if hasattr(result, "__iter__") and not isinstance(result, batch_rest.Page) else result

        async def main():
            result = make(self.client)
            if hasattr(result, "__aiter__"):
                return [item async for item in result]
            return await result

        return asyncio.run(main())

    def codes(self, **list_kwargs):
        return [s.code for s in self.run(lambda c: c.segments.list(**list_kwargs))]


def test_lists_every_segment_once_in_order(kind):
    api = FakeBatch(250)
    assert Harness(kind, api).codes() == api.codes
    assert [r.url.params.get("limit") for r in api.requests] == ["100", "100", "100"]
    assert "from" not in api.requests[0].url.params


def test_cursors_are_percent_encoded_and_passed_back_verbatim(kind):
    api = FakeBatch(150)
    Harness(kind, api).codes()
    assert api.requests[1].url.params["from"] == "c100+/="
    assert b"from=c100%2B%2F%3D" in api.requests[1].url.query


def test_auth_and_project_headers_are_sent(kind):
    api = FakeBatch(5)
    Harness(kind, api).codes()
    headers = api.requests[0].headers
    assert headers["authorization"] == f"Bearer {KEY}"
    assert headers["x-batch-project"] == "proj"
    assert headers["user-agent"].startswith("batch-rest-client/")
    assert api.requests[0].url.host == "api.batch.com"
    assert api.requests[0].url.path == f"/{DEFAULT_API_VERSION}/segments/list"


def test_every_request_carries_the_timeout(kind):
    api = FakeBatch(5)
    Harness(kind, api, timeout=4.5).codes()
    assert api.requests[0].extensions["timeout"] == {"connect": 4.5, "read": 4.5, "write": 4.5, "pool": 4.5}


def test_page_size_is_passed_as_limit(kind):
    api = FakeBatch(25)
    assert Harness(kind, api).codes(page_size=10) == api.codes
    assert len(api.requests) == 3


def test_stops_on_has_more_false_whatever_next_from_says(kind):
    last = httpx.Response(200, json={"segments": [{"code": "Z"}], "has_more": False, "next_from": "more?"})
    api = FakeBatch(0, faults=[last])
    assert Harness(kind, api).codes() == ["Z"]
    assert len(api.requests) == 1


def test_pages_iterates_page_by_page(kind):
    api = FakeBatch(25)
    pages = Harness(kind, api).run(lambda c: c.segments.list(page_size=10).pages())
    assert [len(p.segments) for p in pages] == [10, 10, 5]
    assert [p.has_more for p in pages] == [True, True, False]
    assert pages[0].count == 25
    assert pages[1].count is None


def test_list_page_sends_exactly_one_request(kind):
    api = FakeBatch(50)
    page = Harness(kind, api).run(lambda c: c.segments.list_page(limit=20, cursor=FakeBatch.cursor(10)))
    assert [s.code for s in page.segments] == api.codes[10:30]
    assert page.next_cursor == FakeBatch.cursor(30)
    assert len(api.requests) == 1


def test_list_page_without_limit_lets_the_server_choose(kind):
    api = FakeBatch(50)
    page = Harness(kind, api).run(lambda c: c.segments.list_page())
    assert len(page.segments) == 10
    assert "limit" not in api.requests[0].url.params


def test_start_cursor_resumes_a_listing(kind):
    api = FakeBatch(250)
    assert Harness(kind, api).codes(start_cursor=FakeBatch.cursor(200)) == api.codes[200:]


@pytest.mark.pinned_spec  # where next_from is required, its absence is a MalformedResponseError instead
def test_has_more_without_next_from_raises_pagination_error(kind):
    bad = httpx.Response(200, json={"segments": [{"code": "A"}], "has_more": True})
    with pytest.raises(errors.PaginationError, match="no next_from"):
        Harness(kind, FakeBatch(0, faults=[bad])).codes()


def test_a_repeated_cursor_raises_instead_of_looping(kind):
    # What Prism's static mocks do: has_more true and the same next_from, forever.
    same = httpx.Response(200, json={"segments": [{"code": "A"}], "has_more": True, "next_from": "string"})
    api = FakeBatch(0, faults=[same] * 10)
    with pytest.raises(errors.PaginationError, match="already used"):
        Harness(kind, api).codes()
    assert len(api.requests) == 2


@pytest.mark.parametrize("status", [408, 429, 500, 501, 502, 503, 504, 520, 522, 524, 599])
def test_retryable_statuses_are_retried_invisibly(kind, status):
    api = FakeBatch(250, faults=[None, error(status), error(status)])  # page 2 fails twice
    harness = Harness(kind, api)
    assert harness.codes() == api.codes
    assert len(api.requests) == 5
    assert harness.sleeps == [0.5, 1.0]


@pytest.mark.parametrize(
    "exc",
    [
        httpx.ConnectError("refused"),
        httpx.ReadTimeout("slow"),
        httpx.RemoteProtocolError("closed mid-body"),
        httpx.ReadError("reset"),
    ],
)
def test_connection_failures_are_retried(kind, exc):
    api = FakeBatch(150, faults=[exc])
    assert Harness(kind, api).codes() == api.codes
    assert len(api.requests) == 3


@pytest.mark.parametrize(
    ("status", "expected"),
    [
        (400, errors.BadRequestError),
        (401, errors.AuthenticationError),
        (403, errors.PermissionDeniedError),
        (404, errors.NotFoundError),
        (409, errors.UnexpectedStatusError),
        (422, errors.UnexpectedStatusError),
        (302, errors.UnexpectedStatusError),
    ],
)
def test_other_errors_are_raised_at_once(kind, status, expected):
    api = FakeBatch(10, faults=[error(status, "CODE", "message")])
    with pytest.raises(expected) as caught:
        Harness(kind, api).codes()
    assert type(caught.value) is expected
    assert (caught.value.status_code, caught.value.error_code, caught.value.error_message) == (
        status,
        "CODE",
        "message",
    )
    assert len(api.requests) == 1


def test_retry_after_seconds_are_honoured(kind):
    api = FakeBatch(10, faults=[error(429, headers={"Retry-After": "7"})])
    harness = Harness(kind, api)
    assert harness.codes() == api.codes
    assert harness.sleeps == [7.0]


def test_retry_after_http_date_is_honoured(kind):
    when = format_datetime(datetime.now(UTC) + timedelta(seconds=30), usegmt=True)
    harness = Harness(kind, FakeBatch(10, faults=[error(503, headers={"Retry-After": when})]))
    harness.codes()
    assert 28 <= harness.sleeps[0] <= 30


def test_a_retry_after_beyond_the_cap_raises_at_once_with_retry_after(kind):
    api = FakeBatch(10, faults=[error(429, "RATE", headers={"Retry-After": "3600"})])
    harness = Harness(kind, api)
    with pytest.raises(errors.RateLimitError) as caught:
        harness.codes()
    assert caught.value.retry_after == 3600.0
    assert harness.sleeps == []
    assert len(api.requests) == 1


def test_gives_up_after_max_retries_with_the_last_error(kind):
    api = FakeBatch(10, faults=[error(503)] * 10)
    harness = Harness(kind, api, max_retries=2)
    with pytest.raises(errors.ServiceUnavailableError):
        harness.codes()
    assert len(api.requests) == 3
    assert len(harness.sleeps) == 2


def test_no_retries_when_max_retries_is_zero(kind):
    api = FakeBatch(10, faults=[httpx.ConnectError("refused")])
    with pytest.raises(errors.BatchConnectionError) as caught:
        Harness(kind, api, max_retries=0).codes()
    assert isinstance(caught.value.__cause__, httpx.ConnectError)
    assert len(api.requests) == 1


def test_timeouts_become_batch_timeout_errors(kind):
    with pytest.raises(errors.BatchTimeoutError):
        Harness(kind, FakeBatch(10, faults=[httpx.ReadTimeout("slow")] * 4)).codes()


@pytest.mark.parametrize(
    "body",
    [b"<html>oops</html>", b'{"segments": 5, "has_more": false}', b'{"segments": [], "has_more": "no"}', b""],
)
def test_a_malformed_success_body_is_not_retried(kind, body):
    api = FakeBatch(10, faults=[httpx.Response(200, content=body)])
    with pytest.raises(errors.MalformedResponseError) as caught:
        Harness(kind, api).codes()
    assert caught.value.status_code == 200
    assert len(api.requests) == 1


def test_an_undecodable_body_is_malformed_and_not_retried(kind):
    gzip_lie = httpx.Response(200, stream=httpx.ByteStream(b'{"segments": []}'), headers={"Content-Encoding": "gzip"})
    api = FakeBatch(10, faults=[gzip_lie] * 4)
    with pytest.raises(errors.MalformedResponseError, match="could not be decoded"):
        Harness(kind, api).codes()
    assert len(api.requests) == 1


def test_pager_cursor_resumes_after_an_error_with_nothing_lost_or_repeated(kind):
    api = FakeBatch(250, faults=[None, None, error(400, "INVALID_CURSOR")])
    harness = Harness(kind, api)
    seen = []

    def first_attempt(client):
        pager = client.segments.list()
        harness.pager = pager
        return pager

    if kind == "sync":
        with pytest.raises(errors.BadRequestError):
            for segment in first_attempt(harness.client):
                seen.append(segment.code)
        assert harness.pager.cursor == FakeBatch.cursor(200)
        seen.extend(s.code for s in harness.pager)  # the same pager goes on where it stopped
    else:

        async def main():
            pager = first_attempt(harness.client)
            with pytest.raises(errors.BadRequestError):
                async for segment in pager:
                    seen.append(segment.code)
            assert pager.cursor == FakeBatch.cursor(200)
            resumed = harness.client.segments.list(start_cursor=pager.cursor)
            seen.extend([s.code async for s in resumed])

        asyncio.run(main())
    assert seen == api.codes
    if kind == "sync":
        assert harness.pager.exhausted
        assert harness.pager.cursor is None


@pytest.mark.parametrize(
    ("call", "error", "name"),
    [
        (lambda c: c.segments.list(page_size=0), ValueError, "page_size"),
        (lambda c: c.segments.list(page_size=101), ValueError, "page_size"),
        (lambda c: c.segments.list(page_size="10"), TypeError, "page_size"),
        (lambda c: c.segments.list(start_cursor=""), ValueError, "start_cursor"),
        (lambda c: c.segments.list(start_cursor=3), TypeError, "start_cursor"),
        (lambda c: c.segments.list(colour="red"), TypeError, "colour"),
        (lambda c: c.segments.list_page(limit=0), ValueError, "limit"),
        (lambda c: c.segments.list_page(cursor=b"x"), TypeError, "cursor"),
        (lambda c: c.segments.list_page(x_batch_project="other"), TypeError, "x_batch_project"),
        (lambda c: c.resource("nope_list"), ValueError, "nope_list"),
    ],
)
def test_bad_arguments_raise_before_any_request(kind, call, error, name):
    api = FakeBatch(10)
    harness = Harness(kind, api)
    with pytest.raises(error, match=name):
        harness.run(call)
    assert api.requests == []


def test_each_attempt_is_logged_without_the_key(kind, caplog):
    api = FakeBatch(150, faults=[None, error(503, message=f"echo {KEY}")])
    with caplog.at_level(logging.DEBUG, logger="batch_rest"):
        Harness(kind, api).codes()
    attempts = [r for r in caplog.records if hasattr(r, "attempt")]
    assert [(r.method, r.status, r.attempt) for r in attempts] == [("GET", 200, 1), ("GET", 503, 1), ("GET", 200, 2)]
    assert attempts[0].path == f"/{DEFAULT_API_VERSION}/segments/list?limit=100"
    assert all(r.elapsed_ms >= 0 for r in attempts)
    assert any("retrying" in r.getMessage() for r in caplog.records)
    assert all(KEY not in r.getMessage() for r in caplog.records)


def test_resource_by_operation_name_is_the_same_as_the_attribute(kind):
    harness = Harness(kind, FakeBatch(10))
    assert harness.client.resource("segments_list") is harness.client.segments


def test_caller_http_client_defaults_are_kept_and_it_is_not_closed():
    api = FakeBatch(5)
    http = httpx.Client(transport=httpx.MockTransport(api), headers={"X-Trace": "t1"})
    with batch_rest.BatchClient(KEY, "proj", http_client=http) as client:
        list(client.segments.list())
    assert api.requests[0].headers["x-trace"] == "t1"
    assert not http.is_closed


def test_own_http_client_is_closed_on_exit():
    with batch_rest.BatchClient(KEY, "proj") as client:
        pass
    assert client._http.is_closed

    async def main():
        async with batch_rest.AsyncBatchClient(KEY, "proj") as aclient:
            pass
        return aclient

    assert asyncio.run(main())._http.is_closed


def test_json_bodies_of_errors_in_messages(kind):
    api = FakeBatch(10, faults=[httpx.Response(502, content=b"<html>Bad Gateway</html>")] * 4)
    with pytest.raises(errors.ServerError) as caught:
        Harness(kind, api, max_retries=0).codes()
    assert caught.value.body_excerpt == "<html>Bad Gateway</html>"
    assert "Bad Gateway" in str(caught.value)
