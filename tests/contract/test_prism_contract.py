"""The real BatchClient and AsyncBatchClient against Stoplight Prism serving the vendored API description.

Every response the client receives is recorded through an httpx event hook on the caller's http_client, and every
request must pass Prism's validation against the document: no `sl-violations` response header. The negative
controls show that the check does catch a request the document does not allow.

Prism answers in two ways:
- static (the default): the document's examples, or ones Prism builds from the schemas. The success body is always
  `{"segments": [{"code": "string", ..., "created_at": <...>}], "count": 0, "has_more": true, "next_from": "string"}`
  where created_at is "string" with the upstream document (no `format` there) and "2019-08-24T14:15:22Z" with our
  patch (format: date-time). Error bodies are `{"error_message": "string", "error_code": "string"}`.
- dynamic (`Prefer: dynamic=true`): random data that fits the schemas (json-schema-faker).
`Prefer: code=<status>` picks the documented response to send. Prism ignores it for an invalid request, which gets
a 400 (or 401 without credentials) with the violations.
"""

from __future__ import annotations

import asyncio
import json
import random
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

import httpx
import pytest

import batch_rest
from batch_rest import (
    AsyncBatchClient,
    AuthenticationError,
    BadRequestError,
    BatchClient,
    BatchError,
    MalformedResponseError,
    NotFoundError,
    Page,
    PaginationError,
    RateLimitError,
    ServerError,
    ServiceUnavailableError,
)

if TYPE_CHECKING:
    from conftest import Prism

pytestmark = pytest.mark.timeout(60)

API_KEY = "contract-test-key"
PROJECT_KEY = "contract-test-project"
CREDENTIALS = {"Authorization": f"Bearer {API_KEY}", "X-Batch-Project": PROJECT_KEY}
STATIC_TIMESTAMP = datetime(2019, 8, 24, 14, 15, 22, tzinfo=UTC)  # Prism's sample for format: date-time

# The statuses the document describes for GET /segments/list, and what the client raises for each.
DOCUMENTED_ERRORS = [
    pytest.param(400, BadRequestError, id="400"),
    pytest.param(401, AuthenticationError, id="401"),
    pytest.param(429, RateLimitError, id="429"),
    pytest.param(500, ServerError, id="500"),
    pytest.param(503, ServiceUnavailableError, id="503"),
]

# list_page arguments. Batch's cursors are base64: `+`, `/` and `=` must reach the server verbatim.
PAGE_ARGUMENTS = [
    pytest.param({}, id="no-limit-no-cursor"),
    pytest.param({"limit": 1}, id="limit=1"),
    pytest.param({"limit": 100}, id="limit=100"),
    pytest.param({"cursor": "c2VnbWVudHM+Pz8/"}, id="cursor-base64"),
    pytest.param({"limit": 10, "cursor": "a+b/c=="}, id="limit-and-cursor"),
    pytest.param({"limit": 50, "cursor": "=+/ &#?%2B~é"}, id="cursor-hostile"),
]


class Exchanges:
    """Every response the client received from Prism, in order, with its request (`response.request`)."""

    def __init__(self) -> None:
        self.responses: list[httpx.Response] = []

    def record(self, response: httpx.Response) -> None:
        self.responses.append(response)

    async def arecord(self, response: httpx.Response) -> None:
        self.responses.append(response)

    @property
    def requests(self) -> list[httpx.Request]:
        return [response.request for response in self.responses]

    def violations(self) -> list[str]:
        return [
            f"{r.request.method} {r.request.url} -> {r.status_code}, sl-violations: {r.headers['sl-violations']}"
            for r in self.responses
            if "sl-violations" in r.headers
        ]

    def assert_valid(self, requests: int | None = None) -> None:
        """Every request passed Prism's validation (and there were `requests` of them)."""
        assert self.responses, "no request reached Prism"
        violations = self.violations()
        assert not violations, "Prism says requests broke the API description:\n" + "\n".join(violations)
        if requests is not None:
            sent = [f"{r.method} {r.url}" for r in self.requests]
            assert len(sent) == requests, f"expected {requests} request(s), the client sent {len(sent)}: {sent}"


@contextmanager
def sync_client(
    prism: Prism, exchanges: Exchanges, *, prefer: str | None = None, max_retries: int = 0, base_url: str = ""
) -> Iterator[BatchClient]:
    headers = {"Prefer": prefer} if prefer else {}
    hooks = {"response": [exchanges.record]}
    with (
        httpx.Client(headers=headers, event_hooks=hooks, trust_env=False) as http,
        BatchClient(
            API_KEY, PROJECT_KEY, base_url=base_url or prism.url, max_retries=max_retries, timeout=10, http_client=http
        ) as client,
    ):
        yield client


@asynccontextmanager
async def async_client(
    prism: Prism, exchanges: Exchanges, *, prefer: str | None = None, max_retries: int = 0
) -> AsyncIterator[AsyncBatchClient]:
    headers = {"Prefer": prefer} if prefer else {}
    hooks = {"response": [exchanges.arecord]}
    async with (
        httpx.AsyncClient(headers=headers, event_hooks=hooks, trust_env=False) as http,
        AsyncBatchClient(
            API_KEY, PROJECT_KEY, base_url=prism.url, max_retries=max_retries, timeout=10, http_client=http
        ) as client,
    ):
        yield client


def raw_get(prism: Prism, headers: dict[str, str], **params: str) -> httpx.Response:
    return httpx.get(f"{prism.url}/segments/list", headers=headers, params=params, timeout=10, trust_env=False)


def check_request(request: httpx.Request, arguments: dict[str, Any]) -> None:
    """The request list_page(**arguments) should send: the path, the credentials and the query, verbatim."""
    assert request.method == "GET"
    assert request.url.path == "/segments/list"
    assert request.headers["X-Batch-Project"] == PROJECT_KEY
    assert request.headers["Authorization"] == f"Bearer {API_KEY}"
    expected = {"limit": str(arguments["limit"])} if "limit" in arguments else {}
    if "cursor" in arguments:
        expected["from"] = arguments["cursor"]
    assert dict(request.url.params) == expected


def check_static_outcome(prism: Prism, outcome: Page[Any] | BatchError) -> None:
    """Prism's static success body: a page with the patch; with the upstream document, a body the client refuses."""
    if prism.document == "upstream":
        # "created_at": "string" is what Prism makes of a string without a format: not RFC 3339, so the client,
        # generated from the patched document, reports the body rather than return an unparsed timestamp.
        assert isinstance(outcome, MalformedResponseError), outcome
        assert outcome.status_code == 200
        assert '"created_at":"string"' in outcome.body_excerpt
        return
    assert isinstance(outcome, Page), outcome
    assert outcome.has_more is True
    assert outcome.next_cursor == "string"
    assert outcome.count == 0
    (segment,) = outcome.items
    assert outcome.segments == [segment]
    assert isinstance(segment, batch_rest.Segment)
    assert (segment.code, segment.display_name) == ("string", "string")
    assert segment.created_at == segment.updated_at == STATIC_TIMESTAMP


# --- requests the client sends pass validation -----------------------------------------------------------------------


@pytest.mark.parametrize("arguments", PAGE_ARGUMENTS)
def test_list_page_sends_valid_requests(prism: Prism, arguments: dict[str, Any]) -> None:
    exchanges = Exchanges()
    with sync_client(prism, exchanges) as client:
        try:
            outcome: Page[Any] | BatchError = client.segments.list_page(**arguments)
        except BatchError as exc:
            outcome = exc
    exchanges.assert_valid(requests=1)
    check_request(exchanges.requests[0], arguments)
    assert exchanges.responses[0].status_code == 200
    check_static_outcome(prism, outcome)


@pytest.mark.parametrize("arguments", PAGE_ARGUMENTS)
def test_async_list_page_sends_valid_requests(prism: Prism, arguments: dict[str, Any]) -> None:
    async def main() -> Page[Any] | BatchError:
        async with async_client(prism, exchanges) as client:
            try:
                return await client.segments.list_page(**arguments)
            except BatchError as exc:
                return exc

    exchanges = Exchanges()
    outcome = asyncio.run(main())
    exchanges.assert_valid(requests=1)
    check_request(exchanges.requests[0], arguments)
    check_static_outcome(prism, outcome)


def test_listing_stops_with_pagination_error_after_the_second_page(patched_prism: Prism) -> None:
    """Prism's static body always says has_more with the same next_from: the client must not loop."""
    exchanges = Exchanges()
    seen = []
    with sync_client(patched_prism, exchanges) as client:
        pager = client.segments.list(page_size=25)
        with pytest.raises(PaginationError) as caught:
            for segment in pager:
                seen.append(segment)
                assert len(seen) < 10, "the client keeps asking for the same page"
    exchanges.assert_valid(requests=2)
    assert [dict(r.url.params) for r in exchanges.requests] == [{"limit": "25"}, {"limit": "25", "from": "string"}]
    assert [s.code for s in seen] == ["string", "string"]  # both pages were handed out before the error
    assert caught.value.cursor == "string"
    assert pager.cursor == "string"
    assert not pager.exhausted


def test_async_listing_stops_with_pagination_error_after_the_second_page(patched_prism: Prism) -> None:
    async def main() -> None:
        async with async_client(patched_prism, exchanges) as client:
            pager = client.segments.list()
            with pytest.raises(PaginationError):
                async for segment in pager:
                    seen.append(segment)
                    assert len(seen) < 10, "the client keeps asking for the same page"
            assert pager.cursor == "string"

    exchanges, seen = Exchanges(), []
    asyncio.run(main())
    exchanges.assert_valid(requests=2)
    assert [dict(r.url.params) for r in exchanges.requests] == [{"limit": "100"}, {"limit": "100", "from": "string"}]
    assert len(seen) == 2


def test_listing_against_the_upstream_document_stops_at_the_first_body(upstream_prism: Prism) -> None:
    exchanges = Exchanges()
    with sync_client(upstream_prism, exchanges) as client, pytest.raises(MalformedResponseError):
        list(client.segments.list())
    exchanges.assert_valid(requests=1)


# --- the documented error statuses -----------------------------------------------------------------------------------


@pytest.mark.parametrize(("status", "error"), DOCUMENTED_ERRORS)
def test_documented_error_status(prism: Prism, status: int, error: type[BatchError]) -> None:
    exchanges = Exchanges()
    with sync_client(prism, exchanges, prefer=f"code={status}") as client, pytest.raises(error) as caught:
        client.segments.list_page(limit=5)
    exchanges.assert_valid(requests=1)
    assert type(caught.value) is error
    exc = caught.value
    assert isinstance(exc, batch_rest.APIError)
    assert exc.status_code == status
    assert (exc.error_code, exc.error_message) == ("string", "string")  # Prism's sample of the Error schema
    assert exc.body_excerpt is None
    assert exc.url == str(exchanges.requests[0].url)


@pytest.mark.parametrize(("status", "error"), DOCUMENTED_ERRORS)
def test_async_documented_error_status(prism: Prism, status: int, error: type[BatchError]) -> None:
    async def main() -> None:
        async with async_client(prism, exchanges, prefer=f"code={status}") as client:
            with pytest.raises(error) as caught:
                await client.segments.list_page(cursor="a+b/c==")
            assert type(caught.value) is error
            assert isinstance(caught.value, batch_rest.APIError)
            assert (caught.value.status_code, caught.value.error_code) == (status, "string")

    exchanges = Exchanges()
    asyncio.run(main())
    exchanges.assert_valid(requests=1)


@pytest.mark.parametrize(("status", "error"), [p for p in DOCUMENTED_ERRORS if p.values[0] in {429, 500, 503}])
def test_retryable_statuses_are_retried_with_valid_requests(
    patched_prism: Prism, status: int, error: type[BatchError]
) -> None:
    exchanges, delays = Exchanges(), []
    with sync_client(patched_prism, exchanges, prefer=f"code={status}", max_retries=2) as client:
        client._sleep = delays.append  # no real waiting; the delays are the retry module's business
        with pytest.raises(error):
            client.segments.list_page(limit=3, cursor="x/y+z=")
    exchanges.assert_valid(requests=3)
    assert len({str(r.url) for r in exchanges.requests}) == 1
    assert len(delays) == 2


@pytest.mark.parametrize("status", [400, 401])
def test_client_errors_are_not_retried(patched_prism: Prism, status: int) -> None:
    exchanges = Exchanges()
    with (
        sync_client(patched_prism, exchanges, prefer=f"code={status}", max_retries=3) as client,
        pytest.raises(batch_rest.APIError),
    ):
        client.segments.list_page()
    exchanges.assert_valid(requests=1)


# --- negative controls: the check can fail ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("headers", "params", "complaint"),
    [
        pytest.param({"Authorization": CREDENTIALS["Authorization"]}, {}, "x-batch-project", id="no-project-header"),
        pytest.param({"X-Batch-Project": PROJECT_KEY}, {}, "security", id="no-authorization"),
        pytest.param(CREDENTIALS, {"limit": "abc"}, "limit", id="limit=abc"),
        pytest.param(CREDENTIALS, {"limit": "101"}, "limit", id="limit=101"),
    ],
)
def test_prism_flags_invalid_requests(
    prism: Prism, headers: dict[str, str], params: dict[str, str], complaint: str
) -> None:
    response = raw_get(prism, headers, **params)
    assert response.status_code in {400, 401, 422}
    violations = json.loads(response.headers["sl-violations"])
    assert any(complaint in v["message"].lower() for v in violations), violations
    exchanges = Exchanges()
    exchanges.record(response)
    with pytest.raises(AssertionError, match="broke the API description"):
        exchanges.assert_valid()


def test_limit_zero_is_flagged_only_with_the_patch(prism: Prism) -> None:
    """The patch adds `minimum: 1` to limit; the client refuses 0 itself, before any request."""
    response = raw_get(prism, CREDENTIALS, limit="0")
    if prism.document == "patched":
        assert "minimum" in response.headers["sl-violations"]
    else:
        assert "sl-violations" not in response.headers
        assert response.status_code == 200
    with BatchClient(API_KEY, PROJECT_KEY, base_url=prism.url) as client, pytest.raises(ValueError, match="limit"):
        client.segments.list_page(limit=0)


def test_the_check_sees_through_the_client(patched_prism: Prism) -> None:
    """A request hook removes the project header after the client built the request: Prism and the check notice."""

    def drop_project_header(request: httpx.Request) -> None:
        del request.headers["X-Batch-Project"]

    exchanges = Exchanges()
    hooks = {"request": [drop_project_header], "response": [exchanges.record]}
    with (
        httpx.Client(event_hooks=hooks, trust_env=False) as http,
        BatchClient(API_KEY, PROJECT_KEY, base_url=patched_prism.url, max_retries=0, http_client=http) as client,
        pytest.raises(BadRequestError),
    ):
        client.segments.list_page()
    assert "x-batch-project" in exchanges.violations()[0]
    with pytest.raises(AssertionError, match="broke the API description"):
        exchanges.assert_valid()


# --- base URL --------------------------------------------------------------------------------------------------------


def test_prism_serves_the_paths_at_the_root(upstream_prism: Prism) -> None:
    """So the client's base_url is the bare Prism URL: with the version prefix, Prism has no such path."""
    exchanges = Exchanges()
    with (
        sync_client(upstream_prism, exchanges, base_url=f"{upstream_prism.url}/2.11") as client,
        pytest.raises(NotFoundError) as caught,
    ):
        client.segments.list_page()
    assert exchanges.requests[0].url.path == "/2.11/segments/list"
    assert "NO_PATH_MATCHED" in (caught.value.body_excerpt or "")


def test_the_default_base_url_is_a_server_of_the_document(
    upstream_prism: Prism, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Prism matches `?__server=` against the document's servers (https://api.batch.com/{version})."""
    for variable in ("BATCH_BASE_URL", "BATCH_API_VERSION"):
        monkeypatch.delenv(variable, raising=False)
    with BatchClient(API_KEY, PROJECT_KEY) as client:
        default = client.base_url
    assert default == f"https://api.batch.com/{client.api_version}"
    response = raw_get(upstream_prism, CREDENTIALS, __server=default)
    assert response.status_code == 200
    assert "sl-violations" not in response.headers
    control = raw_get(upstream_prism, CREDENTIALS, __server="https://example.com/2.11")
    assert control.status_code == 404
    assert "NO_SERVER_MATCHED" in control.text


# --- dynamic responses: random bodies that fit the document ----------------------------------------------------------


DYNAMIC_REQUESTS = 40


def test_dynamic_pages_parse_or_raise_a_batch_error(prism: Prism) -> None:
    """With the patch every random body is a page; with the upstream document, random created_at strings are not
    RFC 3339 and the client raises MalformedResponseError. Never anything but a Page or a BatchError."""
    rng = random.Random(2026)
    exchanges, outcomes = Exchanges(), []
    with sync_client(prism, exchanges, prefer="dynamic=true") as client:
        for _ in range(DYNAMIC_REQUESTS):
            arguments = {"limit": rng.choice([None, 1, 7, 100]), "cursor": rng.choice([None, "a+b/c==", "Zm9v"])}
            try:
                outcome: Page[Any] | BatchError = client.segments.list_page(**arguments)
            except BatchError as exc:
                outcome = exc
            except Exception as exc:
                pytest.fail(f"{type(exc).__name__}: {exc} for the body {exchanges.responses[-1].text!r}")
            outcomes.append((outcome, exchanges.responses[-1].text))
    exchanges.assert_valid(requests=DYNAMIC_REQUESTS)
    for outcome, body in outcomes:
        if prism.document == "patched":
            assert isinstance(outcome, Page), f"{outcome!r} for the body {body!r}"
        elif not isinstance(outcome, Page):
            assert isinstance(outcome, MalformedResponseError), f"{outcome!r} for the body {body!r}"
        if isinstance(outcome, Page):
            check_dynamic_page(outcome, json.loads(body))


def check_dynamic_page(page: Page[Any], body: dict[str, Any]) -> None:
    assert page.has_more is body["has_more"]
    assert page.next_cursor == (body.get("next_from") if body["has_more"] else None)
    assert len(page.items) == len(body.get("segments", []))
    for segment, raw in zip(page.items, body.get("segments", []), strict=True):
        if "code" in raw:
            assert segment.code == raw["code"]
        if "created_at" in raw:
            assert segment.created_at.tzinfo is not None
            assert segment.created_at == datetime.fromisoformat(raw["created_at"])


def test_dynamic_listing_ends(prism: Prism) -> None:
    """Random has_more / next_from: the listing ends, by exhaustion or a BatchError, within a few pages."""
    exchanges, pages, ending = Exchanges(), 0, None
    with sync_client(prism, exchanges, prefer="dynamic=true") as client:
        pager = client.segments.list(page_size=5)
        try:
            for _ in pager.pages():
                pages += 1
                assert pages < 60, "the listing does not end"
        except BatchError as exc:
            ending = exc
    exchanges.assert_valid()
    expected: tuple[type[BatchError], ...] = (PaginationError,)  # has_more without a next_from (not required)
    if prism.document == "upstream":
        expected += (MalformedResponseError,)
    assert ending is None or isinstance(ending, expected), f"{ending!r} after {exchanges.responses[-1].text!r}"
    assert pager.exhausted is (ending is None)


def test_dynamic_pages_concurrently_with_the_async_client(prism: Prism) -> None:
    async def main() -> list[Any]:
        async with async_client(prism, exchanges, prefer="dynamic=true") as client:
            return await asyncio.gather(
                *(client.segments.list_page(limit=n) for n in range(1, 13)), return_exceptions=True
            )

    exchanges = Exchanges()
    outcomes = asyncio.run(main())
    exchanges.assert_valid(requests=12)
    for outcome in outcomes:
        assert isinstance(outcome, Page | BatchError), repr(outcome)
        if prism.document == "patched":
            assert isinstance(outcome, Page), repr(outcome)


@pytest.mark.parametrize(("status", "error"), DOCUMENTED_ERRORS)
def test_dynamic_error_bodies(prism: Prism, status: int, error: type[BatchError]) -> None:
    """Random Error bodies (error_code and error_message are required, extra properties may come along)."""
    exchanges = Exchanges()
    with (
        sync_client(prism, exchanges, prefer=f"code={status}, dynamic=true") as client,
        pytest.raises(error) as caught,
    ):
        client.segments.list_page()
    exchanges.assert_valid(requests=1)
    body = json.loads(exchanges.responses[0].content)
    assert isinstance(caught.value, batch_rest.APIError)
    assert (caught.value.error_code, caught.value.error_message) == (body["error_code"], body["error_message"])
