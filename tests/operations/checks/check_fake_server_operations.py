"""The fake server (batch_rest.testing.FakeBatchServer) serving every operation of the package this runs with.

tests/operations/test_operations.py and test_fake_server_operations.py run this module in a subprocess importing a
package regenerated from the shipped pages plus fixture pages. The tests parametrized over NAMES cover every
operation with no edit here: valid requests are built from the document (its examples), and what comes back is
validated with openapi-core against the document the package was generated from (`_seam.document()`). The tests
marked `@needs(...)` pin what one fixture operation does (its 400 messages, its redirect...).

Everything travels over real loopback sockets: raw httpx for what a client would not send, the typed client
(`batch_rest.BatchClient` / `AsyncBatchClient`) for the rest.
"""

from __future__ import annotations

import asyncio
import copy
import json
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any

import httpx
import pytest
from conftest import KEY, PROJECT, needs
from openapi_core import OpenAPI
from openapi_core.testing import MockRequest, MockResponse

import batch_rest
from batch_rest import _seam
from batch_rest._schema import compile_schema
from batch_rest.testing import FakeBatchServer, Fault
from batch_rest.testing._samples import Samples

pytestmark = pytest.mark.timeout(60)

OPERATIONS = _seam.OPERATIONS
DOCUMENT = _seam.document()
NAMES = sorted(OPERATIONS)
LISTS = [name for name in NAMES if OPERATIONS[name]["paging"]]
SINGLES = [name for name in NAMES if not OPERATIONS[name]["paging"]]
# Lists other than segments get a size each, different from the default, so that list_sizes is seen to work.
SIZES = {name: 7 + number for number, name in enumerate(n for n in LISTS if n != "segments_list")}
SEGMENTS = 12
SAMPLES = Samples(DOCUMENT, seed=99)  # valid parameter and body values: the document's examples, or built
OPENAPI = OpenAPI.from_dict(copy.deepcopy(dict(DOCUMENT)))
ERROR_CHECK = compile_schema(DOCUMENT, "#/components/schemas/Error", strict=True)
RFC3339 = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})")
EDIT = {"identifiers": {"custom_id": "u1"}}


def success_status(name: str) -> int:
    return min(int(status) for status in OPERATIONS[name]["results"])


def success_kind(name: str) -> str:
    return str(OPERATIONS[name]["results"][str(success_status(name))]["kind"])


def documented_statuses(name: str) -> set[int]:
    operation = DOCUMENT["paths"][OPERATIONS[name]["path"]][OPERATIONS[name]["method"].lower()]
    return {int(status) for status in operation["responses"]}


# -- requests built from the document -------------------------------------------------------------------------


@dataclass(frozen=True)
class Call:
    method: str
    path: str
    params: dict[str, Any] = field(default_factory=dict)
    body: Any = None
    headers: dict[str, str] = field(default_factory=lambda: {"Authorization": f"Bearer {KEY}",
                                                             "X-Batch-Project": PROJECT})  # fmt: skip
    content: bytes | None = None  # sent verbatim instead of `body` as JSON


def valid_call(name: str) -> Call:
    """A request the document allows: every required parameter, and the body when there is one."""
    facts = OPERATIONS[name]
    params = {p["api_name"]: SAMPLES.value(p["schema"]) for p in facts["params"] if p["required"]}
    body = SAMPLES.value(facts["body"]["schema"]) if facts["body"] else None
    return Call(facts["method"], facts["path"], params, body)


def client_arguments(name: str) -> dict[str, Any]:
    """The same request, as the typed method's keyword arguments."""
    facts, call = OPERATIONS[name], valid_call(name)
    arguments = {p["name"]: call.params[p["api_name"]] for p in facts["params"] if p["api_name"] in call.params}
    return {**arguments, "body": call.body} if facts["body"] else arguments


def send(server: FakeBatchServer, call: Call) -> httpx.Response:
    content = call.content if call.content is not None else None if call.body is None else json.dumps(call.body)
    headers = dict(call.headers)
    if call.content is None and call.body is not None:
        headers["Content-Type"] = "application/json"
    with httpx.Client(verify=False, timeout=5) as http:
        return http.request(call.method, server.url + call.path, params=call.params, content=content, headers=headers)


def conforms(response: httpx.Response, *, valid_request: bool = True) -> None:
    """The response (and, unless told otherwise, the request) validates against the document."""
    if response.status_code == 204:
        # campaigns-delete's 204 declares a JSON body although a 204 has none (a contradiction the fixture keeps
        # on purpose: tests/fixtures/README.md); openapi-core would demand one. The server sends no body at all.
        assert (response.content, response.headers.get("content-type")) == (b"", None)
        return
    sent = response.request
    request = MockRequest(
        "https://api.batch.com", sent.method, sent.url.path,
        args=sent.url.params.multi_items(),  # type: ignore[arg-type]
        headers=dict(sent.headers), data=sent.content or None, content_type=sent.headers.get("content-type"),
    )  # fmt: skip
    content_type = response.headers.get("content-type", "")
    if valid_request:
        OPENAPI.validate_request(request)
    OPENAPI.validate_response(request, MockResponse(response.content, response.status_code, dict(response.headers),
                                                    content_type))  # fmt: skip


def error_of(response: httpx.Response) -> dict[str, str]:
    assert response.headers["content-type"] == "application/json"
    body: dict[str, str] = ERROR_CHECK(response.json())
    assert set(body) == {"error_code", "error_message"}
    return body


def comparable(value: Any) -> Any:
    """JSON with RFC 3339 strings read as datetimes: the client's models write `Z` as `+00:00`."""
    if isinstance(value, dict):
        return {key: comparable(item) for key, item in value.items()}
    if isinstance(value, list):
        return [comparable(item) for item in value]
    return datetime.fromisoformat(value) if isinstance(value, str) and RFC3339.fullmatch(value) else value


def over(values: list[Any], argument: str = "name", ids: Any = None) -> Any:
    """Parametrize a test over these operations (or cases naming one), and report them exercised (conftest's
    `needs`); no test at all when the package has none, rather than a skip."""
    names = sorted({getattr(value, "operation", value) for value in values})

    def decorate(test: Any) -> Any:
        return needs(*names)(pytest.mark.parametrize(argument, values, ids=ids)(test)) if values else None

    return decorate


@pytest.fixture(scope="module")
def shared() -> Iterator[FakeBatchServer]:
    with FakeBatchServer(SEGMENTS, seed=5, api_key=KEY, project_key=PROJECT, list_sizes=SIZES) as server:
        yield server


@pytest.fixture
def server(shared: FakeBatchServer) -> FakeBatchServer:
    shared.clear_requests()
    shared.clear_faults()
    return shared


def size_of(name: str) -> int:
    return SIZES.get(name, SEGMENTS)


# -- every operation ---------------------------------------------------------------------------------------------


@over(NAMES)
def test_every_operation_answers_its_documented_success(server: FakeBatchServer, name: str) -> None:
    call = valid_call(name)
    response = send(server, call)
    assert response.status_code == success_status(name), response.text
    conforms(response)
    if name in SINGLES and response.content:
        assert response.json() == server.answer(name)[1]
        assert send(server, call).content == response.content  # the same answer every time
    recorded = server.requests[0]
    assert (recorded.method, recorded.operation, recorded.fault) == (call.method, name, None)
    assert recorded.body == (json.dumps(call.body).encode() if call.body is not None else b"")


@over(NAMES)
def test_every_operation_through_the_typed_client(server: FakeBatchServer, name: str, kind: str) -> None:
    facts, arguments = OPERATIONS[name], client_arguments(name)

    async def async_call() -> Any:
        async with batch_rest.AsyncBatchClient(KEY, PROJECT, base_url=server.url) as client:
            resource = getattr(client, facts["resource"])
            if facts["paging"]:
                return [item async for item in getattr(resource, facts["action"])(**arguments, page_size=4)]
            return await getattr(resource, facts["action"])(**arguments)

    if kind == "async":
        result = asyncio.run(async_call())
    else:
        with batch_rest.BatchClient(KEY, PROJECT, base_url=server.url) as client:
            method = getattr(getattr(client, facts["resource"]), facts["action"])
            result = list(method(**arguments, page_size=4)) if facts["paging"] else method(**arguments)
    if facts["paging"]:
        served = [server.item(name, i) for i in range(size_of(name))]
        assert [comparable(item.to_dict()) for item in result] == comparable(served)
    elif success_kind(name) == "location":
        assert result.startswith(server.url.rsplit("/", 1)[0] + "/_files/")
        assert httpx.get(result).status_code == 200
    elif success_kind(name) == "none":
        assert result is None
    else:
        assert comparable(result.to_dict()) == comparable(server.answer(name)[1])


@over(NAMES)
def test_every_operation_checks_the_key_and_the_project_first(server: FakeBatchServer, name: str) -> None:
    good = valid_call(name)
    invalid = replace(good, params={}, body=None, content=b"{not json")  # 401 comes before any of this
    wrong = [{}, {"Authorization": f"Bearer {KEY}"}, {"Authorization": "Bearer nope", "X-Batch-Project": PROJECT},
             {"Authorization": f"Bearer {KEY}", "X-Batch-Project": "other"}]  # fmt: skip
    for headers in wrong:
        for call in (replace(good, headers=headers), replace(invalid, headers=headers)):
            response = send(server, call)
            assert response.status_code == 401
            assert error_of(response)["error_code"] == "AUTHENTICATION_INVALID"
            conforms(response, valid_request=False)


@over(NAMES)
def test_every_operation_refuses_other_methods(server: FakeBatchServer, name: str) -> None:
    response = send(server, replace(valid_call(name), method="PATCH"))
    assert response.status_code == 405
    assert response.headers["allow"] == OPERATIONS[name]["method"]
    assert error_of(response)["error_code"] == "METHOD_NOT_ALLOWED"


@over(NAMES)
def test_every_required_parameter_and_body_is_checked(server: FakeBatchServer, name: str) -> None:
    good, facts = valid_call(name), OPERATIONS[name]
    broken = [
        (replace(good, params={k: v for k, v in good.params.items() if k != name}), f"{name} is required")
        for name in (p["api_name"] for p in facts["params"] if p["required"])
    ]
    if facts["body"] and facts["body"]["required"]:
        broken.append((replace(good, body=None), "a JSON body is required"))
        broken.append((replace(good, content=b"[1, 2", headers={**good.headers, "Content-Type": "application/json"}),
                       "the body is not valid JSON"))  # fmt: skip
        broken.append((replace(good, content=json.dumps(good.body).encode(),
                               headers={**good.headers, "Content-Type": "text/csv"}), "must be JSON"))  # fmt: skip
        broken.append((replace(good, body=True), "body: must be "))
    for call, message in broken:
        response = send(server, call)
        assert response.status_code == 400, (call, response.text)
        assert message in error_of(response)["error_message"]
        conforms(response, valid_request=False)
    assert len(server.requests) == len(broken)


@over(NAMES)
def test_every_operation_answers_each_documented_error_on_demand(server: FakeBatchServer, name: str) -> None:
    errors = sorted(status for status in documented_statuses(name) if status >= 400)
    others = [other for other in NAMES if other != name]
    for status in errors:
        server.inject(Fault.error(status), operation=name)
        if others:  # a fault aimed at one operation leaves the others alone
            assert send(server, valid_call(others[0])).status_code == success_status(others[0])
        response = send(server, valid_call(name))
        assert response.status_code == status
        assert error_of(response)["error_message"]
        conforms(response)
    assert send(server, valid_call(name)).status_code == success_status(name)


@over(NAMES)
def test_every_operation_takes_random_and_queued_faults(server: FakeBatchServer, name: str) -> None:
    server.set_fault_rate(1.0, [Fault.service_unavailable()])
    assert send(server, valid_call(name)).status_code == 503
    server.set_fault_rate(0, ())
    server.inject(Fault.drop_before_response(), operation=name)
    with pytest.raises(httpx.RemoteProtocolError):
        send(server, valid_call(name))
    server.inject(Fault.slow(0.1), operation=name)
    response = send(server, valid_call(name))
    assert response.status_code == success_status(name)
    conforms(response)
    assert [r.fault for r in server.requests] == ["service_unavailable", "drop_before_response", "slow"]


# -- cursor lists --------------------------------------------------------------------------------------------------


@over(LISTS)
def test_cursor_lists_page_with_count_on_the_first_page_only(server: FakeBatchServer, name: str) -> None:
    paging = OPERATIONS[name]["paging"]
    cursor_name = next(p["api_name"] for p in OPERATIONS[name]["params"] if p["name"] == paging["cursor_param"])
    pages, params = [], {"limit": 3}
    while True:
        response = send(server, replace(valid_call(name), params=params))
        conforms(response)
        pages.append(response.json())
        if not pages[-1]["has_more"]:
            break
        params = {"limit": 3, cursor_name: pages[-1]["next_from"]}
    size = size_of(name)
    assert len(pages) == -(-size // 3)
    assert pages[0]["count"] == size
    assert all("count" not in page for page in pages[1:])
    assert [item for page in pages for item in page[paging["items_key"]]] == [server.item(name, i) for i in range(size)]
    assert [page["next_from"] for page in pages] == [server.cursor(min(i, size), name) for i in range(3, size + 3, 3)]


@over(LISTS)
def test_cursor_lists_refuse_cursors_they_did_not_issue(server: FakeBatchServer, name: str) -> None:
    paging = OPERATIONS[name]["paging"]
    cursor_name = next(p["api_name"] for p in OPERATIONS[name]["params"] if p["name"] == paging["cursor_param"])
    foreign = [server.cursor(1, other) for other in LISTS if other != name]
    own = server.cursor(1, name)
    for cursor in [*foreign, own[:-4] + "AAA=", "", "!!"]:
        response = send(server, replace(valid_call(name), params={cursor_name: cursor}))
        assert response.status_code == 400, cursor
        assert error_of(response)["error_message"] == f"{cursor_name} is not a valid cursor"
        conforms(response, valid_request=False)


# -- redirects and empty answers ------------------------------------------------------------------------------------

REDIRECTS = [name for name in SINGLES if success_kind(name) == "location"]
EMPTY = [name for name in SINGLES if success_status(name) == 204]


@over(REDIRECTS)
def test_a_redirect_leads_to_a_file_on_the_fake_server(server: FakeBatchServer, name: str) -> None:
    call = valid_call(name)
    response = send(server, call)
    assert (response.status_code, response.content) == (success_status(name), b"")
    location = response.headers["location"]
    assert location.startswith(server.url.rsplit("/", 1)[0] + "/_files/")
    assert send(server, call).headers["location"] == location  # deterministic
    changed = {key: f"{value}-other" if isinstance(value, str) else value for key, value in call.params.items()}
    assert send(server, replace(call, params=changed)).headers["location"] != location
    download = httpx.get(location)  # no credentials: like a presigned link
    assert download.status_code == 200
    assert download.content == f"fake Batch file {location.rsplit('/', 1)[1]}\n".encode()


@over(EMPTY)
def test_a_204_has_no_body(server: FakeBatchServer, name: str) -> None:
    response = send(server, valid_call(name))
    assert (response.status_code, response.content) == (204, b"")
    assert "content-type" not in response.headers
    assert "content-length" not in response.headers
    assert server.answer(name) == (204, None)


# -- what one fixture operation checks ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Bad:
    operation: str
    message: str  # a regular expression the error message must match
    params: Mapping[str, Any] | None = None  # None: the valid call's
    body: Any = None  # None: the valid call's


BAD = [
    Bad("profiles_update", r"^body\[0\]\.identifiers\.custom_id: must be string",
        body=[{"identifiers": {"custom_id": 7}}]),
    Bad("profiles_update", r"^body: must have at most 200 items, got 201$", body=[EDIT] * 201),
    Bad("profiles_update", r"^body\[1\]\.identifiers: the required property 'custom_id' is missing$",
        body=[EDIT, {"identifiers": {}}]),
    Bad("profiles_update", r"^body\[0\]\.events\[0\]: the required property 'name' is missing$",
        body=[{**EDIT, "events": [{"attributes": {}}]}]),
    Bad("audiences_create", r"^body\.name: must match", body={"name": "has space", "type": "custom_ids"}),
    Bad("audiences_create", r"^body\.name: must be at most 255 characters long, got 256$",
        body={"name": "x" * 256, "type": "custom_ids"}),
    Bad("audiences_create", r"^body\.type: must be one of 'custom_ids', ", body={"name": "ok", "type": "emails"}),
    Bad("audiences_create", r"^body: the required property 'type' is missing$", body={"name": "ok"}),
    Bad("audiences_view", r"^name is required$", params={}),
    Bad("audiences_view", r"^name must be given once, got 2 values$", params={"name": ["a", "b"]}),
    Bad("exports_download", r"^id is required$", params={"other": "x"}),
    Bad("exports_view", r"^id is required$", params={}),
    Bad("campaigns_delete", r"^body\.id: must be string", body={"id": 5}),
    Bad("campaigns_delete", r"^body: the required property 'id' is missing$", body={}),
    Bad("catalogs_create", r"^body\.fields: must have at most 25 items, got 26$",
        body={"name": "c", "fields": [{"name": "f", "field_type": "url"}] * 26}),
    Bad("catalogs_create", r"^body\.fields\[0\]\.name: must match",
        body={"name": "c", "fields": [{"name": "Price", "field_type": "url"}]}),
    Bad("catalogs_create", r"^body\.fields\[0\]\.field_type: must be one of",
        body={"name": "c", "fields": [{"name": "p", "field_type": "money"}]}),
    Bad("catalogs_list", r"^limit: must be at least 1, got 0$", params={"limit": 0}),
    Bad("catalogs_list", r"^limit: must be at most 100, got 101$", params={"limit": 101}),
    Bad("catalogs_list", r"^limit must be an integer, got 'ten'$", params={"limit": "ten"}),
    Bad("audiences_list", r"^limit: must be at least 1, got 0$", params={"limit": 0}),  # no minimum documented
    Bad("audiences_list", r"^limit must be an integer, got '1.5'$", params={"limit": "1.5"}),
    Bad("profiles_export", r"^body: matches none of the anyOf alternatives", body={"export_type": "everything"}),
    Bad("profiles_export", r"events: must be array", body={"export_type": "events", "events": "purchase"}),
]  # fmt: skip
BAD_HERE = [bad for bad in BAD if bad.operation in OPERATIONS]


@over(BAD_HERE, argument="bad", ids=lambda bad: f"{bad.operation}:{bad.message}")
def test_invalid_requests_are_400_naming_the_field(server: FakeBatchServer, bad: Bad) -> None:
    good = valid_call(bad.operation)
    call = replace(good, params=dict(bad.params) if bad.params is not None else good.params,
                   body=bad.body if bad.body is not None else good.body)  # fmt: skip
    response = send(server, call)
    assert response.status_code == 400
    error = error_of(response)
    assert error["error_code"] == ("INVALID_BODY" if bad.body is not None else "INVALID_PARAMETER")
    assert re.search(bad.message, error["error_message"]), error["error_message"]
    conforms(response, valid_request=False)


@needs("profiles_update")
def test_the_client_sends_what_the_server_records(server: FakeBatchServer) -> None:
    with batch_rest.BatchClient(KEY, PROJECT, base_url=server.url) as client:
        result = client.profiles.update(body=[EDIT, {**EDIT, "attributes": {"plan": "gold"}}])
    assert result.code == server.answer("profiles_update")[1]["code"]
    (recorded,) = server.requests
    assert json.loads(recorded.body) == [EDIT, {**EDIT, "attributes": {"plan": "gold"}}]
    assert recorded.headers["content-type"] == "application/json"


@needs("audiences_view", "segments_list")
def test_faults_on_a_view_are_retried_by_the_client_and_a_404_is_not_found(server: FakeBatchServer) -> None:
    server.inject(Fault.rate_limit(0), operation="audiences_view")
    server.inject(Fault.drop_mid_body(), operation="audiences_view")
    with batch_rest.BatchClient(KEY, PROJECT, base_url=server.url) as client:
        assert len(client.segments.list_page(limit=2).items) == 2  # not the audiences' faults
        assert client.audiences.view(name="premium").to_dict() == server.answer("audiences_view")[1]
        server.inject(Fault.error(404), operation="audiences_view")
        with pytest.raises(batch_rest.NotFoundError) as caught:
            client.audiences.view(name="gone")
    assert (caught.value.error_code, caught.value.status_code) == ("NOT_FOUND", 404)
    assert [(r.operation, r.fault) for r in server.requests] == [
        ("segments_list", None), ("audiences_view", "rate_limit"), ("audiences_view", "drop_mid_body"),
        ("audiences_view", None), ("audiences_view", "error"),
    ]  # fmt: skip


@needs("profiles_update")
def test_a_post_that_fails_is_not_repeated_by_the_client(server: FakeBatchServer) -> None:
    server.inject(Fault.server_error(), operation="profiles_update")
    with batch_rest.BatchClient(KEY, PROJECT, base_url=server.url) as client, pytest.raises(batch_rest.ServerError):
        client.profiles.update(body=[EDIT])
    assert [r.fault for r in server.requests] == ["server_error"]


@needs("exports_download")
def test_the_download_link_the_client_returns_works(server: FakeBatchServer) -> None:
    with batch_rest.BatchClient(KEY, PROJECT, base_url=server.url) as client:
        first, again, other = (client.exports.download(id=i) for i in ("export_1", "export_1", "export_2"))
    assert first == again != other
    assert httpx.get(first).content.startswith(b"fake Batch file exports_download-")
    *calls, download = server.requests
    assert [r.operation for r in calls] == ["exports_download"] * 3
    assert (download.operation, download.path) == (None, httpx.URL(first).path)


# -- determinism ----------------------------------------------------------------------------------------------------


@needs(*NAMES)
def test_answers_are_a_function_of_the_seed() -> None:
    def answers(seed: int) -> dict[str, bytes]:
        with FakeBatchServer(SEGMENTS, seed=seed, api_key=KEY, project_key=PROJECT, list_sizes=SIZES) as server:
            return {name: send(server, valid_call(name)).content for name in NAMES}

    first, again, other = answers(1), answers(1), answers(2)
    assert first == again
    assert all(first[name] != other[name] for name in LISTS)  # items, dates and enum values are seeded
