r"""JSON Schema (draft 2020-12, the dialect of OpenAPI 3.1), as much of it as Batch's documents use, checked
against decoded JSON.

    check = compile_schema(document, "#/components/schemas/EditProfile", strict=True)
    value = check(value)        # the value, or a copy with naive date-times made UTC; SchemaError otherwise

Two strengths, because the two directions deserve different treatment:

- strict, for what the client sends (and what the fake server receives): every keyword below.
- lenient, for what the client receives: structure only (types, properties, array items, $ref and its
  siblings, anyOf/oneOf/allOf, true/false schemas, the formats), so that a server adding an enum value or a
  longer string does not break a client generated before it did. Length, pattern, enum, const, bounds,
  additionalProperties and `required` are not checked, and oneOf may match more than one alternative: the
  generated models raise for the required fields they model, and Batch's schemas require fields they do not
  describe (exports/view requires `requested_at`, a property it names `request_date`).

Keywords: $ref (local: a `#/...` JSON pointer written as a URI fragment, so percent-encoded, with `~0` for `~`
and `~1` for `/`; its sibling keywords apply too, as draft 2020-12 says), type (one or a list), enum, const,
properties, required, additionalProperties, items, minItems, maxItems, minLength, maxLength, pattern, minimum,
maximum, exclusiveMinimum, exclusiveMaximum, anyOf, oneOf, allOf, format (date-time, date), and `true` /
`false` as schemas. Anything else is ignored, as JSON Schema says of unknown keywords. enum and const compare
as JSON does: `true` is not `1`, `1` is `1.0`, objects regardless of member order. The official
JSON-Schema-Test-Suite's cases for these keywords all pass in strict mode (tests/unit/test_schema_suite.py).

Both read `format: date-time` and `date` as RFC 3339 (ASCII digits, a real day, a leap second only at 23:59:60
UTC), with one relaxation, because Batch's docs say its dates are UTC: a date-time without an offset is read
as UTC ("Z" is appended to the value returned).

Patterns are ECMA-262 regular expressions, which Python's `re` reads differently in places (\d \w \b are
ASCII there, `$` is the end of the string, \p{L} exists...): `compile_pattern` translates them (_ecma_regex.py
says how). A pattern with no Python equivalent (a variable-length look-behind, \p{Script=Greek}) raises
UnsupportedSchema when its schema is compiled, never when a value is checked; tools/openapi_pages.py refuses
such a document when the client is generated.

Checks are compiled once per schema into closures; an array of flat objects (a page of segments) is checked
column by column, which costs a few microseconds per hundred items instead of tens: there a date-time
ending in "Z" is taken on trust (the generated model parses it), and a page that does not fit that path is
checked item by item.
"""

from __future__ import annotations

import datetime
import functools
import operator
import re
from collections import deque
from collections.abc import Callable, Iterable, Mapping
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
_ANNOTATIONS = frozenset({"title", "description", "example", "examples", "default", "$comment", "deprecated"})


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


class UnsupportedSchema(SchemaError):
    """A schema this module will not compile: a pattern with no Python equivalent, a $ref it cannot follow.

    Raised by compile_schema and compile_pattern, never by a check.
    """


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
    UnsupportedSchema if the schema, or one it refers to, cannot be compiled.
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
            self.compiled[pointer] = self.schema(_referred(self.document, pointer))
        return self.compiled[pointer]

    def schema(self, schema: Any) -> Check:
        if schema is False:
            return _fail("nothing is allowed here")
        if not isinstance(schema, dict):
            return _identity  # `true`, or not a schema at all
        if "$ref" in schema:
            return self.reference(schema)
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

    def reference(self, schema: dict[str, Any]) -> Check:
        """$ref and its siblings, both applying (draft 2020-12). A sibling that says what the schema referred to
        says already (`{"type": "object", "$ref": ...}` to an object schema) is not checked twice."""
        referred = _referred(self.document, schema["$ref"])
        siblings = {
            key: value
            for key, value in schema.items()
            if key != "$ref"
            and key not in _ANNOTATIONS
            and not (isinstance(referred, dict) and key in referred and _same(referred[key], value))
        }
        check = self.at(schema["$ref"])
        return _chain([check, self.schema(siblings)]) if siblings else check

    def object_check(self, schema: dict[str, Any]) -> Check:
        required = tuple(schema.get("required") or ()) if self.strict else ()
        extra = schema.get("additionalProperties", True) if self.strict else True
        if extra is False:
            extra_check: Check | None = _fail("is not allowed here: the schema lists the properties it allows")
        else:
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
            if set(items) - {"$ref", "type", *_ANNOTATIONS} or items.get("type", "object") != "object":
                return None  # siblings that say more than "an object": the item-by-item path applies them
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


def node_at(document: Mapping[str, Any], pointer: str) -> Any:
    """The node at a `#/...` JSON pointer, `$ref`s not followed.

    The pointer is a URI fragment (RFC 6901, section 6): percent-encoding is read first, then `~1` is `/` and
    `~0` is `~`. KeyError, IndexError or TypeError if the document has no such node.
    """
    node: Any = document
    if "%" in pointer:
        from urllib.parse import unquote  # noqa: PLC0415 - rare, and 2 ms that `batch-rest --help` does without

        pointer = unquote(pointer, errors="strict")
    for escaped in pointer.removeprefix("#/").split("/") if pointer != "#" else ():
        token = escaped.replace("~1", "/").replace("~0", "~")
        node = node[int(token)] if isinstance(node, list) else node[token]
    return node


def schema_at(document: Mapping[str, Any], pointer: str) -> Any:
    """The schema at a `#/...` JSON pointer, its `$ref`s followed (their siblings are not merged in)."""
    node = node_at(document, pointer)
    while isinstance(node, dict) and "$ref" in node:
        node = node_at(document, node["$ref"])
    return node


def _referred(document: Mapping[str, Any], pointer: Any) -> Any:
    """node_at, for a $ref: UnsupportedSchema rather than KeyError when it cannot be followed."""
    if not isinstance(pointer, str) or not (pointer == "#" or pointer.startswith("#/")):
        raise UnsupportedSchema(f"$ref {pointer!r}: only local references (#/...) are supported")
    try:
        return node_at(document, pointer)
    except (KeyError, IndexError, TypeError, ValueError):
        raise UnsupportedSchema(f"$ref {pointer!r} leads nowhere in the document") from None


def _identity(value: Any) -> Any:
    return value


def _fail(message: str) -> Check:
    def check(value: Any) -> Any:
        raise SchemaError(message)

    return check


def _chain(checks: list[Check]) -> Check:
    checks = [each for each in checks if each is not _identity]
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


# -- JSON equality, for enum and const ----------------------------------------------------------------------


def _json_key(value: Any) -> Any:
    """A hashable stand-in, equal for equal JSON values: `1` is `1.0`, `true` is not `1` (Python says it is),
    objects are equal whatever their members' order. A string stands for itself; something that is not JSON
    equals nothing but itself."""
    kind = type(value)
    if kind is str or value is None:
        return value
    if kind is bool:
        return ("boolean", value)
    if kind is int or kind is float:
        return ("number", value)
    if kind is list:
        return ("array", tuple(map(_json_key, value)))
    if kind is dict:
        return ("object", frozenset((key, _json_key(item)) for key, item in value.items()))
    return ("other", id(value))


def _same(one: Any, other: Any) -> bool:
    return bool(_json_key(one) == _json_key(other))


# -- formats ------------------------------------------------------------------------------------------------

_fromisoformat = datetime.datetime.fromisoformat


@functools.cache
def _shapes() -> dict[str, re.Pattern[str]]:
    """RFC 3339's date and date-time (a missing offset allowed), compiled on first use rather than at import."""
    date = "[0-9]{4}-[0-9]{2}-[0-9]{2}"
    offset = "[Zz]|[+-](?:[01][0-9]|2[0-3]):[0-5][0-9]"
    return {
        "date": re.compile(date),
        "date-time": re.compile(f"{date}[Tt][0-9]{{2}}:[0-9]{{2}}:([0-9]{{2}})(?:\\.[0-9]+)?({offset})?"),
    }


def _real_date_time(value: str, seconds: str) -> bool:
    """Whether a string shaped as an RFC 3339 date-time names a real moment (a leap second: 23:59:60 UTC)."""
    text = value.upper()
    if seconds == "60":
        text = f"{text[:17]}59{text[19:]}"  # datetime has no leap seconds: check the second before, then the hour
    try:
        parsed = _fromisoformat(text)
    except ValueError:
        return False
    if seconds == "60":
        utc = parsed.astimezone(datetime.UTC) if parsed.tzinfo else parsed
        return (utc.hour, utc.minute) == (23, 59)
    return True


def _date_check(kind: str) -> Check:
    shape = _shapes()[kind]

    def check(value: Any) -> Any:
        if type(value) is not str:
            return value
        found = shape.fullmatch(value)
        if found and kind == "date" and _real_date(value):
            return value
        if found and kind == "date-time" and _real_date_time(value, found[1]):
            return value if found[2] else value + "Z"  # Batch's dates are UTC: read one without an offset as such
        raise SchemaError(f"must be an RFC 3339 {kind}, got {describe(value)}")

    return check


def _real_date(value: str) -> bool:
    try:
        datetime.date.fromisoformat(value)
    except ValueError:
        return False
    return True


# -- the strict keywords ------------------------------------------------------------------------------------


def _strict_checks(schema: dict[str, Any]) -> list[Check]:
    """The checks of the keywords only strict mode reads; patterns are compiled here, so refused here."""
    checks = []
    if "enum" in schema:
        checks.append(_enum_check(schema["enum"]))
    if "const" in schema:
        checks.append(_enum_check([schema["const"]], const=True))
    if {"minLength", "maxLength", "pattern"} & schema.keys():
        checks.append(_string_check(schema.get("minLength", 0), schema.get("maxLength"), schema.get("pattern")))
    if {"minItems", "maxItems"} & schema.keys():
        checks.append(_array_bounds(schema.get("minItems", 0), schema.get("maxItems")))
    if bounds := [(keyword, schema[keyword]) for keyword in _BOUNDS if keyword in schema]:
        checks.append(_number_check(bounds))
    return checks


def _enum_check(allowed: Iterable[Any], *, const: bool = False) -> Check:
    values = list(allowed)
    keys = frozenset(map(_json_key, values))
    wanted = f"{values[0]!r}," if const else f"one of {', '.join(map(repr, values))};"

    def check(value: Any) -> Any:
        if (value if type(value) is str else _json_key(value)) in keys:
            return value
        raise SchemaError(f"must be {wanted} got {describe(value)}")

    return check


def _string_check(shortest: int, longest: int | None, pattern: str | None) -> Check:
    regex = None if pattern is None else compile_pattern(pattern)

    def check(value: Any) -> Any:
        if type(value) is not str:
            return value
        if len(value) < shortest:
            raise SchemaError(f"must be at least {shortest} characters long")
        if longest is not None and len(value) > longest:
            raise SchemaError(f"must be at most {longest} characters long, got {len(value)}")
        if regex is not None and not regex.search(value):
            raise SchemaError(f"must match {pattern!r}, got {describe(value)}")
        return value

    return check


def _array_bounds(fewest: int, most: int | None) -> Check:
    def check(value: Any) -> Any:
        if type(value) is not list:
            return value
        if len(value) < fewest:
            raise SchemaError(f"must have at least {fewest} items, got {len(value)}")
        if most is not None and len(value) > most:
            raise SchemaError(f"must have at most {most} items, got {len(value)}")
        return value

    return check


def _number_check(bounds: list[tuple[str, float]]) -> Check:
    tests = [(_BOUNDS[keyword][0], bound, f"must be {_BOUNDS[keyword][1]} {bound}") for keyword, bound in bounds]

    def check(value: Any) -> Any:
        if type(value) is bool or not isinstance(value, int | float):
            return value
        for fails, bound, message in tests:
            if fails(value, bound):
                raise SchemaError(f"{message}, got {value}")
        return value

    return check


_BOUNDS: dict[str, tuple[Callable[[float, float], bool], str]] = {
    "minimum": (operator.lt, "at least"),
    "maximum": (operator.gt, "at most"),
    "exclusiveMinimum": (operator.le, "more than"),
    "exclusiveMaximum": (operator.ge, "less than"),
}


# -- patterns -------------------------------------------------------------------------------------------------


@functools.cache
def compile_pattern(pattern: str) -> re.Pattern[str]:
    r"""`pattern`, an ECMA-262 regular expression, as a Python regex that matches the same strings (the
    translation: batch_rest/_ecma_regex.py). UnsupportedSchema if there is none: a construct Python's re lacks (a
    variable-length look-behind, a Unicode property other than General_Category), or one that ECMA-262 does not
    have and Python would read as something else (\A, \Z, inline flags).
    """
    from ._ecma_regex import python_regex  # noqa: PLC0415 - only for schemas with patterns

    try:
        return re.compile(python_regex(pattern), re.ASCII)
    except re.error as exc:
        raise UnsupportedSchema(f"the pattern {pattern!r} has no Python equivalent: {exc.msg}") from None
