"""Every kind of response the fake server sends validates against the OpenAPI document.

Responses travel over real loopback sockets (httpx, no batch_rest client); each is then validated, with the
request that produced it, against the document as vendored (the pages of openapi/pages/, merged, verbatim) and
as the package was generated from it (`_seam.document()`: the merge with `batch-api.patch.json` applied:
date-time formats, `minimum: 1` on limit). The request's origin is rewritten to the document's server
(https://api.batch.com/{version}): the path, query and headers are the ones actually sent.

This covers the shipped document (segments); tests/operations/checks/check_fake_server_operations.py does the
same for the operations of the fixture pages.
"""

from __future__ import annotations

import copy
import json
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from openapi_core import OpenAPI
from openapi_core.templating.paths.exceptions import OperationNotFound, PathNotFound
from openapi_core.testing import MockRequest, MockResponse
from openapi_core.validation.response.exceptions import DataValidationError, InvalidData
from openapi_schema_validator import OAS31Validator

from batch_rest import _seam
from batch_rest.testing import FakeBatchServer, Fault

pytestmark = pytest.mark.timeout(30)

REPO = Path(__file__).resolve().parents[2]
DOCUMENT_ORIGIN = "https://api.batch.com"


def _documents() -> dict[str, dict[str, Any]]:
    sys.path.insert(0, str(REPO / "tools"))
    import openapi_pages  # the merge of openapi/pages/*.json (standard library only)

    upstream, _ = openapi_pages.upstream_document(REPO / "openapi")
    return {"upstream": upstream, "patched": copy.deepcopy(dict(_seam.document()))}


DOCUMENTS = _documents()


@pytest.fixture(scope="module", params=sorted(DOCUMENTS))
def openapi(request: pytest.FixtureRequest) -> OpenAPI:
    # deepcopy: openapi-core reads the dict lazily, so two OpenAPI objects must not share one.
    return OpenAPI.from_dict(copy.deepcopy(DOCUMENTS[request.param]))


# verify=False on every httpx client here: the requests are plain http to loopback, and it spares loading the
# CA bundle, which costs 30-80 ms per client.


def get(url: str, **kwargs: Any) -> httpx.Response:
    return httpx.get(url, verify=False, **kwargs)


@pytest.fixture(scope="module")
def server() -> Iterator[FakeBatchServer]:
    with FakeBatchServer(segments=250, seed=11) as server:
        yield server


@pytest.fixture
def client(server: FakeBatchServer) -> Iterator[httpx.Client]:
    server.clear_faults()
    headers = {"Authorization": f"Bearer {server.api_key}", "X-Batch-Project": server.project_key}
    with httpx.Client(verify=False, base_url=server.url, headers=headers, timeout=5) as client:
        yield client


def as_openapi(response: httpx.Response) -> tuple[MockRequest, MockResponse]:
    sent = response.request
    request = MockRequest(
        DOCUMENT_ORIGIN, sent.method, sent.url.path,
        args=sent.url.params.multi_items(),  # type: ignore[arg-type]  # a MultiDict takes pairs too
        headers=dict(sent.headers),
    )  # fmt: skip
    content_type = response.headers.get("content-type", "")
    return request, MockResponse(response.content, response.status_code, dict(response.headers), content_type)


def validate(openapi: OpenAPI, response: httpx.Response, *, valid_request: bool = True) -> None:
    request, mock_response = as_openapi(response)
    if valid_request:
        openapi.validate_request(request)  # so that the response is checked against the operation we meant
    openapi.validate_response(request, mock_response)


Scenario = Callable[[FakeBatchServer, httpx.Client], httpx.Response]

SUCCESS: dict[str, Scenario] = {
    "first page, default limit": lambda s, c: c.get("/segments/list"),
    "limit=1": lambda s, c: c.get("/segments/list", params={"limit": 1}),
    "limit=100": lambda s, c: c.get("/segments/list", params={"limit": 100}),
    "middle page": lambda s, c: c.get("/segments/list", params={"limit": 50, "from": s.cursor(100)}),
    "last page": lambda s, c: c.get("/segments/list", params={"limit": 100, "from": s.cursor(200)}),
    "last segment alone": lambda s, c: c.get("/segments/list", params={"from": s.cursor(249)}),
    "unknown parameter": lambda s, c: c.get("/segments/list", params={"sort": "whatever"}),
}


@pytest.mark.parametrize("name", SUCCESS)
def test_success(openapi: OpenAPI, server: FakeBatchServer, client: httpx.Client, name: str) -> None:
    response = SUCCESS[name](server, client)
    assert response.status_code == 200
    validate(openapi, response)


def test_every_page_of_a_listing(openapi: OpenAPI, server: FakeBatchServer, client: httpx.Client) -> None:
    params: dict[str, Any] = {"limit": 7}
    pages = 0
    while True:
        response = client.get("/segments/list", params=params)
        validate(openapi, response)
        pages += 1
        body = response.json()
        if not body["has_more"]:
            break
        params["from"] = body["next_from"]
    assert pages == 36


@pytest.mark.parametrize("segments", [0, 1, 10, 1_000_000])
def test_data_set_sizes(openapi: OpenAPI, segments: int) -> None:
    with (
        FakeBatchServer(segments) as server,
        httpx.Client(verify=False, base_url=server.url, timeout=5) as client,
    ):
        client.headers["Authorization"] = f"Bearer {server.api_key}"
        client.headers["X-Batch-Project"] = server.project_key
        validate(openapi, client.get("/segments/list"))
        if segments:
            validate(openapi, client.get("/segments/list", params={"from": server.cursor(segments - 1)}))


ERRORS: dict[str, tuple[int, Scenario]] = {
    "400 limit=0": (400, lambda s, c: c.get("/segments/list", params={"limit": 0})),
    "400 limit=101": (400, lambda s, c: c.get("/segments/list", params={"limit": 101})),
    "400 limit=abc": (400, lambda s, c: c.get("/segments/list", params={"limit": "abc"})),
    "400 unknown cursor": (400, lambda s, c: c.get("/segments/list", params={"from": "bm9wZQ=="})),
    "401 wrong key": (401, lambda s, c: c.get("/segments/list", headers={"Authorization": "Bearer nope"})),
    "401 no credentials": (401, lambda s, c: get(s.url + "/segments/list")),
}


@pytest.mark.parametrize("name", ERRORS)
def test_errors(openapi: OpenAPI, server: FakeBatchServer, client: httpx.Client, name: str) -> None:
    status, scenario = ERRORS[name]
    response = scenario(server, client)
    assert response.status_code == status
    # These requests break the document on purpose (bad limit, no security...): only the answer is checked.
    validate(openapi, response, valid_request=False)


FAULTS = {
    "429 without Retry-After": (Fault.rate_limit(), 429),
    "429 Retry-After seconds": (Fault.rate_limit(30), 429),
    "429 Retry-After date": (Fault.rate_limit("Wed, 21 Oct 2037 07:28:00 GMT"), 429),
    "500": (Fault.server_error(), 500),
    "503": (Fault.service_unavailable(), 503),
    "500 by Fault.error": (Fault.error(500), 500),
    "slow": (Fault.slow(0.05), 200),
}


@pytest.mark.parametrize("name", FAULTS)
def test_faults(openapi: OpenAPI, server: FakeBatchServer, client: httpx.Client, name: str) -> None:
    fault, status = FAULTS[name]
    server.inject(fault)
    response = client.get("/segments/list", params={"limit": 3})
    assert response.status_code == status
    validate(openapi, response)


def test_the_rate_limit_answer(openapi: OpenAPI) -> None:
    with (
        FakeBatchServer(segments=3, rate_limit=0.5) as server,
        httpx.Client(verify=False, base_url=server.url, timeout=5) as client,
    ):
        client.headers.update({"Authorization": f"Bearer {server.api_key}", "X-Batch-Project": server.project_key})
        assert client.get("/segments/list").status_code == 200
        refused = client.get("/segments/list")
        assert refused.status_code == 429
        validate(openapi, refused)


@pytest.mark.parametrize("case", [
    ("GET", "/nowhere", 404, PathNotFound),
    ("GET", "/segments", 404, PathNotFound),
    ("POST", "/segments/list", 405, OperationNotFound),
    ("DELETE", "/segments/list", 405, OperationNotFound),
], ids=str)  # fmt: skip
def test_undocumented_routes_answer_with_the_documents_error_schema(
    openapi: OpenAPI, client: httpx.Client, case: tuple[str, str, int, type[Exception]]
) -> None:
    method, target, status, outside = case
    response = client.request(method, target)
    assert response.status_code == status
    assert response.headers["content-type"] == "application/json"
    # The document says nothing about these routes, so openapi-core cannot validate the response itself...
    request, mock_response = as_openapi(response)
    with pytest.raises(outside):
        openapi.validate_response(request, mock_response)
    # ...but the body still follows the document's Error schema, like every other error.
    error_schema = DOCUMENTS["upstream"]["components"]["schemas"]["Error"]
    OAS31Validator(error_schema).validate(response.json())


# -- the validation is not vacuous: what a broken server would send fails it ---------------------------------


BROKEN = {
    "has_more not a boolean": (200, b'{"segments": [], "has_more": "no"}'),
    "segments not a list": (200, b'{"segments": {}, "has_more": false}'),
    "code not a string": (200, b'{"segments": [{"code": 7}], "has_more": false}'),
    "count not an integer": (200, b'{"segments": [], "count": "3", "has_more": false}'),
    "next_from not a string": (200, b'{"segments": [], "has_more": true, "next_from": 5}'),
    "error without error_message": (500, b'{"error_code": "SERVER_ERROR"}'),
    "error_code not a string": (429, b'{"error_code": 429, "error_message": "slow down"}'),
}


@pytest.mark.parametrize("name", BROKEN)
def test_nonconforming_responses_fail_validation(
    openapi: OpenAPI, server: FakeBatchServer, client: httpx.Client, name: str
) -> None:
    status, body = BROKEN[name]
    server.inject(Fault.raw(status, {"Content-Type": "application/json"}, body))
    response = client.get("/segments/list")
    assert response.status_code == status
    with pytest.raises(InvalidData):
        validate(openapi, response)


def test_the_patched_document_checks_timestamps(server: FakeBatchServer, client: httpx.Client) -> None:
    strict = OpenAPI.from_dict(copy.deepcopy(DOCUMENTS["patched"]))
    segment = {**server.segment(0), "created_at": "yesterday"}
    server.inject(Fault.raw(200, {"Content-Type": "application/json"},
                            json.dumps({"segments": [segment], "has_more": False}).encode()))  # fmt: skip
    response = client.get("/segments/list")
    with pytest.raises(InvalidData, match="date-time"):
        validate(strict, response)


def test_a_wrong_content_type_fails_validation(openapi: OpenAPI, server: FakeBatchServer,
                                               client: httpx.Client) -> None:  # fmt: skip
    server.inject(Fault.raw(200, {"Content-Type": "text/plain"}, b'{"segments": [], "has_more": false}'))
    with pytest.raises(DataValidationError, match="mimetype not found: text/plain"):
        validate(openapi, client.get("/segments/list"))
