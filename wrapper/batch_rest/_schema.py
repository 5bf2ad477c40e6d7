"""JSON Schema, as much of it as Batch's documents use, checked against decoded JSON.

    check = compile_schema(document, "#/components/schemas/EditProfile", strict=True)
    value = check(value)        # the value, or a copy with naive date-times made UTC; SchemaError otherwise

Two strengths, because the two directions deserve different treatment:

- strict, for what the client sends (and what the fake server receives): every keyword below.
- lenient, for what the client receives: structure only (types, array items, $ref, anyOf/oneOf/allOf), so
  that a server adding an enum value or a longer string does not break a client generated before it did.
  Length, pattern, enum, bounds, additionalProperties and `required` are not checked: the generated models
  raise for the required fields they model, and Batch's schemas require fields they do not describe
  (exports/view requires `requested_at`, a property it names `request_date`).

Both read `format: date-time` the way Batch's docs describe its dates (RFC 3339, UTC): a string
`datetime.fromisoformat` cannot read is an error, and one without an offset is read as UTC ("Z" is appended).

Keywords: $ref (local), type (one or a list), enum, const, properties, required, additionalProperties, items,
minItems, maxItems, minLength, maxLength, pattern, minimum, maximum, exclusiveMinimum, exclusiveMaximum,
anyOf, oneOf, allOf, format (date-time, date). Anything else is ignored, as JSON Schema says of unknown keywords.

Checks are compiled once per schema into closures; an array of flat objects (a page of segments) is checked
column by column, which costs a few microseconds per hundred items instead of tens.
"""

from __future__ import annotations

import datetime
import functools
import operator
import re
from collections import deque
from collections.abc import Callable, Mapping
from itertools import repeat
from typing import Any

Check = Callable[[Any], Any]

_MISSING = object()
_JSON_TYPES: dict[str, tuple[type, ...]] = {
    "string": (str,),
    "integer": (int,),
    "number": (int, float),
    "boolean": (bool,),
    "array": (list,),
    "object": (dict,),
    "null": (type(None),),
}
_STRICT_ONLY = ("enum", "const", "pattern", "minLength", "maxLength", "minimum", "maximum", "exclusiveMinimum",
                "exclusiveMaximum", "minItems", "maxItems")  # fmt: skip


class SchemaError(ValueError):
    """A value that does not match its schema. `path` leads to it (`["edits", 3, "identifiers"]`)."""

    def __init__(self, message: str, *, wrong_type: bool = False) -> None:
        super().__init__(message)
        self.message = message
        self.wrong_type = wrong_type  # a value of the wrong JSON type, rather than a wrong value of the right one
        self.path: deque[str | int] = deque()

    @property
    def where(self) -> str:
        """The path as an expression: `[3].identifiers.custom_id` (empty for the value itself)."""
        return "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in self.path).lstrip(".")

    def __str__(self) -> str:
        return f"{self.where}: {self.message}" if self.path else self.message


def describe(value: object) -> str:
    """A JSON value's type and a short excerpt, for messages."""
    kind = {dict: "an object", list: "an array", str: "a string", bool: "a boolean", type(None): "null"}.get(
        type(value), "a number" if isinstance(value, int | float) else type(value).__name__
    )
    text = repr(value)
    return kind if isinstance(value, dict | list) else f"{kind} ({text[:40]}{'...' if len(text) > 40 else ''})"


def compile_schema(document: Mapping[str, Any], pointer: str, *, strict: bool, shallow: bool = False) -> Check:
    """The check for the schema at `pointer` (a `#/...` JSON pointer) in `document`.

    shallow: the value's own keywords only (an array's maxItems), not its properties, items or alternatives.
    """
    return _Compiler(document, strict, shallow).at(pointer)


class _Compiler:
    def __init__(self, document: Mapping[str, Any], strict: bool, shallow: bool = False) -> None:
        self.document, self.strict, self.shallow = document, strict, shallow
        self.compiled: dict[str, Check] = {}

    def at(self, pointer: str) -> Check:
        if pointer not in self.compiled:

            def compiled_later(value: Any) -> Any:
                return self.compiled[pointer](value)

            # A placeholder first, so that a recursive schema refers to itself instead of recursing forever.
            self.compiled[pointer] = compiled_later
            self.compiled[pointer] = self.schema(node_at(self.document, pointer))
        return self.compiled[pointer]

    def schema(self, schema: Any) -> Check:
        if schema is True or not isinstance(schema, dict):
            return _identity
        if schema is False:
            return _fail("nothing is allowed here")
        if "$ref" in schema:
            return self.at(schema["$ref"])
        checks: list[Check] = []
        closed = schema.get("additionalProperties", True) is not True
        walks_object = "properties" in schema or (self.strict and ("required" in schema or closed))
        if "type" in schema and not (schema["type"] == "object" and walks_object and not self.shallow):
            checks.append(_type_check(schema["type"]))  # (an object's own walk checks its type: one call less)
        if self.strict:
            checks.extend(_strict_checks(schema))
        if schema.get("format") in {"date-time", "date"}:
            checks.append(_date_check(schema["format"]))
        if self.shallow:
            return _chain(checks)
        if walks_object:
            checks.append(self.object_check(schema))
        if "items" in schema:
            checks.append(self.array_check(schema["items"]))
        for keyword in ("allOf", "anyOf", "oneOf"):
            if keyword in schema:
                checks.append(self.combination(keyword, [self.schema(s) for s in schema[keyword]]))
        return _chain(checks)

    def object_check(self, schema: dict[str, Any]) -> Check:
        required = tuple(schema.get("required") or ()) if self.strict else ()
        extra = schema.get("additionalProperties", True) if self.strict else True
        extra_check = None if extra is True else self.schema(extra)
        properties = {key: self.schema(sub) for key, sub in (schema.get("properties") or {}).items()}
        if extra_check is None:  # a property that checks nothing costs a call per value for nothing
            properties = {key: check for key, check in properties.items() if check is not _identity}

        typed = schema.get("type") == "object"

        def check(value: Any) -> Any:
            if type(value) is not dict:
                if typed:
                    raise SchemaError(f"must be object, got {describe(value)}", wrong_type=True)
                return value  # not an object, and the schema does not say it must be one
            for key in required:
                if key not in value:
                    raise SchemaError(f"the required property {key!r} is missing")
            changed = None
            for key, item in value.items():
                sub = properties.get(key, extra_check)
                if sub is None:
                    continue
                try:
                    new = sub(item)
                except SchemaError as exc:
                    exc.path.appendleft(key)
                    raise
                if new is not item:
                    changed = changed or dict(value)
                    changed[key] = new
            return value if changed is None else changed

        return check

    def array_check(self, items: Any) -> Check:
        item_check = self.schema(items)
        columns = self.flat_columns(items)

        def check(value: Any) -> Any:
            if type(value) is not list:
                return value
            if columns is not None and _columns_fine(value, columns):
                return value
            changed = None
            for index, item in enumerate(value):
                try:
                    new = item_check(item)
                except SchemaError as exc:
                    exc.path.appendleft(index)
                    raise
                if new is not item:
                    changed = changed or list(value)
                    changed[index] = new
            return value if changed is None else changed

        return check

    def flat_columns(self, items: Any) -> tuple[tuple[str, frozenset[type], bool], ...] | None:
        """For items that are objects of scalars: (key, types allowed, is a date-time) per property; else None.

        Only for lenient checks: a strict schema's keywords (lengths, patterns...) need the item-by-item path.
        """
        if isinstance(items, dict) and "$ref" in items:
            items = schema_at(self.document, items["$ref"])
        if self.strict or not isinstance(items, dict) or items.get("type") != "object":
            return None
        columns = []
        for key, sub in (items.get("properties") or {}).items():
            if not isinstance(sub, dict) or set(sub) - {"type", "format", "description", "example", "title"}:
                return None
            kinds = sub.get("type")
            if not isinstance(kinds, str) or kinds in {"array", "object"}:
                return None
            columns.append((key, frozenset({*_JSON_TYPES[kinds], type(_MISSING)}), sub.get("format") == "date-time"))
        return tuple(columns)

    def combination(self, keyword: str, options: list[Check]) -> Check:
        if keyword == "allOf":
            return _chain(options)
        exactly_one = keyword == "oneOf" and self.strict  # lenient checks may let two branches match

        def check(value: Any) -> Any:
            matched, failures = [], []
            for option in options:
                try:
                    matched.append(option(value))
                except SchemaError as exc:
                    failures.append(str(exc))
            if not matched:
                raise SchemaError(f"matches none of the {keyword} alternatives ({'; '.join(failures)})")
            if exactly_one and len(matched) > 1:
                raise SchemaError(f"matches {len(matched)} of the oneOf alternatives, not exactly one")
            return matched[0]

        return check


def _columns_fine(value: list[Any], columns: tuple[tuple[str, frozenset[type], bool], ...]) -> bool:
    """Whether every item is an object whose properties have their types, and whose date-times end in "Z".

    False sends the array down the item-by-item path, which says what is wrong or reads a date-time without
    "Z" properly. `map` over `dict.get` runs at C speed: this is the cost of checking a page of segments. It
    raises TypeError on an item that is not an object, and a date-time ending in "Z" is necessarily a string.
    """
    count = len(value)
    try:
        for key, allowed, is_datetime in columns:
            found = map(dict.get, value, repeat(key, count), repeat("Z" if is_datetime else _MISSING, count))
            if not (set(map(_last, found)) <= {"Z"} if is_datetime else set(map(type, found)) <= allowed):
                return False
    except TypeError:
        return False
    return bool(columns) or set(map(type, value)) <= {dict}


_last = operator.itemgetter(slice(-1, None))
_fromisoformat = datetime.datetime.fromisoformat


def node_at(document: Mapping[str, Any], pointer: str) -> Any:
    """The node at a `#/...` JSON pointer (RFC 6901: `~1` is `/`, `~0` is `~`), `$ref`s not followed."""
    node: Any = document
    for escaped in pointer.removeprefix("#/").split("/") if pointer != "#" else ():
        token = escaped.replace("~1", "/").replace("~0", "~")
        node = node[int(token)] if isinstance(node, list) else node[token]
    return node


def schema_at(document: Mapping[str, Any], pointer: str) -> Any:
    """The schema at a `#/...` JSON pointer, its `$ref`s followed."""
    node = node_at(document, pointer)
    while isinstance(node, dict) and "$ref" in node:
        node = node_at(document, node["$ref"])
    return node


def _identity(value: Any) -> Any:
    return value


def _fail(message: str) -> Check:
    def check(value: Any) -> Any:
        raise SchemaError(message)

    return check


def _chain(checks: list[Check]) -> Check:
    if not checks:
        return _identity
    if len(checks) == 1:
        return checks[0]

    def check(value: Any) -> Any:
        for each in checks:
            value = each(value)
        return value

    return check


def _type_check(kinds: str | list[str]) -> Check:
    names = [kinds] if isinstance(kinds, str) else list(kinds)
    allowed = tuple(t for name in names for t in _JSON_TYPES.get(name, (object,)))
    booleans = "boolean" in names
    integral_floats = "integer" in names and "number" not in names
    wanted = " or ".join(names)

    def check(value: Any) -> Any:
        if isinstance(value, allowed) and (booleans or type(value) is not bool):
            return value
        if integral_floats and type(value) is float and value.is_integer():
            return value  # JSON has one number type: 3.0 is an integer
        raise SchemaError(f"must be {wanted}, got {describe(value)}", wrong_type=True)

    return check


def _date_check(kind: str) -> Check:
    def check(value: Any) -> Any:
        if type(value) is not str:
            return value
        try:
            parsed = _fromisoformat(value) if kind == "date-time" else datetime.date.fromisoformat(value)
        except ValueError:
            raise SchemaError(f"must be an RFC 3339 {kind}, got {describe(value)}") from None
        if kind == "date-time" and isinstance(parsed, datetime.datetime) and parsed.tzinfo is None:
            return value + "Z"  # Batch's dates are UTC: read one without an offset as such
        return value

    return check


@functools.cache
def _regex(pattern: str) -> re.Pattern[str]:
    return re.compile(pattern)


def _strict_checks(schema: dict[str, Any]) -> list[Check]:
    present = {k: schema[k] for k in _STRICT_ONLY if k in schema}
    if not present:
        return []

    def check(value: Any) -> Any:
        if "enum" in present and value not in present["enum"]:
            raise SchemaError(f"must be one of {', '.join(map(repr, present['enum']))}; got {describe(value)}")
        if "const" in present and value != present["const"]:
            raise SchemaError(f"must be {present['const']!r}, got {describe(value)}")
        if type(value) is str:
            if len(value) < present.get("minLength", 0):
                raise SchemaError(f"must be at least {present['minLength']} characters long")
            if len(value) > present.get("maxLength", len(value)):
                raise SchemaError(f"must be at most {present['maxLength']} characters long, got {len(value)}")
            if "pattern" in present and not _regex(present["pattern"]).search(value):
                raise SchemaError(f"must match {present['pattern']!r}, got {describe(value)}")
        elif type(value) is list:
            if len(value) < present.get("minItems", 0):
                raise SchemaError(f"must have at least {present['minItems']} items, got {len(value)}")
            if len(value) > present.get("maxItems", len(value)):
                raise SchemaError(f"must have at most {present['maxItems']} items, got {len(value)}")
        elif isinstance(value, int | float) and type(value) is not bool:
            for keyword, fails in _BOUNDS:
                if keyword in present and fails(value, present[keyword]):
                    raise SchemaError(f"must be {_BOUND_WORDS[keyword]} {present[keyword]}, got {value}")
        return value

    return [check]


_BOUNDS: tuple[tuple[str, Callable[[float, float], bool]], ...] = (
    ("minimum", lambda v, b: v < b),
    ("maximum", lambda v, b: v > b),
    ("exclusiveMinimum", lambda v, b: v <= b),
    ("exclusiveMaximum", lambda v, b: v >= b),
)
_BOUND_WORDS = {"minimum": "at least", "maximum": "at most", "exclusiveMinimum": "more than",
                "exclusiveMaximum": "less than"}  # fmt: skip
