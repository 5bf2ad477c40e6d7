"""Emit what the wrapper needs per operation, next to openapi-python-client's output.

    openapi.json    the document the package was generated from (patched, merged): the schemas the client checks
                    bodies against, and what the fake server serves
    _operations.py  every operation as plain data (OPERATIONS): resource, action, method, path, parameters with
                    their Python names, body, documented success statuses and what each returns, paging, and
                    from openapi/limits.json (what Batch documents in prose only): `bulk` (how a chunkable
                    operation is split) and `limits` (its documented rate limits)
    _typed.py       the typed layer: one resource class per tag (sync, async, raw), whose methods mypy sees with
                    their real parameters and return types; BatchClient / AsyncBatchClient inherit its mixins
    params.py       the TypedDicts of plain-JSON bodies (tools/emit_params.py): a body is `Model | ModelDict`

Facts come from the document (statuses, schemas, tags, Location headers) and from the generated modules' source,
read with `ast` (Python names, annotations, which model parses which status), so nothing here depends on the
generator's internals, only on the shape of its output, which the golden copy in generated/ pins.

Naming: `<resource>` is the generated folder of the operation's first tag (the generator snake-cases it);
`<action>` is the operation's module name without its `<resource>_` prefix, or the singular `<resource minus s>_`
prefix (`profiles_update` -> profiles.update); a cursor list (query `from` and `limit`, a 200 with `has_more`,
`next_from` and one array) gets `list()` and `list_page()`.

Types: an optional parameter is `T | None = None` (None: not sent; the seam gives `_get_kwargs` the generator's
UNSET for it), a body the model(s) or their TypedDicts (`body_item_annotation`).
"""

from __future__ import annotations

import ast
import json
import keyword
import re
import textwrap
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from openapi_pages import HTTP_METHODS  # tools/, next to this module
from openapi_python_client.strings import PythonIdentifier

if TYPE_CHECKING:
    from emit_params import ParamTypes

OPERATIONS_MODULE = "_operations.py"
TYPED_MODULE = "_typed.py"
DOCUMENT_FILE = "openapi.json"
PROJECT_HEADER = "x-batch-project"
# Idempotent by HTTP's definition (RFC 9110): retried even when the request may have been applied (408, any 5xx,
# a dropped connection). The others (POST, PATCH) are retried only when the server provably did nothing, unless a
# call says `idempotent=True`.
IDEMPOTENT_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "PUT", "DELETE", "TRACE"})
# What a resource class already has, and what a list operation's two methods are called.
RESERVED_ACTIONS = frozenset({"with_raw_response", "list_page"})
PAGE_FIELDS = frozenset({"items", "has_more", "next_cursor", "count"})
# The clients' own attributes: a tag of one of these names becomes `<name>_`.
CLIENT_ATTRIBUTES = frozenset({"base_url", "api_version", "resource", "with_options", "close", "aclose"})
BUILTIN_NAMES = frozenset({"str", "int", "float", "bool", "list", "dict", "None", "bytes", "object"})


class EmitError(Exception):
    """The generated package or the document is not shaped as this emitter expects."""


# -- the document -------------------------------------------------------------------------------------------


def _escape(token: str) -> str:
    return token.replace("~", "~0").replace("/", "~1")


def _resolve(document: dict[str, Any], node: Any, pointer: str) -> tuple[Any, str]:
    """Follow `$ref`s from `node` (found at `pointer`): the node they lead to and its pointer."""
    seen = set()
    while isinstance(node, dict) and "$ref" in node:
        ref = node["$ref"]
        if not ref.startswith("#/") or ref in seen:
            raise EmitError(f"{pointer}: unsupported or circular $ref {ref!r}")
        seen.add(ref)
        node, pointer = _pointer_get(document, ref), ref
    return node, pointer


def _json_schema(document: dict[str, Any], holder: dict[str, Any], pointer: str) -> tuple[dict[str, Any], str] | None:
    """The application/json schema of a request body or response, resolved, with its pointer."""
    content = holder.get("content") or {}
    media = next((m for m in content if m == "application/json" or m.endswith("+json")), None)
    if media is None or "schema" not in content[media]:
        return None
    return _resolve(document, content[media]["schema"], f"{pointer}/content/{_escape(media)}/schema")


# -- the generated modules ----------------------------------------------------------------------------------


@dataclass
class Argument:
    name: str
    annotation: str
    required: bool


@dataclass
class Module:
    """What an operation module of the generated package says about itself."""

    dotted: str  # api.segments.segments_list
    folder: str  # segments
    name: str  # segments_list
    method: str
    path: str
    arguments: dict[str, Argument]
    imports: dict[str, str]  # imported name -> module it comes from, relative to the package ("models.error")
    results: dict[int, tuple[str, str | None]]  # status -> (kind, model): kind is model, models, json or none


def _imports(tree: ast.Module) -> dict[str, str]:
    """Imported name -> the module it comes from; `from ...models.x import Y` gives Y -> "models.x"."""
    found = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module:
            found.update((alias.asname or alias.name, node.module) for alias in node.names)
        elif isinstance(node, ast.Import):
            found.update((alias.asname or alias.name, alias.name) for alias in node.names)
    return found


def _function(tree: ast.Module, name: str) -> ast.FunctionDef:
    for node in tree.body:
        if isinstance(node, ast.FunctionDef) and node.name == name:
            return node
    raise EmitError(f"no function {name}")


def _request_line(get_kwargs: ast.FunctionDef) -> tuple[str, str]:
    for node in ast.walk(get_kwargs):
        if isinstance(node, ast.Dict):
            keys = [k.value for k in node.keys if isinstance(k, ast.Constant)]
            if "method" in keys and "url" in keys:
                values = dict(zip(keys, node.values, strict=False))
                url = values["url"]
                if isinstance(url, ast.Call) and isinstance(url.func, ast.Attribute):
                    url = url.func.value  # "/a/{b}".format(...)
                method = values["method"]
                if isinstance(method, ast.Constant) and isinstance(url, ast.Constant):
                    return str(method.value).upper(), str(url.value)
    raise EmitError("_get_kwargs builds no {method, url} dict")


def _results(parse_response: ast.FunctionDef) -> dict[int, tuple[str, str | None]]:
    """status -> what `_parse_response` does with it: a model's from_dict, a list of them, raw JSON, nothing."""
    results: dict[int, tuple[str, str | None]] = {}
    for node in parse_response.body:
        if not (
            isinstance(node, ast.If)
            and isinstance(node.test, ast.Compare)
            and ast.unparse(node.test.left) == "response.status_code"
            and isinstance(node.test.comparators[0], ast.Constant)
        ):
            continue
        status = int(node.test.comparators[0].value)
        source = "\n".join(ast.unparse(statement) for statement in node.body)
        models = re.findall(r"\b([A-Za-z_][A-Za-z0-9_]*)\.from_dict\(", source)
        if "cast(Any, None)" in source and not models:
            results[status] = ("none", None)
        elif models and re.search(rf"response_{status} = \[\]", source):
            results[status] = ("models", models[0])
        elif models:
            results[status] = ("model", models[0])
        else:
            results[status] = ("json", None)
    return results


def read_module(path: Path, package: Path) -> Module:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    get_kwargs = _function(tree, "_get_kwargs")
    arguments = {}
    defaults = [None] * (len(get_kwargs.args.kwonlyargs) - len(get_kwargs.args.kw_defaults))
    for arg, default in zip(get_kwargs.args.kwonlyargs, [*defaults, *get_kwargs.args.kw_defaults], strict=True):
        if arg.annotation is None:
            raise EmitError(f"{path.name}: _get_kwargs argument {arg.arg} has no annotation")
        arguments[arg.arg] = Argument(arg.arg, ast.unparse(arg.annotation), default is None)
    if get_kwargs.args.args or get_kwargs.args.posonlyargs:
        raise EmitError(f"{path.name}: _get_kwargs takes positional arguments")
    method, url = _request_line(get_kwargs)
    relative = path.relative_to(package).with_suffix("")
    return Module(
        dotted=".".join(relative.parts),
        folder=relative.parts[1],
        name=relative.parts[2],
        method=method,
        path=url,
        arguments=arguments,
        imports=_imports(tree),
        results=_results(_function(tree, "_parse_response")),
    )


def _model_module(module: Module, class_name: str) -> str:
    origin = module.imports.get(class_name)
    if origin is None or not origin.startswith("models."):
        raise EmitError(f"{module.name}: cannot tell which module defines {class_name}")
    return f"{origin}:{class_name}"


def _page_item(package: Path, model_ref: str, items_key: str) -> tuple[str, str | None]:
    """(Python attribute, item model ref or None) of the page model's field serialised under `items_key`."""
    module_name, class_name = model_ref.split(":")
    tree = ast.parse((package / Path(*module_name.split("."))).with_suffix(".py").read_text(encoding="utf-8"))
    classes = [n for n in tree.body if isinstance(n, ast.ClassDef) and n.name == class_name]
    to_dict = next(n for n in classes[0].body if isinstance(n, ast.FunctionDef) and n.name == "to_dict")
    attribute = None
    for node in ast.walk(to_dict):
        if (  # an optional property: field_dict["key"] = key
            isinstance(node, ast.Assign)
            and isinstance(node.targets[0], ast.Subscript)
            and ast.unparse(node.targets[0]) == f"field_dict[{items_key!r}]"
            and isinstance(node.value, ast.Name)
        ):
            attribute = node.value.id
        elif isinstance(node, ast.Dict):  # a required one: field_dict.update({"key": key, ...})
            for key, value in zip(node.keys, node.values, strict=True):
                if isinstance(key, ast.Constant) and key.value == items_key and isinstance(value, ast.Name):
                    attribute = value.id
    if attribute is None:
        raise EmitError(f"{class_name}.to_dict writes no {items_key!r}")
    annotation = next(
        ast.unparse(n.annotation)
        for n in classes[0].body
        if isinstance(n, ast.AnnAssign) and isinstance(n.target, ast.Name) and n.target.id == attribute
    )
    item = re.fullmatch(r"list\[([A-Za-z_][A-Za-z0-9_]*)\](?: \| (?:Unset|None))?", annotation)
    if item is None or item[1] in BUILTIN_NAMES:
        return attribute, None
    origin = _imports(tree).get(item[1], "")
    return attribute, f"{origin}:{item[1]}" if origin.startswith("models.") else None


# -- facts --------------------------------------------------------------------------------------------------


def _action(resource: str, name: str, taken: set[str]) -> str:
    for prefix in (f"{resource}_", f"{resource.removesuffix('s')}_"):
        if name.startswith(prefix) and len(name) > len(prefix):
            candidate = name[len(prefix) :]
            if candidate.isidentifier() and not keyword.iskeyword(candidate) and candidate not in taken:
                return candidate
    return name


def _paging(document: dict[str, Any], facts: dict[str, Any], package: Path) -> dict[str, Any] | None:
    api_names = {p["api_name"]: p for p in facts["params"] if p["in"] == "query"}
    result = facts["results"].get("200")
    if "from" not in api_names or "limit" not in api_names or not result or result["kind"] != "model":
        return None
    schema, _ = _resolve(document, _pointer_get(document, result["schema"]), result["schema"])
    properties = schema.get("properties") or {}
    if not {"has_more", "next_from"} <= properties.keys():
        return None
    arrays = [
        key
        for key, value in properties.items()
        if key not in {"has_more", "next_from", "count"} and _resolve(document, value, "")[0].get("type") == "array"
    ]
    if len(arrays) != 1:
        return None
    items_key = arrays[0]
    attribute, item_model = _page_item(package, result["model"], items_key)
    items_pointer = f"{result['schema']}/properties/{_escape(items_key)}/items"
    _, item_schema = _resolve(document, _pointer_get(document, items_pointer), items_pointer)
    return {
        "items_key": items_key,
        "items_attr": attribute,
        "item_model": item_model,
        "item_schema": item_schema,
        "cursor_param": api_names["from"]["name"],
        "limit_param": api_names["limit"]["name"],
    }


def _pointer_get(document: dict[str, Any], pointer: str) -> Any:
    node: Any = document
    for escaped in pointer.removeprefix("#/").split("/"):
        token = escaped.replace("~1", "/").replace("~0", "~")
        node = node[int(token)] if isinstance(node, list) else node[token]
    return node


# -- openapi/limits.json: what Batch documents in prose only ---------------------------------------------------

LIMITS_FILE = "limits.json"
RATE_FACTS = ("items_per_second", "items_burst", "requests_per_second", "requests_burst")


def read_limits(path: Path) -> dict[str, dict[str, Any]]:
    """openapi/limits.json, by path: `split` (False, "body" or a body property) and the rate facts' values.

    Every fact must give its value, page and quote; an unknown fact name is an error (a typo must not silently
    drop a limit). No file: no documented limits.
    """
    if not path.exists():
        return {}
    data = json.loads(path.read_text(encoding="utf-8"))
    by_path: dict[str, dict[str, Any]] = {}
    for key, entry in data.items():
        if key.startswith("$"):
            continue
        if not key.startswith("/") or not isinstance(entry, dict):
            raise EmitError(f"{path.name}: {key!r} is not a path with its facts")
        facts: dict[str, Any] = {}
        for name, fact in entry.items():
            value_key = "along" if name == "split" else "value"
            if name != "split" and name not in RATE_FACTS:
                raise EmitError(f"{path.name}: {key}: unknown fact {name!r} (known: split, {', '.join(RATE_FACTS)})")
            if not isinstance(fact, dict) or {value_key, "page", "quote"} - fact.keys():
                raise EmitError(f"{path.name}: {key}: {name} needs {value_key!r}, 'page' and 'quote'")
            value = fact[value_key]
            if name == "split":
                valid = value is False or (isinstance(value, str) and value)
            else:
                valid = isinstance(value, int | float) and not isinstance(value, bool) and value > 0
            if not valid:
                raise EmitError(f"{path.name}: {key}: {name} {value_key} {value!r} is not valid")
            facts[name] = value
        by_path[key] = facts
    return by_path


def _bulk(
    document: dict[str, Any], fact: dict[str, Any], along: str | bool | None, package: Path
) -> dict[str, Any] | None:
    """How a chunkable operation is split: the array (the body, or one of its properties), one item's schema and
    models, and the array's maxItems (the chunk size). None when limits.json does not say it may be split."""
    if not along:
        return None
    where = f"{LIMITS_FILE}: {fact['path']} is split along {along!r}"
    body = fact["body"]
    if body is None or body["schema"] is None:
        raise EmitError(f"{where}, but the operation takes no JSON body")
    schema, pointer = _resolve(document, _pointer_get(document, body["schema"]), body["schema"])
    body_schema, item_models = schema, body["models"]
    if along != "body":
        member = (schema.get("properties") or {}).get(along)
        if body["array"] or member is None or len(body["models"]) != 1:
            raise EmitError(f"{where}, but the body is not one object with that property")
        schema, pointer = _resolve(document, member, f"{pointer}/properties/{_escape(str(along))}")
        item_model = _page_item(package, body["models"][0], str(along))[1]
        item_models = [item_model] if item_model else []
    if schema.get("type") != "array" or "items" not in schema:
        raise EmitError(f"{where}, but that is not an array")
    return {
        "array": None if along == "body" else along,
        "item_schema": _resolve(document, schema["items"], f"{pointer}/items")[1],
        "item_models": item_models,
        "max_items": schema.get("maxItems"),
        # the object body's other required fields: the bulk method's `body=` is then required
        "body_required": [] if along == "body" else [f for f in body_schema.get("required", []) if f != along],
    }


def read_modules(package: Path) -> dict[str, Module]:
    """Every operation module of the generated `package`, by name."""
    paths = [path for path in sorted((package / "api").glob("*/*.py")) if path.name != "__init__.py"]
    return {module.name: module for module in (read_module(path, package) for path in paths)}


def operation_facts(
    document: dict[str, Any],
    modules: dict[str, Module],
    package: Path,
    limits: dict[str, dict[str, Any]] | None = None,
) -> dict[str, dict[str, Any]]:
    """Every operation of `document`, as the plain data written to _operations.py, sorted by name.

    `limits`: openapi/limits.json as read_limits gives it (what Batch documents in prose only), by path.
    """
    by_request = {(module.method, module.path): module for module in modules.values()}
    facts: dict[str, dict[str, Any]] = {}
    for path, item in (document.get("paths") or {}).items():
        for method in HTTP_METHODS:
            if method not in item:
                continue
            operation, pointer = item[method], f"#/paths/{_escape(path)}/{method}"
            module = by_request.get((method.upper(), path))
            if module is None:
                raise EmitError(f"{method.upper()} {path}: no generated module (did the generator skip it?)")
            fact = _facts(document, operation, pointer, module, package)
            entry = (limits or {}).get(path, {})
            fact["bulk"] = _bulk(document, fact, entry.get("split"), package)
            fact["limits"] = {name: entry.get(name) for name in RATE_FACTS} if entry.keys() & set(RATE_FACTS) else None
            facts[module.name] = fact
    actions: dict[str, set[str]] = {}
    for name in sorted(facts):
        fact = facts[name]
        taken = actions.setdefault(fact["resource"], set(RESERVED_ACTIONS))
        fact["action"] = "list" if fact["paging"] and "list" not in taken else _action(fact["resource"], name, taken)
        taken.add(fact["action"])
    return {name: facts[name] for name in sorted(facts)}


def _facts(
    document: dict[str, Any], operation: dict[str, Any], pointer: str, module: Module, package: Path
) -> dict[str, Any]:
    params = []
    project_param = None
    for index, raw in enumerate([*operation.get("parameters", [])]):
        parameter, where = _resolve(document, raw, f"{pointer}/parameters/{index}")
        name = PythonIdentifier(parameter["name"], "field_")
        if name not in module.arguments:
            raise EmitError(f"{module.name}: parameter {parameter['name']!r} is not _get_kwargs's {name!r}")
        if parameter["in"] == "header" and parameter["name"].lower() == PROJECT_HEADER:
            project_param = str(name)
            continue
        schema_pointer = _resolve(document, parameter.get("schema", {}), f"{where}/schema")[1]
        params.append(
            {
                "name": str(name),
                "api_name": parameter["name"],
                "in": parameter["in"],
                "required": module.arguments[name].required,
                "annotation": module.arguments[name].annotation,
                "schema": schema_pointer,
                "description": parameter.get("description", ""),
            }
        )
    body = None
    if "body" in module.arguments:
        request_body, where = _resolve(document, operation.get("requestBody", {}), f"{pointer}/requestBody")
        schema = _json_schema(document, request_body, where)
        annotation = module.arguments["body"].annotation
        members = [m.strip() for m in annotation.removeprefix("list[").removesuffix(" | Unset").rstrip("]").split("|")]
        models = [m for m in members if m in module.imports and module.imports[m].startswith("models.")]
        body = {
            "annotation": annotation,
            "array": annotation.startswith("list["),
            # the models `body` may be (a union for anyOf), when all of its alternatives are models
            "models": [_model_module(module, m) for m in models] if len(models) == len(members) else [],
            "required": module.arguments["body"].required,
            "schema": schema[1] if schema else None,
        }
    results = {}
    for status_text, raw in sorted((operation.get("responses") or {}).items()):
        if not status_text.isdigit() or not 200 <= int(status_text) < 400:
            continue
        status = int(status_text)
        response, where = _resolve(document, raw, f"{pointer}/responses/{status_text}")
        headers = {name.lower() for name in response.get("headers") or {}}
        schema = _json_schema(document, response, where)
        kind, model = module.results.get(status, ("none", None))
        if status >= 300:
            if "location" not in headers:
                continue  # a redirect without a Location is an UnexpectedStatusError, as an undocumented one
            kind, model = "location", None
        elif status == 204 or schema is None:
            kind, model = "none", None
        results[str(status)] = {
            "kind": kind,
            "model": _model_module(module, model) if model else None,
            "schema": schema[1] if schema and kind in {"model", "models", "json"} else None,
            "description": response.get("description", ""),
        }
    fact: dict[str, Any] = {
        "resource": f"{module.folder}_" if module.folder in CLIENT_ATTRIBUTES else module.folder,
        "action": "",
        "module": module.dotted,
        "method": module.method,
        "idempotent": module.method in IDEMPOTENT_METHODS,
        "path": module.path,
        "pointer": pointer,
        "summary": operation.get("summary", ""),
        "description": operation.get("description", ""),
        "params": params,
        "project_param": project_param,
        "body": body,
        "results": results,
    }
    fact["paging"] = _paging(document, fact, package)
    return fact


# -- _operations.py -----------------------------------------------------------------------------------------

OPERATIONS_HEADER = '''\
"""Every operation of the document, as plain data. Written by tools/generate.py (tools/emit_layer.py): do not edit.

Read by batch_rest's seam (requests and parsing), its CLI (one command per operation) and its fake server.
Schemas are JSON pointers into openapi.json, next to this module.
"""

from typing import Any

'''


def operations_module(facts: dict[str, dict[str, Any]]) -> str:
    return OPERATIONS_HEADER + "OPERATIONS: dict[str, dict[str, Any]] = " + _literal(facts) + "\n"


def _literal(value: Any, indent: int = 0) -> str:
    """A Python literal for JSON-like data, one key per line, so that diffs of regenerations read well."""
    pad = "    " * (indent + 1)
    if isinstance(value, dict) and value:
        items = [f"{pad}{json.dumps(k)}: {_literal(v, indent + 1)}," for k, v in value.items()]
        return "{\n" + "\n".join(items) + "\n" + "    " * indent + "}"
    if isinstance(value, list) and value:
        return "[\n" + "\n".join(f"{pad}{_literal(v, indent + 1)}," for v in value) + "\n" + "    " * indent + "]"
    if value is None or isinstance(value, bool):
        return repr(value)
    return json.dumps(value, ensure_ascii=False)


# -- _typed.py ----------------------------------------------------------------------------------------------

TYPED_HEADER = '''\
"""Typed resources, one per tag of the document. Written by tools/generate.py (tools/emit_layer.py): do not edit.

`SyncResources` and `AsyncResources` are mixins of batch_rest's BatchClient and AsyncBatchClient: one attribute
per resource, whose methods are the operations (`client.<resource>.<action>(...)`). Every call goes through the
wrapper's one request path (batch_rest._resource); this module only gives each operation its signature.
"""

from __future__ import annotations

from collections.abc import AsyncIterable, Callable, Iterable, Mapping, Sequence
from functools import cached_property
from typing import TYPE_CHECKING

from batch_rest._resource import (
    AsyncResource,
    BulkOptions,
    BulkProgress,
    BulkResult,
    ListKey,
    OperationKey,
    Page,
    RequestOptions,
    SyncResource,
    as_raw,
    as_raw_async,
)

if TYPE_CHECKING:
'''

OPTIONS = (
    "        timeout: float | httpx.Timeout | None = None,\n"
    "        max_retries: int | None = None,\n"
    "        extra_headers: Mapping[str, str] | None = None,\n"
)


@dataclass
class _Names:
    """What _typed.py must import for its annotations.

    A model named like one of _typed.py's own classes (a tag "Kinds" and a schema "Kinds") is imported as
    `KindsModel`.
    """

    taken: set[str] = field(default_factory=set)  # _typed.py's own names
    models: dict[str, tuple[str, str]] = field(default_factory=dict)  # name used -> (module, class)
    modules: set[str] = field(default_factory=set)
    params: set[str] = field(default_factory=set)  # TypedDicts, from params.py

    def annotation(self, text: str, module: Module) -> str:
        """`text`, an annotation of the generated `module`, with the names it uses imported; UNSET's type left out
        of it (None stands for it)."""
        tree = ast.parse(_without_unset(text), mode="eval")
        for node in ast.walk(tree):
            if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name):
                self.modules.add(node.value.id)
            elif isinstance(node, ast.Name) and node.id not in BUILTIN_NAMES:
                origin = module.imports.get(node.id)
                if origin is None or not origin.startswith("models."):
                    raise EmitError(f"cannot import {node.id!r}, used in the annotation {text!r}")
                node.id = self.model(f"{origin}:{node.id}")
        return ast.unparse(tree)

    def model(self, ref: str) -> str:
        """The name _typed.py uses for the model `ref` (`models.x:Class`), imported."""
        module_name, class_name = ref.split(":")
        used = class_name
        while used in self.taken or self.models.get(used, (module_name, class_name)) != (module_name, class_name):
            used = f"{used}Model" if used == class_name else f"{used}_"
        self.models[used] = (module_name, class_name)
        return used


def _docstring(fact: dict[str, Any], indent: str, skip: frozenset[str] | set[str] = frozenset()) -> str:
    lines = [fact["summary"] or fact["description"] or fact["action"]]
    if fact["description"] and fact["description"] != lines[0]:
        lines += ["", *fact["description"].strip().splitlines()]
    lines += ["", f"{fact['method']} {fact['path']}"]
    for param in (p for p in fact["params"] if p["name"] not in skip):  # skip: what list() takes under other names
        described = f": {' '.join(param['description'].split())}" if param["description"] else ""
        lines.append(f"{param['name']} ({param['in']} `{param['api_name']}`){described}")
    text = "\n".join(f"{indent}{line}".rstrip() if line else "" for line in lines).strip()
    text = text.replace("\\", "\\\\").replace('"""', '\\"\\"\\"')
    return f'{indent}"""{text}\n{indent}"""\n'


def _members(annotation: str) -> list[str]:
    """The members of a union annotation, in order: `str | None` -> ["str", "None"]; `list[A | B]` -> itself."""
    members: list[str] = []
    pending = [ast.parse(annotation, mode="eval").body]
    while pending:
        node = pending.pop()
        if isinstance(node, ast.BinOp) and isinstance(node.op, ast.BitOr):
            pending += [node.right, node.left]
        else:
            members.append(ast.unparse(node))
    return members


def _without_unset(annotation: str) -> str:
    """`str | Unset` -> `str`: the generator's UNSET stands for "not given", which None says in the typed layer."""
    return " | ".join(m for m in _members(annotation) if m != "Unset") or "None"


def _optional(annotation: str) -> str:
    """The type of an optional parameter: its own, and None last (None: not sent)."""
    return " | ".join([*(m for m in _members(annotation) if m != "None"), "None"])


def body_item_annotation(fact: dict[str, Any], params: ParamTypes, names: _Names) -> str:
    """The type of one item of the operation's body: the body itself, or one element of an array body.

    The generated model(s) it may be, then their plain-JSON TypedDicts (params.py), e.g. `EditProfile |
    EditProfileDict`; the names it uses are imported through `names`. A bulk method taking the items of such a
    body takes this type.
    """
    body = fact["body"]
    plain, typed_dicts = params.body_item(fact["module"].rpartition(".")[2], body)
    names.params |= typed_dicts
    return " | ".join([*(names.model(m) for m in body["models"]), plain]) if body["models"] else plain


def _body_annotation(fact: dict[str, Any], params: ParamTypes, names: _Names) -> str:
    """The body parameter's type: one item's, or a sequence of them for an array body (a list, when the items
    are plain JSON: the schema check takes JSON arrays as lists)."""
    body, item = fact["body"], body_item_annotation(fact, params, names)
    if not body["array"]:
        return item
    return f"Sequence[{item}]" if body["models"] else f"list[{item}]"


def _signature_params(
    fact: dict[str, Any], names: _Names, module: Module, params: ParamTypes, *, skip: set[str]
) -> list[str]:
    lines = []
    for param in sorted(fact["params"], key=lambda p: not p["required"]):
        if param["name"] in skip:
            continue
        annotation = names.annotation(param["annotation"], module)
        if param["required"]:
            lines.append(f"        {param['name']}: {annotation},\n")
        else:
            lines.append(f"        {param['name']}: {_optional(annotation)} = None,\n")
    body = fact["body"]
    if body is not None:
        annotation = _body_annotation(fact, params, names)
        lines.insert(
            0,
            f"        body: {annotation},\n"
            if body["required"]
            else f"        body: {_optional(annotation)} = None,\n",
        )
    return lines


def _result_type(fact: dict[str, Any], names: _Names) -> str:
    types = []
    for result in fact["results"].values():
        kind = result["kind"]
        if kind == "location":
            text = "str"
        elif kind == "none":
            text = "None"
        elif kind == "model":
            text = names.model(result["model"])
        elif kind == "models":
            text = f"list[{names.model(result['model'])}]"
        else:
            text = "object"
        if text not in types:
            types.append(text)
    return " | ".join(types) or "None"


def _call_args(fact: dict[str, Any], skip: set[str]) -> str:
    names = [p["name"] for p in fact["params"] if p["name"] not in skip]
    if fact["body"] is not None:
        names.insert(0, "body")
    return "{" + ", ".join(f'"{n}": {n}' for n in names) + "}"


def _class_name(text: str) -> str:
    return "".join(part[:1].upper() + part[1:] for part in text.split("_") if part)


@dataclass
class _Methods:
    """The emitted code of one resource: its methods, sync and async, and their raw twins."""

    sync: list[str] = field(default_factory=list)
    async_: list[str] = field(default_factory=list)
    raw_sync: list[str] = field(default_factory=list)
    raw_async: list[str] = field(default_factory=list)

    def add(self, name: str, sync: str, async_: str) -> None:
        self.sync.append(sync)
        self.async_.append(async_)
        self.raw_sync.append(f"        self.{name} = as_raw(resource.{name})\n")
        self.raw_async.append(f"        self.{name} = as_raw_async(resource.{name})\n")


def _sync(template: str) -> str:
    return template.replace("@ASYNC@", "").replace("@AWAIT@", "")


def _async(template: str) -> str:
    return template.replace("@ASYNC@", "async ").replace("@AWAIT@", "await ")


def _request_options(fact: dict[str, Any]) -> tuple[str, str]:
    """The `idempotent=` parameter of a call that is not idempotent by its method (else ""), and the
    RequestOptions the call passes on."""
    if fact["idempotent"]:
        return "", "RequestOptions(timeout, max_retries, extra_headers)"
    return "        idempotent: bool = False,\n", "RequestOptions(timeout, max_retries, extra_headers, idempotent)"


def _list_operation(
    name: str, fact: dict[str, Any], module: Module, names: _Names, methods: _Methods, *, params: ParamTypes
) -> list[str]:
    """Emit list() and list_page(); return the page class and the operation key."""
    paging, action, key = fact["paging"], fact["action"], f"_{name.upper()}"
    item = names.model(paging["item_model"]) if paging["item_model"] else "object"
    page = f"{_class_name(name)}Page"
    alias = paging["items_attr"]
    page_class = f'class {page}(Page["{item}"]):\n    """A page of {fact["method"]} {fact["path"]}."""\n'
    if alias not in PAGE_FIELDS and alias.isidentifier():
        page_class += (
            f"\n    @property\n    def {alias}(self) -> list[{item}]:\n"
            f'        """The page\'s `{paging["items_key"]}`: the same list as `items`."""\n'
            "        return self.items\n"
        )
    skip = {paging["cursor_param"], paging["limit_param"]}
    signature = "".join(_signature_params(fact, names, module, params, skip=skip))
    args, doc = _call_args(fact, skip), _docstring(fact, "        ", skip)
    options = "RequestOptions(timeout, max_retries, extra_headers)"
    listing = (
        f"    def {action}(\n        self,\n        *,\n{signature}"
        f"        page_size: int = 100,\n        start_cursor: str | None = None,\n{OPTIONS}"
        f"    ) -> @PAGER@[{item}, {page}]:\n{doc}"
        f"        return self._list({key}, {args}, page_size, start_cursor, {options})\n"
    )
    one_page = (
        f"    @ASYNC@def {action}_page(\n        self,\n        *,\n{signature}"
        f"        limit: int | None = None,\n        cursor: str | None = None,\n{OPTIONS}"
        f"    ) -> {page}:\n{doc.replace(chr(34) * 3, chr(34) * 3 + 'One page (one request, plus retries): ', 1)}"
        f"        return @AWAIT@self._list_page({key}, {args}, limit, cursor, {options})\n"
    )
    methods.sync.append(listing.replace("@PAGER@", "Pager"))
    methods.async_.append(listing.replace("@PAGER@", "AsyncPager"))
    methods.add(f"{action}_page", _sync(one_page), _async(one_page))
    return [page_class, f'{key}: ListKey[{item}, {page}] = ListKey("{name}", {page})\n']


def _call_operation(
    name: str, fact: dict[str, Any], module: Module, names: _Names, methods: _Methods, *, params: ParamTypes
) -> str:
    """Emit the operation's method; return its operation key."""
    key, result = f"_{name.upper()}", _result_type(fact, names)
    signature = "".join(_signature_params(fact, names, module, params, skip=set()))
    idempotent, options = _request_options(fact)
    method = (
        f"    @ASYNC@def {fact['action']}(\n        self,\n        *,\n{signature}{OPTIONS}{idempotent}"
        f"    ) -> {result}:\n{_docstring(fact, '        ')}"
        f"        return @AWAIT@self._call({key}, {_call_args(fact, set())}, {options})\n"
    )
    methods.add(fact["action"], _sync(method), _async(method))
    return f'{key}: OperationKey[{result}] = OperationKey("{name}")\n'


# -- bulk methods: a chunkable operation's items sent in chunks, paced (wrapper/batch_rest/_bulk.py) -------------

BULK_OPTIONS = (
    "        chunk_size: int | None = None,\n"
    "        max_in_flight: int = 4,\n"
    "        items_per_second: float | None = None,\n"
    "        requests_per_second: float | None = None,\n"
)
BULK_HOOKS = (
    "        on_progress: Callable[[BulkProgress], object] | None = None,\n"
    "        checkpoint: str | os.PathLike[str] | None = None,\n"
)


def _bulk_item(fact: dict[str, Any], params: ParamTypes, names: _Names) -> str:
    """The annotation of one item of a bulk method: the item's model(s), then its plain-JSON TypedDict (checked
    before sending): one item of an array body, or of the body's array property the operation is split along."""
    bulk = fact["bulk"]
    if bulk["array"] is None:
        return body_item_annotation(fact, params, names)
    hint = f"{_class_name(fact['module'].rpartition('.')[2])}{_class_name(bulk['array'])}Item"
    plain = params.annotation(bulk["item_schema"], bulk["item_models"], hint)
    names.params |= params.names_in(plain)
    return " | ".join([*(names.model(ref) for ref in bulk["item_models"]), plain])


def _bulk_docstring(fact: dict[str, Any], item: str) -> str:
    bulk, limits = fact["bulk"], fact["limits"] or {}
    size = f"of at most {bulk['max_items']} (the document's maxItems)" if bulk["max_items"] else "of `chunk_size`"
    rates = (("items_per_second", "items/s"), ("items_burst", "items burst"), ("requests_per_second", "requests/s"))
    pace = ", ".join(f"{limits[key]:g} {what}" for key, what in rates if limits.get(key))
    array = bulk["array"]
    along = "" if array is None else f" The items go in the body's `{array}`; `body` holds its other fields."
    paragraphs = [
        f"{fact['method']} {fact['path']} for every item of `items`, in chunks {size}.{along}",
        (f"Paced at {pace}, as Batch documents" if pace else "Batch documents no rate limit: the pace is learnt")
        + f" (`items_per_second=`, `requests_per_second=` override it). An item is {item}; a plain one is checked"
        " first, and rejected alone if invalid. Returns a BulkResult: every item read ends accepted, rejected (not"
        " applied) or unknown (may have been applied). See the README's Bulk section.",
    ]
    text = "\n\n".join(textwrap.fill(p, 108, initial_indent=" " * 8, subsequent_indent=" " * 8) for p in paragraphs)
    return f'        """{text.lstrip()}\n        """\n'


def _bulk_operation(
    name: str, fact: dict[str, Any], module: Module, names: _Names, methods: _Methods, *, params: ParamTypes
) -> None:
    """Emit bulk_<action> on the sync and async resources (not the raw ones: a bulk call is many responses)."""
    bulk, key = fact["bulk"], f"_{name.upper()}"
    item, result = _bulk_item(fact, params, names), _result_type(fact, names)
    names.modules.add("os")
    signature = "".join(_signature_params({**fact, "body": None}, names, module, params, skip=set()))
    if bulk["array"] is not None:  # the other fields of the object body; required when the schema requires some
        optional = "        body: Mapping[str, object] | None = None,\n"
        signature = ("        body: Mapping[str, object],\n" if bulk["body_required"] else optional) + signature
    args = _call_args({**fact, "body": {} if bulk["array"] is not None else None}, set())
    idempotent, options = _request_options(fact)
    bulk_options = (
        "BulkOptions(chunk_size, max_in_flight, items_per_second, requests_per_second, on_progress, checkpoint)"
    )
    method = (
        f"    @ASYNC@def bulk_{fact['action']}(\n        self,\n        items: @ITEMS@,\n        *,\n{signature}"
        f"{BULK_OPTIONS}{idempotent}{OPTIONS}{BULK_HOOKS}    ) -> BulkResult[{result}]:\n{_bulk_docstring(fact, item)}"
        f"        return @AWAIT@self._bulk({key}, items, {args}, {options}, {bulk_options})\n"
    )
    methods.sync.append(_sync(method).replace("@ITEMS@", f"Iterable[{item}]"))
    methods.async_.append(_async(method).replace("@ITEMS@", f"Iterable[{item}] | AsyncIterable[{item}]"))


def _resource_classes(resource: str, methods: _Methods) -> str:
    cls, code = _class_name(resource), ""
    for prefix, bodies, raw, base in (
        ("", methods.sync, methods.raw_sync, "SyncResource"),
        ("Async", methods.async_, methods.raw_async, "AsyncResource"),
    ):
        code += (
            f"class {prefix}{cls}({base}):\n"
            f'    """The operations tagged {resource!r}."""\n\n' + "\n".join(bodies) + "\n    @cached_property\n"
            f"    def with_raw_response(self) -> {prefix}{cls}WithRawResponse:\n"
            f'        """The same operations, returning a RawResponse: the HTTP response, and `.parse()`."""\n'
            f"        return {prefix}{cls}WithRawResponse(self._client)\n\n\n"
            f"class {prefix}{cls}WithRawResponse:\n"
            f'    """{prefix}{cls}\'s operations, returning a RawResponse."""\n\n'
            "    def __init__(self, client: object) -> None:\n"
            f"        resource = {prefix}{cls}(client, raw=True)\n" + "".join(raw) + "\n\n"
        )
    return code


def _mixin(prefix: str, owner: str, resources: list[str]) -> str:
    properties = "".join(
        f"\n    @cached_property\n    def {resource}(self) -> {prefix}{_class_name(resource)}:\n"
        f"        return {prefix}{_class_name(resource)}(self)\n"
        for resource in resources
    )
    return f'class {prefix or "Sync"}Resources:\n    """The resources of {owner}, one per tag of the document."""\n' + (
        properties or "\n    pass\n"
    )


def _own_names(facts: dict[str, dict[str, Any]]) -> set[str]:
    """The names _typed.py defines or imports for itself, which a model's must not shadow."""
    names = set(_imports(ast.parse(TYPED_HEADER + "    pass\n")))  # what its header imports
    names |= {"httpx", "os", "Pager", "AsyncPager", "SyncResources", "AsyncResources"}  # typed_module's own
    for name, fact in facts.items():
        cls = _class_name(fact["resource"])
        names |= {cls, f"Async{cls}", f"{cls}WithRawResponse", f"Async{cls}WithRawResponse"}
        if fact["paging"]:
            names.add(f"{_class_name(name)}Page")
    return names


def typed_module(facts: dict[str, dict[str, Any]], modules: dict[str, Module], params: ParamTypes) -> str:
    names, pages, keys = _Names(taken=_own_names(facts)), [], []
    by_resource: dict[str, _Methods] = {}
    for name, fact in facts.items():
        module = modules[name]
        methods = by_resource.setdefault(fact["resource"], _Methods())
        if fact["paging"]:
            page_class, key = _list_operation(name, fact, module, names, methods, params=params)
            pages.append(page_class)
        else:
            key = _call_operation(name, fact, module, names, methods, params=params)
            if fact["bulk"]:
                _bulk_operation(name, fact, module, names, methods, params=params)
        keys.append(key)
    resources = sorted(by_resource)
    imports = ["    import httpx\n", *(f"    import {m}\n" for m in sorted(names.modules - {"httpx"}))]
    imports.append("\n    from batch_rest._resource import AsyncPager, Pager\n")
    by_module: dict[str, list[str]] = {}
    for used, (module_name, class_name) in names.models.items():
        by_module.setdefault(module_name, []).append(class_name if used == class_name else f"{class_name} as {used}")
    imports += [f"    from .{m} import {', '.join(sorted(c))}\n" for m, c in sorted(by_module.items())]
    if names.params:
        imports.append(f"    from .params import {', '.join(sorted(names.params))}\n")
    return (
        TYPED_HEADER
        + "".join(imports)
        + "\n\n"
        + "\n\n".join(pages)
        + "\n\n"
        + "".join(keys)
        + "\n\n"
        + "".join(_resource_classes(resource, by_resource[resource]) for resource in resources)
        + _mixin("", "BatchClient", resources)
        + "\n\n"
        + _mixin("Async", "AsyncBatchClient", resources)
    )


def emit(document: dict[str, Any], package: Path, limits: dict[str, dict[str, Any]] | None = None) -> None:
    """Write openapi.json, _operations.py, _typed.py and params.py into the generated `package`."""
    from emit_params import PARAMS_MODULE, ParamTypes  # it builds on this module's readers of the document

    modules = read_modules(package)
    facts = operation_facts(document, modules, package, limits)
    params = ParamTypes(document, package)
    (package / DOCUMENT_FILE).write_text(json.dumps(document, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    (package / OPERATIONS_MODULE).write_text(operations_module(facts), encoding="utf-8")
    (package / TYPED_MODULE).write_text(typed_module(facts, modules, params), encoding="utf-8")
    (package / PARAMS_MODULE).write_text(params.module(), encoding="utf-8")
