"""Typed plain-JSON request bodies: the TypedDicts of params.py, emitted from the document's schemas.

    body schema (openapi.json)          params.py (generated)
    {"type": "object",                  class EditProfileDict(TypedDict):
     "required": ["identifiers"],           identifiers: Required[EditProfileIdentifiersDict]
     "properties": {...}}                   attributes: NotRequired[Mapping[str, object]]

How a schema becomes a type (`ParamTypes.annotation`):

- an object with `properties` and no `additionalProperties`: a TypedDict, `Required[...]` for its `required`
  keys and `NotRequired[...]` for the others;
- an object with `additionalProperties` (true or a schema), or without `properties`: `Mapping[str, object]`, as
  a TypedDict cannot say "and other keys";
- `enum`, `const`: `Literal[...]` of the values (a plain `"custom_ids"` type-checks, a wrong string does not);
- `anyOf`, `oneOf`, a `type` list: the union of the alternatives' types; `null`: None;
- string (date-times too: JSON holds them as strings), integer, number, boolean, array: str, int, float, bool,
  list[...];
- anything else (an `allOf` of several schemas, no type): `Mapping[str, object]` for an object, else `object`.

A TypedDict is named after the generated model of the same object plus `Dict` (`EditProfile` ->
`EditProfileDict`), found by reading the model's source (ast) in step with the schema, so that a body reads
`EditProfile | EditProfileDict`; an object no model matches is named after its place (parent name and property
name, as the generator names inline models). One schema (one JSON pointer) is one TypedDict, whatever refers to it.

params.py has no `from __future__ import annotations`: `Required`/`NotRequired` in string annotations are
invisible at run time (`__required_keys__` would list every key). So a TypedDict is written after the ones it
uses, and one that refers to itself (or to an enclosing one) does so in quotes.

What is checked at run time does not change: every plain body is still checked against the document's schema
before it is sent (a dict built at run time is no literal for mypy to check).
"""

from __future__ import annotations

import ast
import keyword
from pathlib import Path
from typing import Any

from emit_layer import EmitError, _escape, _imports, _pointer_get, _resolve
from openapi_python_client.strings import ClassName, PythonIdentifier

PARAMS_MODULE = "params.py"
_SCALARS = {"string": "str", "integer": "int", "number": "float", "boolean": "bool", "null": "None"}
_FREE_OBJECT = "Mapping[str, object]"
# Names a TypedDict's annotations use: a key spelled like one would shadow it in a class body (mypy resolves
# annotations there), so such a TypedDict takes the functional syntax.
_ANNOTATION_NAMES = frozenset(
    {"str", "int", "float", "bool", "list", "object", "None", "Mapping", "Literal", "Required", "NotRequired"}
)

PARAMS_HEADER = '''\
"""Typed plain-JSON request bodies. Written by tools/generate.py (tools/emit_params.py): do not edit.

Every body takes the generated model or plain JSON. These TypedDicts type the plain JSON, one per object a body
holds, named after its model (`EditProfile` -> `EditProfileDict`): mypy checks a dict literal's keys, value
types and required keys, and an enum's values as `Literal[...]`. An object that allows other keys
(`additionalProperties`) is a `Mapping[str, object]`. The client still checks every plain body against the
document's schema before sending it, since a dict built at run time is no literal.
"""

from collections.abc import Mapping
from typing import Literal, NotRequired, Required, TypedDict

'''


class _Model:
    """What a generated model's source says: its fields' annotations and the models those name."""

    def __init__(self, package: Path, ref: str) -> None:
        module_name, self.name = ref.split(":")
        tree = ast.parse((package / Path(*module_name.split("."))).with_suffix(".py").read_text(encoding="utf-8"))
        classes = [n for n in tree.body if isinstance(n, ast.ClassDef) and n.name == self.name]
        if not classes:
            raise EmitError(f"{ref}: no such class")
        self.fields = {
            n.target.id: n.annotation
            for n in classes[0].body
            if isinstance(n, ast.AnnAssign) and isinstance(n.target, ast.Name)
        }
        self.imports = _imports(tree)

    def documented(self) -> set[str]:
        return {name for name in self.fields if name != "additional_properties" and not name.startswith("_")}

    def models_of(self, key: str) -> list[str]:
        """The models named in the annotation of the field serialised as `key` (list items and unions included)."""
        annotation = self.fields.get(str(PythonIdentifier(key, "field_")))
        if annotation is None:
            return []
        names = [n.id for n in ast.walk(annotation) if isinstance(n, ast.Name)]
        return [f"{self.imports[n]}:{n}" for n in names if self.imports.get(n, "").startswith("models.")]


class ParamTypes:
    """The TypedDicts of a document's request bodies, made as the bodies ask for them (`body_item`)."""

    def __init__(self, document: dict[str, Any], package: Path) -> None:
        self.document, self.package = document, package
        self._classes: dict[str, str] = {}  # TypedDict name -> its source ("" while its keys are being typed)
        self._written: list[str] = []  # TypedDict names, each after those it uses
        self._by_pointer: dict[str, str] = {}  # resolved schema pointer -> TypedDict name
        self._models: dict[str, _Model] = {}

    # -- what emit_layer asks ---------------------------------------------------------------------------------

    def body_item(self, operation: str, body: dict[str, Any]) -> tuple[str, set[str]]:
        """The plain-JSON type of one item of an operation's body (the body itself, or one element of an array
        body), and the TypedDicts it names. `body` is the operation's body facts (_operations.py)."""
        if body["schema"] is None:
            return "object", set()
        pointer = f"{body['schema']}/items" if body["array"] else body["schema"]
        if body["array"] and "items" not in _pointer_get(self.document, body["schema"]):
            return "object", set()
        hint = f"{_class_name(operation)}Body{'Item' if body['array'] else ''}"
        text = self.annotation(pointer, body["models"], hint)
        return text, self.names_in(text)

    def names_in(self, annotation: str) -> set[str]:
        return {n.id for n in ast.walk(ast.parse(annotation, mode="eval")) if isinstance(n, ast.Name)} & set(
            self._classes
        )

    def module(self) -> str:
        """params.py: every TypedDict made so far."""
        exports = "__all__: list[str] = [" + ", ".join(f'"{name}"' for name in sorted(self._written)) + "]\n"
        return PARAMS_HEADER + exports + "".join(f"\n\n{self._classes[name]}" for name in self._written)

    # -- schemas to types -------------------------------------------------------------------------------------

    def annotation(self, pointer: str, models: list[str], hint: str) -> str:
        """The type of the JSON values the schema at `pointer` allows. `models`: the generated models that may
        stand for it (its TypedDict takes their name); `hint`: the name to use when none does."""
        node, pointer = _resolve(self.document, _pointer_get(self.document, pointer), pointer)
        if not isinstance(node, dict):
            return "object" if node is not False else "None"
        if "enum" in node or "const" in node:
            return _literal(node["enum"] if "enum" in node else [node["const"]])
        for keyword_ in ("anyOf", "oneOf"):
            if keyword_ in node:
                alternatives = [
                    self.annotation(f"{pointer}/{keyword_}/{index}", models, f"{hint}{index}")
                    for index in range(len(node[keyword_]))
                ]
                return _union(alternatives)
        if isinstance(node.get("allOf"), list) and len(node["allOf"]) == 1 and len(node) == 1:
            return self.annotation(f"{pointer}/allOf/0", models, hint)
        kinds = node.get("type")
        if isinstance(kinds, list):
            return _union([self._typed(node, pointer, kind, models, hint) for kind in kinds])
        if kinds is None:
            kinds = "object" if "properties" in node or "additionalProperties" in node else None
        return self._typed(node, pointer, kinds, models, hint)

    def _typed(self, node: dict[str, Any], pointer: str, kind: str | None, models: list[str], hint: str) -> str:
        if kind in _SCALARS:
            return _SCALARS[kind]
        if kind == "array":
            if "items" not in node:
                return "list[object]"
            return f"list[{self.annotation(f'{pointer}/items', models, f'{hint}Item')}]"
        if kind != "object":
            return "object"
        properties = node.get("properties")
        if not isinstance(properties, dict) or not properties or node.get("additionalProperties", False) is not False:
            return _FREE_OBJECT
        return self._typed_dict(node, pointer, properties, models, hint)

    def _typed_dict(
        self, node: dict[str, Any], pointer: str, properties: dict[str, Any], models: list[str], hint: str
    ) -> str:
        if pointer in self._by_pointer:
            return self._by_pointer[pointer]
        model = self._model_for(properties, models)
        base = model.name if model else hint
        name = f"{base}Dict"
        while name in self._classes:  # another schema took the name: keep both
            name = f"{name}_"
        self._by_pointer[pointer] = name
        self._classes[name] = ""  # reserved, for a schema that refers to itself
        required = set(node.get("required") or ())
        items = []
        for key in properties:
            inner_models = model.models_of(key) if model else []
            value = self.annotation(f"{pointer}/properties/{_escape(key)}", inner_models, f"{base}{_class_name(key)}")
            if any(not self._classes[used] for used in self.names_in(value)):
                value = repr(value)  # a TypedDict not written yet: this one is inside it
            items.append((key, f"{'Required' if key in required else 'NotRequired'}[{value}]"))
        what = f"`{model.name}` as plain JSON" if model else "Plain JSON"
        doc = f'    """{what}: {_place(pointer)}."""\n'
        if all(_attribute_name(key) and key not in self._classes for key, _ in items):
            fields = "".join(f"    {key}: {value}\n" for key, value in items)
            self._classes[name] = f"class {name}(TypedDict):\n{doc}\n{fields}"
        else:  # a key Python cannot spell as a class attribute ("from", "$email"): the functional syntax
            fields = "".join(f"        {key!r}: {value},\n" for key, value in items)
            self._classes[name] = f"{name} = TypedDict(\n    {name!r},\n    {{\n{fields}    }},\n)\n"
        self._written.append(name)
        return name

    def _model_for(self, properties: dict[str, Any], models: list[str]) -> _Model | None:
        """The model, among `models`, generated for an object with these properties: the only one, or the one
        whose documented fields are exactly these."""
        candidates = [self._model(ref) for ref in dict.fromkeys(models)]
        if len(candidates) == 1:
            return candidates[0]
        wanted = {str(PythonIdentifier(key, "field_")) for key in properties}
        matching = [model for model in candidates if model.documented() == wanted]
        return matching[0] if len(matching) == 1 else None

    def _model(self, ref: str) -> _Model:
        if ref not in self._models:
            self._models[ref] = _Model(self.package, ref)
        return self._models[ref]


def _place(pointer: str) -> str:
    """Where a schema is, for people: `POST /catalogs/create body.fields[]`, `EditProfile.events[]`."""
    tokens = [t.replace("~1", "/").replace("~0", "~") for t in pointer.removeprefix("#/").split("/")]
    if tokens[:2] == ["components", "schemas"] and len(tokens) > 2:
        place, rest = tokens[2], tokens[3:]
    elif tokens[0] == "paths" and "schema" in tokens:
        place, rest = f"{tokens[2].upper()} {tokens[1]} body", tokens[tokens.index("schema") + 1 :]
    else:
        return pointer
    steps = iter(rest)
    for step in steps:
        if step == "items":
            place += "[]"
        elif step in {"properties", "anyOf", "oneOf", "allOf"}:
            following = next(steps, "")
            place += f".{following}" if step == "properties" else f" ({step} {following})"
        else:
            place += f"/{step}"
    return place


def _attribute_name(key: str) -> bool:
    return key.isidentifier() and not keyword.iskeyword(key) and key not in _ANNOTATION_NAMES


def _class_name(text: str) -> str:
    return str(ClassName(text, "field_"))


def _literal(values: list[Any]) -> str:
    plain = [v for v in values if v is not None and not isinstance(v, dict | list)]
    types = [f"Literal[{', '.join(repr(v) for v in plain)}]"] if plain else []
    if any(isinstance(v, dict | list) for v in values):
        types.append("object")
    if None in values:
        types.append("None")
    return _union(types)


def _union(types: list[str]) -> str:
    """`A | B`, each type once, None last; `object` swallows the others."""
    unique = list(dict.fromkeys(types))
    if "object" in unique:
        return "object"
    unique.sort(key=lambda t: t == "None")
    return " | ".join(unique) or "object"
