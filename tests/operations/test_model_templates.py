"""Our model and property templates (tools/templates) and the TypedDicts (tools/emit_params.py), on every kind of
property openapi-python-client models, not only the ones Batch's pages use today.

A test page (built here with the fixtures' page builder, like the reconstructed pages) has one operation whose
body and answer are `Kinds`: required and optional, nullable (a `type` list and anyOf with null) and not, dates,
date-times, uuids, enums, const, arrays of each, nested and self-referencing objects, free-form objects, anyOf.
The package generated from it with the shipped page (tools/generate.py, as `make generate`) is then exercised in
a subprocess: absent is None, null is told apart, models write back what they read; and mypy --strict takes a
literal body typed with the TypedDicts and refuses wrong ones.
"""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap

import pytest
from fixtures.build_pages import ERROR, document, error_responses, json_body, json_response, operation, ref
from fixtures.regen import ROOT, environment
from test_operations import mypy

NODE = {
    "type": "object",
    "required": ["name"],
    "properties": {"name": {"type": "string"}, "children": {"type": "array", "items": ref("schemas", "Node")}},
}
KINDS = {
    "type": "object",
    "required": ["id", "req_nullable"],
    "properties": {
        "id": {"type": "string"},
        "req_nullable": {"type": ["string", "null"]},
        "when": {"type": "string", "format": "date-time"},
        "day": {"type": "string", "format": "date"},
        "uid": {"type": "string", "format": "uuid"},
        "colour": {"type": "string", "enum": ["red", "blue"]},
        "count": {"type": "integer", "default": 3},
        "ratio": {"type": "number"},
        "flag": {"type": "boolean"},
        "kind": {"const": "kinds"},
        "tags": {"type": "array", "items": {"type": "string"}},
        "stamps": {"type": "array", "items": {"type": "string", "format": "date-time"}},
        "colours": {"type": "array", "items": {"type": "string", "enum": ["red", "blue"]}},
        "child": {"type": "object", "required": ["name"], "properties": {"name": {"type": "string"}}},
        "children": {"type": "array", "items": {"type": "object", "properties": {"n": {"type": "integer"}}}},
        "maybe_child": {"anyOf": [ref("schemas", "Node"), {"type": "null"}]},
        "either": {"anyOf": [{"type": "string"}, {"type": "integer"}]},
        "nullable_int": {"type": ["integer", "null"]},
        "nullable_list": {"type": ["array", "null"], "items": {"type": "string"}},
        "free": {"type": "object", "additionalProperties": True},
        "from": {"type": "string"},
        "tree": ref("schemas", "Node"),
    },
}
FULL = {
    "id": "k1",
    "req_nullable": "r",
    "when": "2026-01-01T10:00:00+00:00",
    "day": "2026-01-02",
    "uid": "12345678-1234-5678-1234-567812345678",
    "colour": "red",
    "count": 5,
    "ratio": 0.5,
    "flag": False,
    "kind": "kinds",
    "tags": ["a", "b"],
    "stamps": ["2026-01-01T10:00:00+00:00"],
    "colours": ["blue"],
    "child": {"name": "c"},
    "children": [{"n": 1}, {}],
    "maybe_child": {"name": "m", "children": [{"name": "grandchild"}]},
    "either": 7,
    "nullable_int": 0,
    "nullable_list": [],
    "free": {"anything": [1, {"x": None}]},
    "from": "f",
    "tree": {"name": "root"},
    "not_documented": 1,
}

CHECK = """
import dataclasses, datetime, json, sys, typing, uuid
from batch_rest_generated.models import Kinds, KindsColour, Node
from batch_rest_generated import params

full = json.loads(sys.argv[1])

# absent optional fields are None (or their default), and are not written back
bare = Kinds.from_dict({"id": "k", "req_nullable": None})
optional = [a.name for a in Kinds.__attrs_attrs__ if a.init and a.name not in {"id", "req_nullable", "count"}]
assert all(getattr(bare, name) is None for name in optional), bare
assert bare.count is None  # absent: None, not the document's default (that is the server's to apply)
assert bare.model_fields_set == {"id", "req_nullable"}, bare.model_fields_set
assert bare.to_dict() == {"id": "k", "req_nullable": None}, bare.to_dict()

# everything set: the Python types, and the same JSON back
model = Kinds.from_dict(full)
assert model.when == datetime.datetime(2026, 1, 1, 10, tzinfo=datetime.UTC)
assert model.day == datetime.date(2026, 1, 2) and model.uid == uuid.UUID(full["uid"])
assert model.colour is KindsColour.RED and model.colours == [KindsColour.BLUE]
assert model.child.name == "c" and model.children[1].n is None
assert isinstance(model.maybe_child, Node) and model.maybe_child.children[0].name == "grandchild"
assert (model.either, model.nullable_int, model.nullable_list, model.from_) == (7, 0, [], "f")
assert model["not_documented"] == 1
assert model.to_dict() == full, model.to_dict()
assert Kinds.from_dict(model.to_dict()) == model

# null where the document allows it: None, told apart from absent, written back as null
nulls = {"id": "k", "req_nullable": "r", "maybe_child": None, "nullable_int": None, "nullable_list": None}
read = Kinds.from_dict(nulls)
assert (read.maybe_child, read.nullable_int, read.nullable_list) == (None, None, None)
assert read.model_fields_set == set(nulls), read.model_fields_set
assert read.to_dict() == nulls, read.to_dict()
assert read != Kinds.from_dict({"id": "k", "req_nullable": "r"})

# a model made in code sends what was set, no null for the rest
made = Kinds(id="k", req_nullable=None, colour=KindsColour.BLUE, count=None)
assert made.to_dict() == {"id": "k", "req_nullable": None, "colour": "blue"}, made.to_dict()
assert Kinds(id="k", req_nullable=None).count == 3  # the document's default, when made in code
assert not [a for a in Kinds.__annotations__.values() if "Unset" in str(a)], Kinds.__annotations__

# the TypedDicts say what the schema says
hints = typing.get_type_hints(params.KindsDict)
assert params.KindsDict.__required_keys__ == {"id", "req_nullable"}, params.KindsDict.__required_keys__
assert set(hints) == set(full) - {"not_documented"}, set(hints)
assert hints["req_nullable"] == str | None and hints["nullable_int"] == int | None
assert hints["when"] is str and hints["uid"] is str and hints["ratio"] is float
assert typing.get_args(hints["colour"]) == ("red", "blue") and typing.get_args(hints["kind"]) == ("kinds",)
assert hints["either"] == str | int
assert hints["maybe_child"] == params.NodeDict | None and hints["tree"] is params.NodeDict
assert typing.get_origin(hints["free"]) is not None and "Mapping" in repr(hints["free"])
assert typing.get_type_hints(params.NodeDict)["children"] == list[params.NodeDict]  # refers to itself
assert params.KindsChildDict.__required_keys__ == {"name"}
print("ok")
"""

USER_SCRIPT = """
from batch_rest import BatchClient
from batch_rest_generated.params import KindsDict


def good(client: BatchClient) -> None:
    body: KindsDict = {
        "id": "k", "req_nullable": None, "colour": "red", "kind": "kinds", "either": 3, "from": "f",
        "maybe_child": {"name": "m", "children": [{"name": "g"}]}, "free": {"x": [1]}, "stamps": ["2026-01-01"],
    }
    client.kinds.echo(body=body)
    client.kinds.echo(body={"id": "k", "req_nullable": "r", "nullable_int": None})


def bad(client: BatchClient) -> None:
    client.kinds.echo(body={"id": "k"})  # error: arg-type
    client.kinds.echo(body={"id": "k", "req_nullable": None, "colour": "green"})  # error: arg-type
    client.kinds.echo(body={"id": "k", "req_nullable": None, "count": None})  # error: arg-type
    client.kinds.echo(body={"id": "k", "req_nullable": "", "tree": {"name": "t", "children": [{}]}})  # error: arg-type
    client.kinds.echo(body={"id": "k", "req_nullable": None, "extra": 1})  # error: arg-type
"""


@pytest.fixture(scope="module")
def package_root(tmp_path_factory):
    root = tmp_path_factory.mktemp("kinds")
    page = document(
        tag="Kinds",
        path="/kinds/echo",
        method="post",
        schemas={"Error": ERROR, "Kinds": KINDS, "Node": NODE},
        operation=operation(
            "kinds_echo",
            "Echo",
            "Answers the kinds it is sent",
            "Kinds",
            parameters=[],
            responses={"200": json_response("The kinds", ref("schemas", "Kinds")), **error_responses()},
            body=json_body(ref("schemas", "Kinds")),
        ),
    )
    (root / "kinds.json").write_text(json.dumps(page), encoding="utf-8")
    command = [sys.executable, str(ROOT / "tools" / "generate.py"), "--output", str(root / "batch_rest_generated")]
    for path in [*sorted((ROOT / "openapi" / "pages").glob("*.json")), root / "kinds.json"]:
        command += ["--page", str(path)]
    result = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=180, check=False)
    assert result.returncode == 0, result.stdout + result.stderr
    return root


@pytest.mark.timeout(300)
def test_the_models_read_and_write_every_kind_of_property(package_root):
    result = subprocess.run(
        [sys.executable, "-c", CHECK, json.dumps(FULL)],
        cwd=package_root,
        env=environment(package_root),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert (result.returncode, result.stdout.strip()) == (0, "ok"), result.stdout + result.stderr


@pytest.mark.timeout(300)
def test_mypy_takes_a_typed_body_of_every_kind_and_refuses_wrong_ones(package_root, tmp_path):
    script = tmp_path / "kinds_user.py"
    script.write_text(textwrap.dedent(USER_SCRIPT), encoding="utf-8")
    expected = {
        (number, "arg-type")
        for number, line in enumerate(script.read_text(encoding="utf-8").splitlines(), start=1)
        if "# error:" in line
    }
    returncode, reported, output = mypy(package_root, script)
    assert returncode == 1, output
    assert reported == expected, output
