"""The seam: the only wrapper module that names the generated package `batch_rest_generated`.

A regeneration that changes the generated layer's shape can break this module and nothing else
(tests/unit/test_seam.py says what it relies on). What it takes from the generated code:

- `_server.py`: the document's server URL template and default API version.
- each operation module's `_get_kwargs(...)`: the request (method, path, query, headers) the operation sends.
  The wrapper sends it with its own httpx client rather than calling `sync_detailed`, which raises ValueError
  on statuses outside `http.HTTPStatus` (520, 599...) and parses error bodies with models that raise on odd
  JSON. Error statuses never reach generated code: `errors.error_for_response` reads them.
- the success model named in `sync()`'s return annotation, and its `from_dict` (which parses timestamps).

List operations are discovered, not listed: any generated operation that takes `from_` and `limit` and whose
success model has `has_more`, `next_from` and one list field follows Batch's cursor convention.
"""

from __future__ import annotations

import functools
import importlib
import inspect
import json
import pkgutil
import types
import typing
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from typing import Any

import attrs
from attrs import frozen

import batch_rest_generated.api
import batch_rest_generated.models
from batch_rest_generated import _server
from batch_rest_generated.models import OneSegment as Segment
from batch_rest_generated.types import UNSET, Unset

from ._paging import Page

__all__ = [
    "DEFAULT_API_VERSION",
    "SERVER_URL_TEMPLATE",
    "UNSET",
    "BodyMismatch",
    "ListOperation",
    "Segment",
    "Unset",
    "list_operation",
]

SERVER_URL_TEMPLATE: str = _server.SERVER_URL_TEMPLATE
SERVER_VARIABLES: Mapping[str, str] = _server.SERVER_VARIABLES
DEFAULT_API_VERSION: str = SERVER_VARIABLES.get("version", "")

# Parameters of a list operation the wrapper fills in itself; any others are passed through from the caller.
CURSOR_PARAM, LIMIT_PARAM, PROJECT_PARAM = "from_", "limit", "x_batch_project"
_ENVELOPE_FIELDS = frozenset({"has_more", "next_from", "count", "additional_properties"})
_CHECKABLE_TYPES = (str, int, float, bool, datetime)
_BODY_FAILURES = (KeyError, TypeError, ValueError, AttributeError, RecursionError)


# (attribute, the exact types it may hold) for each checked field of a list item
ItemChecks = tuple[tuple[str, frozenset[type]], ...]


class BodyMismatch(Exception):
    """A success body that does not match the API description; the client turns it into MalformedResponseError."""


def server_url(api_version: str) -> str:
    return SERVER_URL_TEMPLATE.format_map({**SERVER_VARIABLES, "version": api_version})


@frozen
class ListOperation:
    """A generated list operation following the cursor convention, with what the wrapper needs to drive it."""

    name: str
    build_kwargs: Callable[..., dict[str, Any]]
    page_model: type[Any]
    items_field: str
    items_key: str  # the items' JSON key, which may differ from the Python attribute
    item_is_model: bool
    item_checks: ItemChecks
    survey_items: Callable[[list[Any]], tuple[set[Any], ...]]
    caller_params: Mapping[str, inspect.Parameter]
    takes_project: bool

    def check_params(self, params: Mapping[str, object]) -> None:
        """Raise TypeError, naming the argument, for what the generated operation would not accept."""
        for name, value in params.items():
            parameter = self.caller_params.get(name)
            if parameter is None:
                known = ", ".join(sorted(self.caller_params)) or "none"
                raise TypeError(f"{self.name} got an unexpected parameter {name!r} (extra parameters: {known})")
            accepted = _plain_types(parameter.annotation)
            if accepted and not isinstance(value, accepted):
                raise TypeError(f"parameter {name!r} of {self.name} must be {parameter.annotation}, not {value!r}")
        missing = [n for n, p in self.caller_params.items() if p.default is p.empty and n not in params]
        if missing:
            raise TypeError(f"{self.name} needs the parameter(s) {', '.join(missing)}")

    def request_kwargs(
        self, *, cursor: str | None, limit: int | None, project_key: str, params: Mapping[str, object]
    ) -> dict[str, Any]:
        """method, url (a path), params, headers: as the generated operation would send them."""
        args: dict[str, object] = {
            **params,
            CURSOR_PARAM: UNSET if cursor is None else cursor,
            LIMIT_PARAM: UNSET if limit is None else limit,
        }
        if self.takes_project:
            args[PROJECT_PARAM] = project_key
        return self.build_kwargs(**args)

    def _items_look_fine(self, items: list[Any]) -> bool:
        try:
            surveyed = self.survey_items(items)
        except AttributeError:
            return False
        return all(
            None not in seen if datetime in accepted else seen <= accepted
            for (_, accepted), seen in zip(self.item_checks, surveyed, strict=True)
        )

    def parse_page(self, content: bytes) -> Page[Any]:
        """The page a success body holds, or BodyMismatch saying what is wrong with it.

        The envelope is read from the JSON itself, so that its checks and messages do not depend on whether the
        document marks has_more / next_from as required (the generated from_dict raises KeyError when it does).
        """
        try:
            body = json.loads(content)
        except (ValueError, RecursionError) as exc:
            raise BodyMismatch(f"not JSON ({type(exc).__name__})") from None
        if type(body) is not dict:
            raise BodyMismatch(f"expected a JSON object, got {type(body).__name__}")
        if "has_more" not in body:
            raise BodyMismatch("has_more is missing")
        has_more, next_from, count = body["has_more"], body.get("next_from"), body.get("count")
        if type(has_more) is not bool:
            raise BodyMismatch(f"has_more must be a boolean, got {has_more!r}")
        if next_from is not None and type(next_from) is not str:
            raise BodyMismatch(f"next_from must be a string, got {next_from!r}")
        raw_items = body.get(self.items_key)
        if raw_items is not None and (
            type(raw_items) is not list or (self.item_is_model and not set(map(type, raw_items)) <= {dict})
        ):
            raise BodyMismatch(f"{self.items_key!r} must be a list of objects")
        try:
            model = self.page_model.from_dict(body)
        except _BODY_FAILURES as exc:
            raise BodyMismatch(f"{type(exc).__name__}: {exc}") from None
        items = getattr(model, self.items_field)
        items = [] if isinstance(items, Unset) else items
        if self.item_checks and not self._items_look_fine(items):
            _check_items_slowly(items, self.item_checks, self.items_key)
        return Page(
            items=items,
            has_more=has_more,
            next_cursor=(next_from or None) if has_more else None,
            count=count if type(count) is int else None,
            items_field=self.items_field,
        )


def _check_items_slowly(items: list[Any], checks: ItemChecks, items_key: str) -> None:
    """Raise BodyMismatch at the first item field of the wrong type; read naive timestamps as UTC.

    `from_dict` passes any JSON value through untouched except timestamps, which it parses (or raises on).
    RFC 3339 requires an offset and Batch's docs say the timestamps are UTC, so a naive one is read as UTC.
    """
    for item in items:
        for name, accepted in checks:
            value = getattr(item, name)
            if type(value) not in accepted:
                expected = " or ".join(sorted(t.__name__ for t in accepted if t is not Unset))
                raise BodyMismatch(f"{items_key}[].{name} must be {expected}, got {value!r}")
            if type(value) is datetime and value.tzinfo is None:
                setattr(item, name, value.replace(tzinfo=UTC))


def _fast_item_survey(checks: ItemChecks) -> Callable[[list[Any]], tuple[set[Any], ...]]:
    """A function returning, per checked field, the set of its types (of its tzinfos, for timestamps).

    Compiled once per model, as attrs compiles its methods: attribute access by a literal name runs about twice
    as fast as getattr, and this runs for every item. It raises AttributeError when a timestamp is absent.
    """
    for name, _ in checks:
        if not name.isidentifier():
            raise ValueError(f"unexpected attribute name {name!r} in a generated model")
    exprs = [f"i.{name}.tzinfo" if datetime in accepted else f"type(i.{name})" for name, accepted in checks]
    return eval("lambda items: (" + "".join(f"{{{e} for i in items}}, " for e in exprs) + ")")  # type: ignore[no-any-return]  # noqa: S307


def _plain_types(annotation: object) -> tuple[type, ...]:
    """The classes an annotation like `str | Unset` or `datetime` accepts; () when it is not that simple."""
    is_union = typing.get_origin(annotation) in {typing.Union, types.UnionType}
    members = typing.get_args(annotation) if is_union else (annotation,)
    if all(isinstance(m, type) for m in members):
        return tuple(typing.cast(type, m) for m in members)
    return ()


def _list_item_type(hint: object) -> type | None:
    for member in typing.get_args(hint) or (hint,):
        if typing.get_origin(member) is list:
            (item,) = typing.get_args(member)
            return typing.cast(type, item)
    return None


def _success_model(module: types.ModuleType) -> type[Any] | None:
    returned = inspect.signature(module.sync).return_annotation
    for candidate in typing.get_args(returned) or (returned,):
        if attrs.has(candidate) and {"has_more", "next_from"} <= attrs.fields_dict(candidate).keys():
            return typing.cast(type[Any], candidate)
    return None


def _json_key(page_model: type[Any], field_name: str) -> str:
    """The JSON key `to_dict` writes for `field_name`, found by serialising an instance with an empty list there."""
    probe = page_model(**{f.name: [] if f.name == field_name else UNSET for f in attrs.fields(page_model) if f.init})
    (key,) = (k for k, v in probe.to_dict().items() if v == [])
    return typing.cast(str, key)


def _operation(name: str, module: types.ModuleType) -> ListOperation | str:
    """The operation, or why it does not follow the cursor convention (shown when someone asks for it)."""
    if not (hasattr(module, "_get_kwargs") and hasattr(module, "sync")):
        return "not a generated operation module (no _get_kwargs / sync)"
    parameters = inspect.signature(module._get_kwargs).parameters
    if CURSOR_PARAM not in parameters or LIMIT_PARAM not in parameters:
        return f"its parameters {sorted(parameters)} lack {CURSOR_PARAM} or {LIMIT_PARAM}"
    page_model = _success_model(module)
    if page_model is None:
        return "no success model with has_more and next_from in sync()'s return annotation"
    hints = typing.get_type_hints(page_model, localns=vars(batch_rest_generated.models))
    lists = {f: t for f, hint in hints.items() if f not in _ENVELOPE_FIELDS and (t := _list_item_type(hint))}
    if len(lists) != 1:
        return f"{page_model.__name__} has {len(lists)} list fields besides the envelope, not one"
    ((items_field, item_type),) = lists.items()
    item_hints = (
        typing.get_type_hints(item_type, localns=vars(batch_rest_generated.models)) if attrs.has(item_type) else {}
    )
    checks = []
    for field_name, hint in item_hints.items():
        accepted = set(_plain_types(hint))
        if accepted and any(issubclass(t, _CHECKABLE_TYPES) for t in accepted):
            if float in accepted:
                accepted.add(int)  # JSON has one number type
            checks.append((field_name, frozenset(accepted)))
    return ListOperation(
        name=name,
        build_kwargs=module._get_kwargs,
        page_model=page_model,
        items_field=items_field,
        items_key=_json_key(page_model, items_field),
        item_is_model=attrs.has(item_type),
        item_checks=tuple(checks),
        survey_items=_fast_item_survey(tuple(checks)),
        caller_params={n: p for n, p in parameters.items() if n not in {CURSOR_PARAM, LIMIT_PARAM, PROJECT_PARAM}},
        takes_project=PROJECT_PARAM in parameters,
    )


@functools.cache
def _discover() -> tuple[Mapping[str, ListOperation], Mapping[str, str]]:
    found, rejected = {}, {}
    package = batch_rest_generated.api
    for info in pkgutil.walk_packages(package.__path__, prefix=f"{package.__name__}."):
        if not info.ispkg:
            name = info.name.rpartition(".")[2]
            operation = _operation(name, importlib.import_module(info.name))
            if isinstance(operation, str):
                rejected[name] = operation
            else:
                found[name] = operation
    return types.MappingProxyType(found), types.MappingProxyType(rejected)


def list_operations() -> Mapping[str, ListOperation]:
    """Every generated operation that follows the cursor convention, by module name (e.g. `segments_list`)."""
    return _discover()[0]


def list_operation(name: str) -> ListOperation:
    operations, rejected = _discover()
    if name in rejected:
        raise ValueError(f"the generated operation {name!r} does not follow the cursor convention: {rejected[name]}")
    if name not in operations:
        raise ValueError(f"no generated list operation {name!r}; known: {', '.join(sorted(operations)) or 'none'}")
    return operations[name]
