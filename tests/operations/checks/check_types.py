"""What users read and write, at run time, sync and async: optional fields are None when absent (no UNSET), a
nullable field tells null from absent (`model_fields_set`), models send only what was set, a typed dict body
(params.py) is sent as it is and still checked against the schema, and the TypedDicts say what the schemas say.
"""

from __future__ import annotations

import json
import typing
from typing import Any

import httpx
import pytest
from conftest import Scripted, json_response, needs

from batch_rest import _seam


def sent_json(request: httpx.Request) -> object:
    return json.loads(request.content)


# -- reading: absent is None, null is told apart where the document allows it -------------------------------


@needs("audiences_view")
def test_fields_the_server_leaves_out_read_as_none(clients):
    script = Scripted(json_response(200, {"name": "vip", "nb_ids": 3}))
    audience = clients.run(script, lambda c: c.audiences.view(name="vip"))
    assert (audience.name, audience.nb_ids) == ("vip", 3)
    assert (audience.display_name, audience.type_, audience.indexing_state, audience.created) == (None,) * 4
    assert audience.model_fields_set == {"name", "nb_ids"}
    assert audience.to_dict() == {"name": "vip", "nb_ids": 3}


@needs("audiences_view")
def test_an_optional_parameter_left_at_none_is_not_sent(clients):
    script = Scripted(json_response(200, {"name": "vip"}))
    clients.run(script, lambda c: c.audiences.view(name="vip", indexing_token=None))
    assert dict(script.requests[0].url.params) == {"name": "vip"}


@needs("audiences_view")
def test_a_required_parameter_given_none_is_refused_before_sending(clients):
    script = Scripted(json_response(200, {"name": "vip"}))
    with pytest.raises(TypeError, match="name must be str, not NoneType"):
        clients.run(script, lambda c: c.audiences.view(name=None))
    assert script.requests == []


EXPORT = {"id": "export_1", "status": "RUNNING", "request_date": "2026-01-01T00:00:00Z"}


@needs("exports_view")
@pytest.mark.parametrize(
    ("extra", "present"),
    [({}, False), ({"end_date": None}, True), ({"end_date": "2026-01-01T00:05:00Z"}, True)],
    ids=["absent", "null", "set"],
)
def test_a_nullable_field_tells_null_from_absent(clients, extra, present):
    body = {**EXPORT, **extra}
    export = clients.run(Scripted(json_response(200, body)), lambda c: c.exports.view(id="export_1"))
    assert export.end_date == extra.get("end_date")
    assert ("end_date" in export.model_fields_set) is present
    assert export.to_dict() == body  # a null is written back as null, an absent field stays absent
    assert type(export).from_dict(export.to_dict()) == export


@needs("exports_view")
def test_a_nullable_field_set_in_code_is_sent_when_not_none():
    from batch_rest_generated.models import ExportsViewResponse200, ExportsViewResponse200Status

    made = ExportsViewResponse200(id="e", status=ExportsViewResponse200Status.SUCCESS)
    assert made.to_dict() == {"id": "e", "status": "SUCCESS"}
    assert made.model_fields_set == {"id", "status"}
    made.end_date = "2026-01-01T00:05:00Z"
    assert made.to_dict()["end_date"] == "2026-01-01T00:05:00Z"
    assert "end_date" in made.model_fields_set


# -- writing: models omit what was not set; typed dicts go as they are, still checked --------------------------


@needs("audiences_create")
def test_a_model_body_sends_no_key_and_no_null_for_a_field_left_unset(clients):
    from batch_rest_generated.models import AudiencesCreateBody, AudiencesCreateBodyType

    script = Scripted(json_response(202, {"indexing_token": "t"}))
    body = AudiencesCreateBody(name="vip", type_=AudiencesCreateBodyType.CUSTOM_IDS)
    assert body.display_name is None
    clients.run(script, lambda c: c.audiences.create(body=body))
    assert sent_json(script.requests[0]) == {"name": "vip", "type": "custom_ids"}


@needs("profiles_update")
def test_a_typed_dict_body_is_sent_as_it_is(clients):
    from batch_rest_generated.params import EditProfileDict

    edit: EditProfileDict = {"identifiers": {"custom_id": "u1"}, "attributes": {"plan": "gold", "seats": 3}}
    script = Scripted(json_response(202, {"code": "SUCCESS"}))
    clients.run(script, lambda c: c.profiles.update(body=[edit]))
    assert sent_json(script.requests[0]) == [edit]


@needs("profiles_update")
def test_a_typed_dict_built_at_run_time_is_still_checked_against_the_schema(clients):
    from batch_rest_generated.params import EditProfileDict

    identifiers: dict[str, Any] = {"custom_id": 7}  # what mypy cannot see: built at run time
    edit = typing.cast(EditProfileDict, {"identifiers": identifiers})
    script = Scripted(json_response(202, {"code": "SUCCESS"}))
    with pytest.raises(TypeError, match=r"body\[0\].identifiers.custom_id: must be string"):
        clients.run(script, lambda c: c.profiles.update(body=[edit]))
    assert script.requests == []


@needs("audiences_create")
def test_an_unknown_key_mypy_would_refuse_is_sent_when_the_schema_allows_it(clients):
    # The TypedDicts are closed for mypy (a typo is an error); at run time the schema decides, and JSON Schema
    # allows other keys unless additionalProperties says otherwise.
    script = Scripted(json_response(202, {"indexing_token": "t"}))
    body = typing.cast(Any, {"name": "vip", "type": "custom_ids", "note": "x"})
    clients.run(script, lambda c: c.audiences.create(body=body))
    assert sent_json(script.requests[0]) == body


# -- the TypedDicts say what the schemas say ---------------------------------------------------------------------


def _body_typed_dicts() -> list[tuple[str, Any, dict[str, Any]]]:
    """(operation, TypedDict, resolved schema) for each body whose items are a TypedDict."""
    from batch_rest_generated import params

    document = _seam.document()
    found = []
    for name, facts in _seam.OPERATIONS.items():
        body = facts["body"]
        if not body or not body["models"] or len(body["models"]) != 1:
            continue
        typed_dict = getattr(params, f"{body['models'][0].partition(':')[2]}Dict")
        schema = _resolve(document, _pointer(document, body["schema"]))
        found.append((name, typed_dict, _resolve(document, schema["items"]) if body["array"] else schema))
    return found


def _pointer(document: Any, pointer: str) -> Any:
    node = document
    for token in pointer.removeprefix("#/").split("/"):
        node = node[token.replace("~1", "/").replace("~0", "~")]
    return node


def _resolve(document: Any, node: Any) -> Any:
    while "$ref" in node:
        node = _pointer(document, node["$ref"])
    return node


def test_each_body_typed_dict_has_the_schemas_keys_and_required_keys():
    checked = 0
    for name, typed_dict, schema in _body_typed_dicts():
        assert set(typed_dict.__annotations__) == set(schema["properties"]), name
        assert typed_dict.__required_keys__ == set(schema.get("required", ())), name
        assert typing.get_type_hints(typed_dict), name  # its annotations resolve at run time too
        checked += 1
    assert checked == sum(1 for f in _seam.OPERATIONS.values() if f["body"] and len(f["body"]["models"]) == 1)


@needs("audiences_create")
def test_an_enum_is_a_literal_of_its_values():
    from batch_rest_generated.params import AudiencesCreateBodyDict

    hints = typing.get_type_hints(AudiencesCreateBodyDict)
    assert typing.get_args(hints["type"]) == ("custom_ids", "install_ids", "advertising_ids")
