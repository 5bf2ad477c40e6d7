"""The seam: the only wrapper module that names the generated package `batch_rest_generated`.

A regeneration that changes the generated layer's shape can break this module and nothing else
(tests/unit/test_seam.py says what it relies on). What it takes from the generated package:

- `_server.py`: the document's server URL template and default API version;
- `_operations.py`: every operation as plain data (tools/emit_layer.py writes it), and `openapi.json`, the
  document whose schemas bodies are checked against;
- `_typed.py`: the typed resources, mixed into BatchClient and AsyncBatchClient;
- per operation, loaded on first use so that one broken module breaks only its own operation: the module's
  `_get_kwargs(...)`, which builds the request (method, path, query, headers, JSON body), and the models'
  `from_dict`. The wrapper sends requests with its own httpx client rather than calling `sync_detailed`,
  which raises ValueError on statuses outside `http.HTTPStatus` (520...), parses a 204's empty body as JSON,
  and hands error bodies to models that raise on odd JSON. Error statuses never reach generated code.

The typed layer's optional arguments are None when not given (it has no UNSET); `_get_kwargs` takes the
generator's UNSET for "not sent" (its default may be the document's default, which would then be sent), so the
seam passes UNSET for an optional argument that is None.
"""

from __future__ import annotations

import enum
import functools
import importlib
import json
import types
import typing
from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

from attrs import frozen

import batch_rest_generated
from batch_rest_generated import _server
from batch_rest_generated._operations import OPERATIONS
from batch_rest_generated.types import UNSET, Unset

from ._schema import Check, SchemaError, compile_schema
from .errors import ConfigurationError

if TYPE_CHECKING:
    from batch_rest_generated._typed import AsyncResources, SyncResources

    from ._paging import Page

__all__ = [
    "DEFAULT_API_VERSION",
    "OPERATIONS",
    "SERVER_URL_TEMPLATE",
    "AsyncResources",
    "BodyMismatch",
    "BulkOperation",
    "Operation",
    "SyncResources",
    "bulk_operation",
    "document",
    "operation",
]

SERVER_URL_TEMPLATE: str = _server.SERVER_URL_TEMPLATE
SERVER_VARIABLES: Mapping[str, str] = _server.SERVER_VARIABLES
DEFAULT_API_VERSION: str = SERVER_VARIABLES.get("version", "")
_PACKAGE = batch_rest_generated.__name__  # not a literal: a vendored copy renames the package
_MODEL_FAILURES = (KeyError, TypeError, ValueError, AttributeError, RecursionError)
_JSON_SCALARS = frozenset({str, int, float, bool})


class BodyMismatch(Exception):
    """A success response that does not match the API description; the client raises MalformedResponseError."""


def server_url(api_version: str) -> str:
    return SERVER_URL_TEMPLATE.format_map({**SERVER_VARIABLES, "version": api_version})


@functools.cache
def document() -> Mapping[str, Any]:
    """The document the package was generated from (patched, merged)."""
    from importlib import resources  # noqa: PLC0415 - 15 ms that the CLI's --help does without

    return typing.cast(Mapping[str, Any], json.loads(resources.files(_PACKAGE).joinpath("openapi.json").read_text()))


@functools.cache
def _check(pointer: str, *, strict: bool, shallow: bool = False) -> Check:
    return compile_schema(document(), pointer, strict=strict, shallow=shallow)


def _import(ref: str) -> Any:
    """`models.one_segment:OneSegment` -> the class."""
    module, _, name = ref.partition(":")
    return getattr(importlib.import_module(f"{_PACKAGE}.{module}"), name)


class _Verbatim:
    """A plain-JSON body part, already checked, standing where `_get_kwargs` expects a model: it calls to_dict()."""

    __slots__ = ("value",)

    def __init__(self, value: object) -> None:
        self.value = value

    def to_dict(self) -> object:
        return self.value


@frozen
class _Result:
    kind: str  # model, models, json, none, location (see tools/emit_layer.py)
    model: Any
    schema: str | None


@frozen
class Operation:
    """A generated operation, with what the wrapper needs to send it and read its answers."""

    name: str
    idempotent: bool  # by its HTTP method: retried even when the request may have been applied (see _retry)
    build_kwargs: Callable[..., dict[str, Any]]
    param_types: Mapping[str, tuple[type, ...]]  # Python name -> classes the generated code accepts
    param_checks: Mapping[str, Check]  # Python name -> its schema's strict check
    optional: frozenset[str]  # the arguments that may be left out (None), the body included when it may be
    project_param: str | None
    body_schema: str | None
    body_models: tuple[type, ...]  # the models `body` may be; () when it is not made of models
    body_is_array: bool
    results: Mapping[int, _Result]
    items_attr: str  # the rest: cursor lists only
    cursor_param: str
    limit_param: str

    def request_kwargs(self, args: Mapping[str, object], project_key: str) -> dict[str, Any]:
        """method, url (a path), params, headers, json: as the generated code builds them from checked arguments.

        TypeError / ValueError, naming the argument, for what the operation would not accept. An optional
        argument that is None is not sent.
        """
        checked: dict[str, object] = {}
        plain = True
        for name, value in args.items():
            if name != "body":
                checked[name] = self._checked_param(name, value)
            elif value is None and name in self.optional:
                checked[name] = UNSET
            else:
                checked[name], plain = self._body_parts(value)
        if self.project_param:
            checked[self.project_param] = project_key
        try:
            kwargs = self.build_kwargs(**checked)
        except (AttributeError, TypeError, ValueError) as exc:  # a model holding something to_dict cannot write
            raise TypeError(f"{self.name}: the arguments cannot be serialised ({type(exc).__name__}: {exc})") from None
        if self.body_schema is not None and "json" in kwargs:
            # Plain JSON is checked whole. Models are typed (mypy checks them, from_dict built them): only the
            # body's own bounds (an array's maxItems) are checked, which keeps a 200-model body as cheap to send
            # as the generated call makes it.
            check = _check(self.body_schema, strict=True, shallow=not plain)
            kwargs["json"] = _checked(check, kwargs["json"], f"{self.name}: body")
        return kwargs

    def _checked_param(self, name: str, value: object) -> object:
        """A parameter as `_get_kwargs` takes it (bulk calls check theirs here too): None for an optional one is
        UNSET, not sent."""
        if value is None and name in self.optional:
            return UNSET
        if name in self.param_checks and (type(value) in _JSON_SCALARS or isinstance(value, enum.Enum)):
            raw = value.value if isinstance(value, enum.Enum) else value
            _checked(self.param_checks[name], raw, name)
        accepted = self.param_types.get(name, ())
        if not accepted or isinstance(value, accepted):
            return value
        enums = [t for t in accepted if issubclass(t, enum.Enum)]
        if enums and isinstance(value, str):
            return enums[0](value)  # checked against the document's enum above
        expected = " or ".join(t.__name__ for t in accepted if t is not Unset)
        raise TypeError(f"{name} must be {expected}, not {type(value).__name__} ({value!r})")

    def _body_parts(self, body: object) -> tuple[object, bool]:
        """The body for `_get_kwargs`, which calls to_dict() where it expects models, with its plain JSON parts
        wrapped; and whether there are any (those are checked against the schema)."""
        if not self.body_models:
            return body, True
        if not self.body_is_array:
            part = self._body_part(body, "body")
            return part, part is not body
        if not isinstance(body, list | tuple):
            raise TypeError(f"{self.name}: body must be a list, not {type(body).__name__}")
        plain = [index for index, part in enumerate(body) if not isinstance(part, self.body_models)]
        parts = list(body)
        for index in plain:
            parts[index] = self._body_part(body[index], f"body[{index}]")
        return parts, bool(plain)

    def _body_part(self, part: object, where: str) -> object:
        if isinstance(part, Mapping):
            return _Verbatim(dict(part))
        if isinstance(part, self.body_models):
            return part
        expected = " or ".join(model.__name__ for model in self.body_models)
        raise TypeError(f"{self.name}: {where} must be {expected} or a dict, not {type(part).__name__}")

    def parse(self, response: Any) -> object:
        """What a success (or documented redirect) response means for the caller; BodyMismatch if it does not fit."""
        result = self._result_for(response.status_code)
        if result.kind == "location":
            location = response.headers.get("location")
            if not location:
                raise BodyMismatch(f"a {response.status_code} without the Location header the document promises")
            return str(response.request.url.join(location))
        if result.kind == "none" or response.status_code == 204:
            return None
        body = _checked_json(response.content, result.schema)
        if result.kind == "json":
            return body
        try:
            if result.kind == "models":
                return [result.model.from_dict(item) for item in body]
            return result.model.from_dict(body)
        except _MODEL_FAILURES as exc:
            raise BodyMismatch(f"{type(exc).__name__}: {exc}") from None

    def _result_for(self, status: int) -> _Result:
        if status in self.results:
            return self.results[status]
        successes = [r for s, r in self.results.items() if 200 <= s < 300]
        # An undocumented 2xx is read as the documented one (Batch documents 202 where it may answer 200).
        return successes[0] if successes else _Result("none", None, None)

    def page_args(self, args: Mapping[str, object], cursor: str | None, limit: int | None) -> dict[str, object]:
        """A cursor list's arguments for one page. None leaves out the cursor (the first page) or the limit."""
        return {**args, self.cursor_param: cursor or None, self.limit_param: limit or None}

    def returns_location(self, status: int) -> bool:
        return status in self.results and self.results[status].kind == "location"

    def parse_page(self, content: bytes, page_class: type[Page[Any]]) -> Page[Any]:
        """The page a success body holds, or BodyMismatch saying what is wrong with it."""
        body = _json(content)
        if type(body) is not dict:
            raise BodyMismatch(f"expected a JSON object, got {type(body).__name__}")
        if "has_more" not in body:
            raise BodyMismatch("has_more is missing")
        count = body.pop("count", None)  # informative only: a wrong type is not worth failing a listing over
        result = self.results[200]
        body = _checked(_check(typing.cast(str, result.schema), strict=False), body, "", mismatch=True)
        try:
            items = getattr(result.model.from_dict(body), self.items_attr)
        except _MODEL_FAILURES as exc:  # KeyError: a field the document requires, next_from say, is missing
            raise BodyMismatch(f"{type(exc).__name__}: {exc}") from None
        has_more, next_from = body["has_more"], body.get("next_from")
        return page_class(
            items=[] if items is None else items,
            has_more=has_more,
            next_cursor=(next_from or None) if has_more else None,
            count=count if type(count) is int else None,
        )


def _json(content: bytes) -> Any:
    try:
        return json.loads(content)
    except (ValueError, RecursionError) as exc:
        raise BodyMismatch(f"not JSON ({type(exc).__name__})") from None


def _checked_json(content: bytes, schema: str | None) -> Any:
    body = _json(content)
    return body if schema is None else _checked(_check(schema, strict=False), body, "", mismatch=True)


def _checked(check: Check, value: object, what: str, *, mismatch: bool = False) -> Any:
    """`check(value)`; a SchemaError becomes BodyMismatch (responses) or TypeError / ValueError (arguments)."""
    try:
        return check(value)
    except SchemaError as exc:
        if mismatch:
            raise BodyMismatch(str(exc)) from None
        where = f"{what}{'.' if what and exc.path and not isinstance(exc.path[0], int) else ''}{exc.where}"
        raise (TypeError if exc.wrong_type else ValueError)(f"{where}: {exc.message}") from None
    except RecursionError:
        raise (BodyMismatch if mismatch else ValueError)(f"{what or 'the body'} is nested too deeply") from None


def _plain_types(annotation: object) -> tuple[type, ...]:
    """The classes an annotation like `str | Unset`, `list[str]` or `AudienceType` accepts; () if not that simple."""
    is_union = typing.get_origin(annotation) in {typing.Union, types.UnionType}
    members = typing.get_args(annotation) if is_union else (annotation,)
    classes = tuple(typing.get_origin(m) or m for m in members)
    return classes if all(isinstance(c, type) for c in classes) else ()


def _hints(function: Callable[..., Any]) -> dict[str, Any]:
    """The generated function's parameter types; {} when they do not resolve (the arguments then go unchecked)."""
    try:
        return typing.get_type_hints(function)
    except Exception:  # noqa: BLE001 - NameError, AttributeError...: whatever a broken module raises
        return {}


@functools.cache
def _load(name: str) -> Operation:
    facts = OPERATIONS[name]
    module = importlib.import_module(f"{_PACKAGE}.{facts['module']}")
    hints = _hints(module._get_kwargs)
    body, paging = facts["body"], facts["paging"]
    return Operation(
        name=name,
        idempotent=facts["idempotent"],
        build_kwargs=module._get_kwargs,
        param_types={p["name"]: _plain_types(hints[p["name"]]) for p in facts["params"] if p["name"] in hints},
        param_checks={p["name"]: _check(p["schema"], strict=True) for p in facts["params"]},
        optional=frozenset(
            {p["name"] for p in facts["params"] if not p["required"]}
            | ({"body"} if body and not body["required"] else set())
        ),
        project_param=facts["project_param"],
        body_schema=body["schema"] if body else None,
        body_models=tuple(_import(ref) for ref in body["models"]) if body else (),
        body_is_array=bool(body and body["array"]),
        results={
            int(status): _Result(r["kind"], _import(r["model"]) if r["model"] else None, r["schema"])
            for status, r in facts["results"].items()
        },
        items_attr=paging["items_attr"] if paging else "",
        cursor_param=paging["cursor_param"] if paging else "",
        limit_param=paging["limit_param"] if paging else "",
    )


def operation(name: str) -> Operation:
    """The operation named `name` (its module name, e.g. `profiles_update`), loaded on first use.

    ValueError for a name the document does not have; ConfigurationError when its generated code cannot be
    loaded, which leaves every other operation working.
    """
    if name not in OPERATIONS:
        raise ValueError(f"no generated operation {name!r}; known: {', '.join(sorted(OPERATIONS)) or 'none'}")
    try:
        return _load(name)
    except Exception as exc:  # an import error, a NameError...: one broken module, reported, chained
        raise ConfigurationError(
            f"the generated code of {name!r} cannot be loaded ({type(exc).__name__}: {exc}); "
            "regenerate it with `make generate`"
        ) from exc


def __getattr__(name: str) -> Any:
    # Loaded when first asked for. The typed layer imports the wrapper's runtime (and httpx): the CLI reads
    # OPERATIONS to build its --help without them. Segment: importing the models package imports every model,
    # and the seam must import even when one of them is broken.
    if name in {"SyncResources", "AsyncResources"}:
        return getattr(importlib.import_module(f"{_PACKAGE}._typed"), name)
    if name == "Segment":
        return _import("models.one_segment:OneSegment")
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


# -- bulk calls (_bulk.py): a chunkable operation's items checked one by one, chunks built without walking them again


@frozen
class BulkOperation:
    """A chunkable operation (its `bulk` facts: openapi/limits.json says it may be split, along which array)."""

    operation: Operation
    array: str | None  # the body property holding the items; None: the body is the array itself
    item_check: Check  # strict: for plain-JSON items
    item_models: tuple[type, ...]
    max_items: int | None
    limits: Mapping[str, float | None]  # items_per_second, items_burst, requests_per_second, requests_burst

    def prepare(self, item: object, index: int) -> object:
        """What one item becomes in a chunk: a dict checked against the item schema (TypeError / ValueError naming
        the field: `items[17].identifiers.custom_id: must be string`), or a model as it is. A model is typed (mypy
        checked it): it is not walked, and is serialised only when its chunk is sent (body_json), so that its JSON
        lives as briefly as in a single call rather than for the whole read-ahead."""
        if self.item_models and isinstance(item, self.item_models):
            return item
        if type(item) is dict or isinstance(item, Mapping):
            value = item if type(item) is dict else dict(item)
            try:
                return self.item_check(value)
            except (SchemaError, RecursionError):  # checked again, to say where and what (rare: no cost otherwise)
                return _checked(self.item_check, value, f"items[{index}]")
        expected = " or ".join([*(model.__name__ for model in self.item_models), "a dict"])
        raise TypeError(f"items[{index}] must be {expected}, not {type(item).__name__}")

    def prepare_batch(self, batch: Sequence[object], start: int) -> list[object]:
        """prepare() of every item of `batch` (the first is input item `start`), a model costing no call."""
        models, prepare = self._model_classes, self.prepare
        if models.issuperset(map(type, batch)):  # models only (the types scanned in C): nothing to do per item
            return list(batch)
        return [item if type(item) in models else prepare(item, index) for index, item in enumerate(batch, start)]

    @functools.cached_property
    def _model_classes(self) -> frozenset[type]:
        return frozenset(self.item_models)

    def rest_body(self, body: object) -> dict[str, object] | None:
        """The body's other fields (`body=`), repeated in every chunk, checked now; None when the body is the array."""
        name = self.operation.name
        if self.array is None:
            if body is not None:
                raise TypeError(f"{name}: its body is the items themselves: it takes no body=")
            return None
        if body is None:
            body = {}
        if not isinstance(body, Mapping):
            raise TypeError(f"{name}: body must be a dict of the body's other fields, not {type(body).__name__}")
        rest = dict(body)
        if self.array in rest:
            raise ValueError(f"{name}: body must not hold {self.array!r}: those are the items, given as `items`")
        check, whole = _check(typing.cast(str, self.operation.body_schema), strict=True), {**rest, self.array: []}
        try:
            check(whole)
        except SchemaError as exc:
            if not exc.path or exc.path[0] != self.array:  # the array's own bounds are the chunks' business
                _checked(check, whole, f"{name}: body")  # checked again: TypeError / ValueError, as for any body
        except RecursionError:
            raise ValueError(f"{name}: body is nested too deeply") from None
        return rest

    def template_kwargs(self, args: Mapping[str, object], project_key: str) -> dict[str, Any]:
        """method, url, params, headers, as `_get_kwargs` builds them from the checked parameters, without the body:
        each chunk's JSON (body_json) goes in `json`."""
        operation = self.operation
        checked = {name: operation._checked_param(name, value) for name, value in args.items()}
        checked["body"] = [] if operation.body_is_array else _Verbatim(None)
        if operation.project_param:
            checked[operation.project_param] = project_key
        kwargs = operation.build_kwargs(**checked)
        kwargs.pop("json", None)
        return kwargs

    def body_json(self, rest: Mapping[str, object] | None, payload: list[object], indices: Sequence[int]) -> object:
        """A chunk's JSON body: its items (models serialised now) and, for an object body, the other fields.

        ItemsRejected names the models that cannot be serialised (`indices`: their input indices), if any.
        """
        models, classes = self._model_classes, self.item_models
        try:
            if models.issuperset(map(type, payload)):  # models only: to_dict and nothing else per item
                items = [p.to_dict() for p in payload]  # type: ignore[attr-defined]
            else:
                items = [p.to_dict() if type(p) in models or isinstance(p, classes) else p for p in payload]  # type: ignore[attr-defined]
        except (AttributeError, TypeError, ValueError):  # a model holding what to_dict cannot write
            from ._bulk import ItemsRejected  # noqa: PLC0415 - the CLI's --help imports the seam, not the bulk core

            raise ItemsRejected(self._unserialisable(payload, indices)) from None
        return items if self.array is None else {**(rest or {}), self.array: items}

    def _unserialisable(self, payload: list[object], indices: Sequence[int]) -> dict[int, Exception]:
        found: dict[int, Exception] = {}
        for position, part in enumerate(payload):
            if isinstance(part, self.item_models):
                try:
                    part.to_dict()  # type: ignore[attr-defined]
                except (AttributeError, TypeError, ValueError) as exc:
                    message = f"items[{indices[position]}]: cannot be serialised ({type(exc).__name__}: {exc})"
                    found[position] = TypeError(message)
        return found


@functools.cache
def _load_bulk(name: str) -> BulkOperation:
    facts, operation = OPERATIONS[name], _load(name)
    bulk = facts.get("bulk")
    if not bulk:
        raise ValueError(f"{name} may not be split into several calls (openapi/limits.json does not say it may)")
    return BulkOperation(
        operation=operation,
        array=bulk["array"],
        item_check=_check(bulk["item_schema"], strict=True),
        item_models=tuple(_import(ref) for ref in bulk["item_models"]),
        max_items=bulk["max_items"],
        limits=facts.get("limits") or {},
    )


def bulk_operation(name: str) -> BulkOperation:
    """The chunkable operation `name`: ValueError when it may not be split, ConfigurationError as operation()."""
    operation(name)  # ValueError for an unknown name, ConfigurationError for a module that cannot load
    return _load_bulk(name)
