"""Every operation shape of the fixture pages through the typed methods, sync and async, over MockTransport:
what is sent (method, path, query, headers, JSON body), what comes back (the model, None, the Location URL), and
the checks made before anything is sent."""

from __future__ import annotations

import json

import httpx
import pytest
from conftest import KEY, PROJECT, Scripted, batch_error, json_response, needs

import batch_rest
from batch_rest import _seam

EDIT = {"identifiers": {"custom_id": "u1"}, "attributes": {"plan": "gold", "age": 41}, "events": [{"name": "seen"}]}


def sent_json(request: httpx.Request) -> object:
    assert request.headers["content-type"] == "application/json"
    return json.loads(request.content)


def test_every_operation_is_a_typed_method_on_both_clients(clients):
    client = clients.client(Scripted(httpx.Response(500)))
    for name, facts in _seam.OPERATIONS.items():
        resource = getattr(client, facts["resource"])
        action = facts["action"]
        methods = (action, f"{action}_page") if facts["paging"] else (action,)
        assert all(callable(getattr(resource, m)) for m in methods), name
        assert callable(getattr(resource.with_raw_response, methods[-1])), name
        assert client.resource(name) is resource


# -- profiles/update: an array body ----------------------------------------------------------------------------


@needs("profiles_update")
def test_profiles_update_sends_plain_json_verbatim(clients):
    script = Scripted(json_response(202, {"code": "SUCCESS"}))
    result = clients.run(script, lambda c: c.profiles.update(body=[EDIT, EDIT]))
    assert result.code == "SUCCESS"
    (request,) = script.requests
    assert (request.method, request.url.path) == ("POST", "/2.11/profiles/update")
    assert request.headers["authorization"] == f"Bearer {KEY}"
    assert request.headers["x-batch-project"] == PROJECT
    assert sent_json(request) == [EDIT, EDIT]


@needs("profiles_update")
def test_profiles_update_takes_models_and_dicts_mixed(clients):
    from batch_rest_generated.models import EditProfile, EditProfileIdentifiers

    script = Scripted(json_response(202, {"code": "SUCCESS"}))
    model = EditProfile(identifiers=EditProfileIdentifiers(custom_id="m1"))
    clients.run(script, lambda c: c.profiles.update(body=(model, EDIT)))
    assert sent_json(script.requests[0]) == [{"identifiers": {"custom_id": "m1"}}, EDIT]


@needs("profiles_update")
@pytest.mark.parametrize(
    ("body", "error", "message"),
    [
        ([EDIT] * 201, ValueError, r"body: must have at most 200 items, got 201"),
        ([{"attributes": {}}], ValueError, r"body\[0\]: the required property 'identifiers' is missing"),
        ([EDIT, {"identifiers": {"custom_id": 7}}], TypeError, r"body\[1\].identifiers.custom_id: must be string"),
        ([{**EDIT, "events": [{"attributes": {}}]}], ValueError, r"events\[0\]: the required property 'name'"),
        (EDIT, TypeError, "body must be a list"),
        ([EDIT, "u2"], TypeError, r"body\[1\]"),
    ],
)
def test_profiles_update_rejects_bad_bodies_before_sending(clients, body, error, message):
    script = Scripted(json_response(202, {"code": "SUCCESS"}))
    with pytest.raises(error, match=message):
        clients.run(script, lambda c: c.profiles.update(body=body))
    assert script.requests == []


@needs("profiles_update")
def test_profiles_update_raw_response(clients):
    script = Scripted(json_response(202, {"code": "SUCCESS"}, **{"X-Request-Id": "r-1"}))
    raw = clients.run(script, lambda c: c.profiles.with_raw_response.update(body=[EDIT]))
    assert (raw.status_code, raw.headers["x-request-id"]) == (202, "r-1")
    assert raw.parse().code == "SUCCESS"


# -- audiences: an object body and a 202; a GET by key that can 404; a list with count on page 1 only ----------


@needs("audiences_create")
def test_audiences_create_posts_an_object_and_reads_the_202(clients):
    script = Scripted(json_response(202, {"indexing_token": "tok-1"}))
    result = clients.run(script, lambda c: c.audiences.create(body={"name": "vip_1", "type": "custom_ids"}))
    assert result.indexing_token == "tok-1"
    assert sent_json(script.requests[0]) == {"name": "vip_1", "type": "custom_ids"}


@needs("audiences_create")
def test_audiences_create_takes_the_model(clients):
    from batch_rest_generated.models import AudiencesCreateBody, AudiencesCreateBodyType

    script = Scripted(json_response(202, {"indexing_token": "t"}))
    body = AudiencesCreateBody(name="vip", type_=AudiencesCreateBodyType.CUSTOM_IDS, display_name="VIP")
    clients.run(script, lambda c: c.audiences.create(body=body))
    assert sent_json(script.requests[0]) == {"name": "vip", "type": "custom_ids", "display_name": "VIP"}


@needs("audiences_create")
@pytest.mark.parametrize(
    ("body", "error", "message"),
    [
        ({"name": "has space", "type": "custom_ids"}, ValueError, r"body.name: must match"),
        ({"name": "x" * 256, "type": "custom_ids"}, ValueError, r"body.name: must be at most 255"),
        ({"name": "vip", "type": "emails"}, ValueError, r"body.type: must be one of"),
        ({"type": "custom_ids"}, ValueError, r"the required property 'name' is missing"),
        ({"name": ["vip"], "type": "custom_ids"}, TypeError, r"body.name: must be string"),
    ],
)
def test_audiences_create_rejects_bad_bodies_before_sending(clients, body, error, message):
    script = Scripted(json_response(202, {"indexing_token": "t"}))
    with pytest.raises(error, match=message):
        clients.run(script, lambda c: c.audiences.create(body=body))
    assert script.requests == []


@needs("audiences_create")
def test_a_post_is_not_retried_on_500_but_is_on_503(clients):
    script = Scripted(batch_error(500))
    with pytest.raises(batch_rest.ServerError) as caught:
        clients.run(script, lambda c: c.audiences.create(body={"name": "v", "type": "custom_ids"}))
    assert (len(script.requests), caught.value.attempts) == (1, 1)
    script = Scripted(batch_error(503), json_response(202, {"indexing_token": "t"}))
    assert clients.run(script, lambda c: c.audiences.create(body={"name": "v", "type": "custom_ids"})).indexing_token
    assert len(script.requests) == 2
    assert script.requests[0].content == script.requests[1].content


AUDIENCE = {
    "name": "vip",
    "display_name": "VIP",
    "type": "custom_ids",
    "nb_ids": 12,
    "indexing_state": "APPLIED",
    "created": "2026-01-01T00:00:00Z",
    "updated": "2026-01-02T00:00:00Z",
}


@needs("audiences_view")
def test_audiences_view_sends_the_key_in_the_query_and_parses_the_model(clients):
    script = Scripted(json_response(200, AUDIENCE))
    audience = clients.run(script, lambda c: c.audiences.view(name="vip+/=", indexing_token="t 1"))
    assert (audience.name, audience.nb_ids, audience.indexing_state) == ("vip", 12, "APPLIED")
    params = script.requests[0].url.params
    assert (params["name"], params["indexing_token"]) == ("vip+/=", "t 1")
    assert script.requests[0].method == "GET"


@needs("audiences_view")
def test_audiences_view_leaves_out_an_optional_parameter_not_given(clients):
    script = Scripted(json_response(200, AUDIENCE))
    clients.run(script, lambda c: c.audiences.view(name="vip"))
    assert dict(script.requests[0].url.params) == {"name": "vip"}


@needs("audiences_view")
def test_audiences_view_404_is_not_found(clients):
    script = Scripted(batch_error(404, "AUDIENCE_NOT_FOUND", "no audience named vip"))
    with pytest.raises(batch_rest.NotFoundError) as caught:
        clients.run(script, lambda c: c.audiences.view(name="vip"))
    assert (caught.value.error_code, caught.value.attempts, len(script.requests)) == ("AUDIENCE_NOT_FOUND", 1, 1)


@needs("audiences_view")
def test_an_enum_value_the_document_does_not_list_does_not_fail_the_response(clients):
    script = Scripted(json_response(200, {**AUDIENCE, "indexing_state": "IN_PROCESS"}))
    audience = clients.run(script, lambda c: c.audiences.view(name="vip"))
    assert audience.indexing_state == "IN_PROCESS"


@needs("audiences_view")
def test_a_get_is_retried_on_500(clients):
    script = Scripted(batch_error(500), json_response(200, AUDIENCE))
    assert clients.run(script, lambda c: c.audiences.view(name="vip")).name == "vip"
    assert len(script.requests) == 2


@needs("audiences_view")
@pytest.mark.parametrize(
    ("kwargs", "error", "message"),
    [({"name": 5}, TypeError, "name: must be string"), ({"name": "v", "indexing_token": 1.5}, TypeError, "indexing")],
)
def test_audiences_view_checks_its_parameters(clients, kwargs, error, message):
    script = Scripted(json_response(200, AUDIENCE))
    with pytest.raises(error, match=message):
        clients.run(script, lambda c: c.audiences.view(**kwargs))
    assert script.requests == []


def _list_handler(key: str, items: list[dict[str, object]]):
    def handler(request: httpx.Request) -> httpx.Response:
        start = int(request.url.params.get("from", "0"))
        limit = int(request.url.params.get("limit", "10"))
        body: dict[str, object] = {key: items[start : start + limit], "has_more": start + limit < len(items)}
        body["next_from"] = str(start + limit)
        if start == 0:
            body["count"] = len(items)
        return httpx.Response(200, json=body)

    return handler


@needs("audiences_list")
def test_audiences_list_pages_through(clients):
    items = [{**AUDIENCE, "name": f"a{i}"} for i in range(25)]
    script = Scripted(_list_handler("audiences", items))
    names = [a.name for a in clients.run(script, lambda c: c.audiences.list(page_size=10))]
    assert names == [f"a{i}" for i in range(25)]
    assert [r.url.params.get("from") for r in script.requests] == [None, "10", "20"]


@needs("catalogs_list")
def test_catalogs_list_page_names_its_items_and_reads_count_on_page_one(clients):
    items = [{"name": f"c{i}", "fields": [{"name": "price", "field_type": "float"}]} for i in range(3)]
    script = Scripted(_list_handler("catalogs", items))
    page = clients.run(script, lambda c: c.catalogs.list_page(limit=2))
    assert [c.name for c in page.catalogs] == ["c0", "c1"]
    assert (page.count, page.has_more, page.next_cursor) == (3, True, "2")
    assert page.catalogs[0].fields[0].field_type == "float"
    second = clients.run(script, lambda c: c.catalogs.list_page(limit=2, cursor=page.next_cursor))
    assert (second.count, second.has_more, len(second)) == (None, False, 1)


@needs("catalogs_list")
def test_catalogs_list_item_of_the_wrong_type_is_malformed(clients):
    script = Scripted(json_response(200, {"catalogs": [{"name": 5}], "has_more": False}))
    with pytest.raises(batch_rest.MalformedResponseError, match=r"catalogs\[0\].name: must be string"):
        clients.run(script, lambda c: c.catalogs.list_page())


# -- exports: a 307 whose Location is the result; a view ------------------------------------------------------


@needs("exports_download")
def test_exports_download_returns_the_location_without_following_it(clients):
    script = Scripted(httpx.Response(307, headers={"Location": "https://files.example/export.csv?sig=a%2Bb"}))
    url = clients.run(script, lambda c: c.exports.download(id="export_1"))
    assert url == "https://files.example/export.csv?sig=a%2Bb"
    assert len(script.requests) == 1
    assert script.requests[0].url.params["id"] == "export_1"


@needs("exports_download")
def test_a_relative_location_is_made_absolute(clients):
    script = Scripted(httpx.Response(307, headers={"Location": "/files/export.csv"}))
    assert clients.run(script, lambda c: c.exports.download(id="e")) == "https://api.batch.com/files/export.csv"


@needs("exports_download")
def test_a_307_without_location_is_malformed(clients):
    script = Scripted(httpx.Response(307))
    with pytest.raises(batch_rest.MalformedResponseError, match="Location"):
        clients.run(script, lambda c: c.exports.download(id="e"))


@needs("exports_download")
def test_a_redirect_the_operation_does_not_document_is_an_error(clients):
    script = Scripted(httpx.Response(302, headers={"Location": "https://elsewhere.example/"}))
    with pytest.raises(batch_rest.UnexpectedStatusError, match="302"):
        clients.run(script, lambda c: c.exports.download(id="e"))
    assert len(script.requests) == 1


@needs("exports_view")
def test_exports_view_reads_a_body_without_the_field_its_schema_wrongly_requires(clients):
    body = {"id": "export_1", "status": "SUCCESS", "request_date": "2026-01-01T00:00:00Z",
            "files": [{"id": "f1", "part": 1, "size": 2048, "url": "https://files.example/1"}]}  # fmt: skip
    export = clients.run(Scripted(json_response(200, body)), lambda c: c.exports.view(id="export_1"))
    assert (export.status, export.files[0].size) == ("SUCCESS", 2048)


# -- campaigns/delete: a 204 that declares a JSON body ---------------------------------------------------------


@needs("campaigns_delete")
@pytest.mark.parametrize(
    "answer", [lambda _: httpx.Response(204), lambda _: httpx.Response(200, json={})], ids=["204", "200"]
)
def test_campaigns_delete_returns_none(clients, answer):
    script = Scripted(answer)
    assert clients.run(script, lambda c: c.campaigns.delete(body={"id": "orchestration_1"})) is None
    assert sent_json(script.requests[0]) == {"id": "orchestration_1"}


@needs("campaigns_delete")
def test_campaigns_delete_404(clients):
    with pytest.raises(batch_rest.NotFoundError):
        clients.run(Scripted(batch_error(404)), lambda c: c.campaigns.delete(body={"id": "nope"}))


# -- catalogs/create: nested arrays in the body, a 201 with {} ------------------------------------------------


@needs("catalogs_create")
def test_catalogs_create_reads_the_201(clients):
    script = Scripted(json_response(201, {}))
    body = {"name": "products", "fields": [{"name": "price", "field_type": "float"}]}
    result = clients.run(script, lambda c: c.catalogs.create(body=body))
    assert type(result).__name__ == "CatalogsCreateResponse201"
    assert sent_json(script.requests[0]) == body


@needs("catalogs_create")
@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ([{"name": f"f{i}", "field_type": "string"} for i in range(26)], r"body.fields: must have at most 25 items"),
        ([{"name": "Price", "field_type": "float"}], r"body.fields\[0\].name: must match"),
    ],
)
def test_catalogs_create_checks_nested_constraints(clients, fields, message):
    script = Scripted(json_response(201, {}))
    with pytest.raises(ValueError, match=message):
        clients.run(script, lambda c: c.catalogs.create(body={"name": "p", "fields": fields}))
    assert script.requests == []


# -- profiles/export: an anyOf body ----------------------------------------------------------------------------


@needs("profiles_export")
def test_profiles_export_accepts_each_alternative_and_rejects_none_of_them(clients):
    script = Scripted(json_response(202, {"id": "export_1"}))
    for export_type in ("ATTRIBUTES", "events", "reachability"):
        assert clients.run(script, lambda c, t=export_type: c.profiles.export(body={"export_type": t})).id
    with pytest.raises(ValueError, match="none of the anyOf alternatives"):
        clients.run(script, lambda c: c.profiles.export(body={"export_type": "everything"}))
    assert len(script.requests) == 3


# -- the chunkable operations, one call each (their bulk methods: check_bulk.py) --------------------------------


@needs("profiles_mass_update")
def test_profiles_mass_update_takes_up_to_10000_edits_a_call(clients):
    script = Scripted(json_response(202, {"code": "SUCCESS"}))
    assert clients.run(script, lambda c: c.profiles.mass_update(body=[EDIT] * 10_000)).code == "SUCCESS"
    assert sent_json(script.requests[0]) == [EDIT] * 10_000
    with pytest.raises(ValueError, match=r"body: must have at most 10000 items, got 10001"):
        clients.run(script, lambda c: c.profiles.mass_update(body=[EDIT] * 10_001))
    assert len(script.requests) == 1


@needs("catalogs_items_edit")
def test_catalogs_items_edit_posts_the_items_inside_an_object(clients):
    body = {"name": "shop", "items": [{"id": "sku-1", "action": "upsert", "attributes": {"price": 9.5}}]}
    script = Scripted(json_response(202, {"indexing_token": "t-1"}))
    assert clients.run(script, lambda c: c.catalogs.items_edit(body=body)).indexing_token == "t-1"
    assert (script.requests[0].url.path, sent_json(script.requests[0])) == ("/2.11/catalogs/items/edit", body)
    too_many = {"name": "shop", "items": [{"id": "s", "action": "delete"}] * 201}
    with pytest.raises(ValueError, match=r"body.items: must have at most 200 items, got 201"):
        clients.run(script, lambda c: c.catalogs.items_edit(body=too_many))
    assert len(script.requests) == 1


@needs("audiences_update", "audiences_replace")
@pytest.mark.parametrize("action", ["update", "replace"])
def test_audiences_update_and_replace_post_the_ids_inside_an_object(clients, action):
    body = {"name": "vip", "ids": [{"action": "add", "id": "u-1"}, {"action": "remove", "id": "u-2"}]}
    script = Scripted(json_response(202, {"indexing_token": "t-1"}))
    assert clients.run(script, lambda c: getattr(c.audiences, action)(body=body)).indexing_token == "t-1"
    assert (script.requests[0].url.path, sent_json(script.requests[0])) == (f"/2.11/audiences/{action}", body)
    with pytest.raises(ValueError, match=r"body.ids\[0\].action: must be one of"):
        clients.run(
            script, lambda c: getattr(c.audiences, action)(body={"name": "vip", "ids": [{"action": "x", "id": "u"}]})
        )
    assert len(script.requests) == 1
