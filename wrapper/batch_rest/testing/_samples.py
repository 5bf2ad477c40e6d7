"""Sample JSON values for a document's schemas: what the fake server answers with.

    samples = Samples(document, seed=0)
    samples.value("#/components/schemas/oneAudience", 3)   # item number 3 of a list (0 for a single answer)

The document's own examples come first: value 0 is a schema's `example` (or `examples[0]`, or `default`) as
written, and value i of a list varies it so that items differ: a string gets `-i` appended, an RFC 3339
timestamp moves i x 10 minutes later (plus a seeded jitter), a number grows by i. A varied example that the
schema refuses falls back to the example itself.

Without an example, values are built from the schema: `const`, an `enum` member (seeded), every property of an
object (required or not, plus any property `required` names without describing it), `max(minItems, 1)` array
items, strings of the right length, format (date-time, date, email, uri, uuid) and pattern where a few simple
candidates match it, numbers within their bounds, the first branch of anyOf/oneOf that validates, allOf merged.

Every value is checked against its schema with the strict checks the client uses for what it sends
(batch_rest._schema); `SampleError` says where a schema asked for something this module cannot build (a pattern
none of the candidates match, say), so that the fake server can answer a clear 500 rather than a wrong body.
Values are a pure function of (document, seed, pointer, index): a million list items cost no memory.
"""

from __future__ import annotations

import datetime
import functools
import hashlib
import math
import re
import time
import uuid
from collections.abc import Mapping
from typing import Any

from batch_rest._schema import Check, SchemaError, compile_schema, node_at

__all__ = ["SPACING", "SampleError", "Samples", "timestamp"]

SPACING = 600  # seconds between two list items' timestamps, so that they increase with the index
_EPOCH = 1_546_300_800  # 2019-01-01T00:00:00Z
_DATE_TIME = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})")
_UNBOUNDED_SPAN = 1000  # numbers without bounds are drawn from [0, 1000)


class SampleError(Exception):
    """No value this module can build validates against the schema at `pointer`."""


def timestamp(seconds: int) -> str:
    """RFC 3339, UTC, whole seconds: how Batch writes its dates."""
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(seconds))


def base_time(seed: int) -> int:
    """The seeded moment the data set's timestamps start from (within 2019), shared with the segments."""
    salt = hashlib.blake2b(repr(seed).encode(), digest_size=16).digest()
    return _EPOCH + int.from_bytes(salt[:4], "big") % (365 * 86_400)


class Samples:
    """The values of one document's schemas for one seed (see the module docstring)."""

    def __init__(self, document: Mapping[str, Any], seed: int = 0) -> None:
        self.document, self.seed = document, seed
        self.salt = hashlib.blake2b(repr(seed).encode(), digest_size=16).digest()
        self._start = base_time(seed)
        self._checks: dict[str, Check] = {}

    def value(self, pointer: str, index: int = 0) -> Any:
        """Value number `index` of the schema at `pointer` (a "#/..." JSON pointer); SampleError if none fits."""
        value = self._build(pointer, index, _hint(pointer))
        self._validate(pointer, value)
        return value

    # -- building --------------------------------------------------------------------------------------------

    def _build(self, pointer: str, index: int, hint: str) -> Any:
        schema = node_at(self.document, pointer)
        if not isinstance(schema, dict):  # `true` or `{}`-like: anything goes
            return f"{hint}-{index}"
        if "$ref" in schema:
            return self._build(schema["$ref"], index, hint)
        if "const" in schema:
            return schema["const"]
        for keyword in ("example", "default"):
            if keyword in schema and (found := self._from_example(pointer, schema[keyword], index)) is not _NONE:
                return found
        examples = schema.get("examples")
        if (
            isinstance(examples, list)
            and examples
            and (found := self._from_example(pointer, examples[0], index)) is not _NONE
        ):
            return found
        if isinstance(schema.get("enum"), list) and schema["enum"]:
            return schema["enum"][self._key(pointer, index) % len(schema["enum"])]
        for keyword in ("anyOf", "oneOf"):
            if keyword in schema:
                return self._first_branch(pointer, keyword, len(schema[keyword]), index, hint)
        if "allOf" in schema:
            return self._all_of(pointer, len(schema["allOf"]), index, hint)
        kind = _kind(schema)
        if kind == "object":
            return self._object(pointer, schema, index)
        if kind == "array":
            return self._array(pointer, schema, index, hint)
        if kind in {"integer", "number"}:
            return self._number(pointer, schema, index, kind)
        if kind == "boolean":
            return self._key(pointer, index) % 2 == 0
        if kind == "null":
            return None
        return self._string(pointer, schema, index, hint)

    def _from_example(self, pointer: str, example: Any, index: int) -> Any:
        """The example varied for `index`, else the example itself, if the schema takes it; else _NONE."""
        for candidate in (self._vary(pointer, example, index), example):
            if self._fits(pointer, candidate):
                return candidate
        return _NONE

    def _vary(self, pointer: str, example: Any, index: int) -> Any:
        if index == 0 or isinstance(example, bool):
            return example
        if isinstance(example, int | float):
            return example + index
        if not isinstance(example, str):
            return example
        if _DATE_TIME.fullmatch(example):
            moment = datetime.datetime.fromisoformat(example).timestamp()
            return timestamp(int(moment) + self._offset(index))
        return f"{example}-{index}"

    def _first_branch(self, pointer: str, keyword: str, count: int, index: int, hint: str) -> Any:
        for number in range(count):
            candidate = self._build(f"{pointer}/{keyword}/{number}", index, hint)
            if self._fits(pointer, candidate):
                return candidate
        raise SampleError(f"{pointer}: none of the {keyword} branches gives a value that fits the schema")

    def _all_of(self, pointer: str, count: int, index: int, hint: str) -> Any:
        parts = [self._build(f"{pointer}/allOf/{number}", index, hint) for number in range(count)]
        if all(isinstance(part, dict) for part in parts):
            return {key: value for part in parts for key, value in part.items()}
        return parts[0]

    def _object(self, pointer: str, schema: dict[str, Any], index: int) -> dict[str, Any]:
        value = {
            name: self._build(f"{pointer}/properties/{_escape(name)}", index, name)
            for name in schema.get("properties") or {}
        }
        for name in schema.get("required") or ():
            if name not in value:  # required but not described (exports/view's `requested_at`): any JSON will do
                value[name] = f"{name}-{index}"
        return value

    def _array(self, pointer: str, schema: dict[str, Any], index: int, hint: str) -> list[Any]:
        length = max(schema.get("minItems", 0), 1)
        length = min(length, schema.get("maxItems", length))
        # Items number from 0 in every array: an item of list item 7 is not item 7 of anything.
        return [self._build(f"{pointer}/items", number, hint) for number in range(length)] if "items" in schema else []

    def _number(self, pointer: str, schema: dict[str, Any], index: int, kind: str) -> int | float:
        low, high = _bounds(schema)
        if low is None:
            low = 0 if high is None or high >= _UNBOUNDED_SPAN else high - _UNBOUNDED_SPAN + 1
        if high is None:
            high = low + _UNBOUNDED_SPAN - 1
        number = low + self._key(pointer, index) % max(high - low + 1, 1)
        if kind == "number" and number + 0.5 <= high:
            return number + 0.5
        return number

    def _string(self, pointer: str, schema: dict[str, Any], index: int, hint: str) -> str:
        moment = self._start + self._offset(index)
        formatted = {
            "date-time": timestamp(moment),
            "date": timestamp(moment)[:10],
            "email": f"{hint}.{index}@example.com",
            "uri": f"https://example.com/{hint}/{index}",
            "url": f"https://example.com/{hint}/{index}",
            "uuid": str(uuid.UUID(int=self._key(pointer, index) << 64 | self._key(f"{pointer}/uuid", index))),
        }.get(schema.get("format", ""))
        plain = re.sub(r"[^A-Za-z0-9_]", "", hint) or "value"
        candidates = [formatted] if formatted else []
        candidates += [f"{hint}-{index}", f"{plain}_{index}", f"{plain.lower()}{index}", str(index), plain.upper()]
        low, high = schema.get("minLength", 0), schema.get("maxLength")
        for text in (candidate.ljust(low, "x")[:high] for candidate in candidates):
            if self._fits(pointer, text):
                return text
        raise SampleError(f"{pointer}: no simple string fits {schema.get('pattern') or 'the schema'}")

    # -- helpers ---------------------------------------------------------------------------------------------

    def _key(self, pointer: str, index: int) -> int:
        """A seeded number for this schema and index: the same every run, different per seed."""
        digest = hashlib.blake2b(f"{pointer}#{index}".encode(), digest_size=8, salt=self.salt).digest()
        return int.from_bytes(digest, "big")

    def _offset(self, index: int) -> int:
        """Seconds from the first item's timestamps to item `index`'s: increasing, with a seeded jitter. The same
        for every timestamp of one item, so that a pair such as created/updated keeps its order."""
        return index * SPACING + self._key("#time", index) % SPACING if index else 0

    def _check(self, pointer: str) -> Check:
        if pointer not in self._checks:
            self._checks[pointer] = compile_schema(self.document, pointer, strict=True)
        return self._checks[pointer]

    def _fits(self, pointer: str, value: Any) -> bool:
        try:
            self._check(pointer)(value)
        except (SchemaError, RecursionError):
            return False
        return True

    def _validate(self, pointer: str, value: Any) -> None:
        try:
            self._check(pointer)(value)
        except SchemaError as exc:
            raise SampleError(f"{pointer}: the value built does not fit the schema ({exc})") from None


_NONE = object()  # "no value", where None is a JSON value


def _bounds(schema: dict[str, Any]) -> tuple[int | None, int | None]:
    """The smallest and largest integers a number schema allows (None: unbounded on that side)."""

    def number(keyword: str) -> list[float]:
        value = schema.get(keyword)
        return [value] if isinstance(value, int | float) and not isinstance(value, bool) else []

    lows = [math.ceil(v) for v in number("minimum")] + [math.floor(v) + 1 for v in number("exclusiveMinimum")]
    highs = [math.floor(v) for v in number("maximum")] + [math.ceil(v) - 1 for v in number("exclusiveMaximum")]
    return (max(lows) if lows else None), (min(highs) if highs else None)


def _kind(schema: dict[str, Any]) -> str:
    kinds = schema.get("type")
    if isinstance(kinds, list):
        kinds = next((k for k in kinds if k != "null"), "null")
    if isinstance(kinds, str):
        return kinds
    if "properties" in schema or "required" in schema or "additionalProperties" in schema:
        return "object"
    return "array" if "items" in schema else "string"


@functools.cache
def _hint(pointer: str) -> str:
    """A name for values of the schema at `pointer`: its property name, or its component's name."""
    tokens = [t for t in pointer.split("/") if t not in {"#", "items", "schema"} and not t.isdigit()]
    return tokens[-1].replace("~1", "/").replace("~0", "~") if tokens else "value"


def _escape(token: str) -> str:
    return token.replace("~", "~0").replace("/", "~1")
