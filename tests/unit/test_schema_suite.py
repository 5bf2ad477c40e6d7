"""The official JSON-Schema-Test-Suite (draft 2020-12), run against batch_rest._schema in strict mode.

    tests/data/json-schema-test-suite/draft2020-12/   vendored from the suite, MIT (README.md there says whence)

Every case of every vendored file: compile the group's schema (`compile_schema(schema, "#", strict=True)`), then
check the case's data. Each case is one of

- agree:     the checker says valid / invalid as the suite does;
- disagree:  it says the opposite;
- exception: it raises anything but SchemaError, when compiling or when checking (a crash);
- refused:   SchemaError when compiling (UnsupportedSchema): the checker will not take the schema;
- skipped:   the group's schema uses what the checker does not claim (its module docstring's list), so that a
             verdict would mean nothing. SKIPPED lists these groups, with what they need, and is checked against
             the schemas themselves: a group is skipped only if listed, and listed only if it needs something
             unclaimed. They are not run, and not counted as agreeing.

The checker must agree on every case it claims: 0 disagreements, 0 exceptions, 0 refusals. The figures are
printed (`pytest -s`); `run_suite(module)` gives them for any version of the module.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from batch_rest import _schema

SUITE = Path(__file__).resolve().parent.parent / "data" / "json-schema-test-suite" / "draft2020-12"

# What _schema's docstring claims: the keywords it checks and the formats it asserts; and what it may ignore
# (annotations, and $defs, which only holds schemas for $ref to point at).
CLAIMED = frozenset({
    "$ref", "type", "enum", "const", "properties", "required", "additionalProperties", "items", "minItems",
    "maxItems", "minLength", "maxLength", "pattern", "minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum",
    "anyOf", "oneOf", "allOf", "format",
})  # fmt: skip
IGNORED = frozenset({"$schema", "$defs", "$comment", "title", "description", "default", "examples"})
FORMATS = frozenset({"date-time", "date"})
NOT_LOCAL = "a non-local $ref"

# The groups whose schema needs what the checker does not claim: file -> {group: what it needs}.
SKIPPED: dict[str, dict[str, str]] = {
    "additionalProperties.json": {
        "additionalProperties being false does not allow other properties": "patternProperties",
        "non-ASCII pattern with additionalProperties": "patternProperties",
        "additionalProperties with propertyNames": "propertyNames",
        "dependentSchemas with additionalProperties": "dependentSchemas",
    },
    "allOf.json": {
        "allOf combined with anyOf, oneOf": "multipleOf",
    },
    "items.json": {
        "items and subitems": "prefixItems",
        "prefixItems with no additional items allowed": "prefixItems",
        "items does not look in applicators, valid case": "prefixItems",
        "prefixItems validation adjusts the starting index for items": "prefixItems",
        "items with heterogeneous array": "prefixItems",
    },
    "optional/ecmascript-regex.json": {
        "\\a is not an ECMA 262 control escape": "a non-local $ref",
        "patterns always use unicode semantics with patternProperties": "patternProperties",
        "\\w in patternProperties matches [A-Za-z0-9_], not unicode letters": "patternProperties",
        "patternProperties with ASCII ranges": "patternProperties",
        "\\d in patternProperties matches [0-9], not unicode digits": "patternProperties",
        "patternProperties with non-ASCII digits": "patternProperties",
    },
    "optional/non-bmp-regex.json": {
        "Proper UTF-16 surrogate pair handling: patternProperties": "patternProperties",
    },
    "properties.json": {
        "properties, patternProperties, additionalProperties interaction": "patternProperties",
    },
    "ref.json": {
        "relative pointer ref to array": "prefixItems",
        "remote ref, containing refs itself": "a non-local $ref",
        "Recursive references between schemas": "$id, a non-local $ref",
        "ref creates new scope when adjacent to keywords": "unevaluatedProperties",
        "refs with relative uris and defs": "$id, a non-local $ref",
        "relative refs with absolute uris and defs": "$id, a non-local $ref",
        "$id must be resolved against nearest parent, not just immediate parent": "$id, a non-local $ref, not",
        "order of evaluation: $id and $ref": "$id, a non-local $ref",
        "order of evaluation: $id and $anchor and $ref": "$anchor, $id, a non-local $ref",
        "simple URN base URI with $ref via the URN": "$id, a non-local $ref",
        "simple URN base URI with JSON pointer": "$id",
        "URN base URI with NSS": "$id",
        "URN base URI with r-component": "$id",
        "URN base URI with q-component": "$id",
        "URN base URI with URN and JSON pointer ref": "$id, a non-local $ref",
        "URN base URI with URN and anchor ref": "$anchor, $id, a non-local $ref",
        "URN ref with nested pointer ref": "$id, a non-local $ref",
        "ref to if": "a non-local $ref, if",
        "ref to then": "a non-local $ref, then",
        "ref to else": "a non-local $ref, else",
        "ref with absolute-path-reference": "$id, a non-local $ref",
        "$id with file URI still resolves pointers - *nix": "$id",
        "$id with file URI still resolves pointers - windows": "$id",
    },
}


def unclaimed(schema: Any) -> set[str]:
    """What `schema` and its subschemas use that the checker does not claim."""
    if isinstance(schema, bool):
        return set()
    found: set[str] = set()
    for key, value in schema.items():
        if key not in CLAIMED | IGNORED:
            found.add(key)
        elif key == "format" and value not in FORMATS:
            found.add(f"format {value}")
        elif key == "$ref" and not (value == "#" or value.startswith("#/")):
            found.add(NOT_LOCAL)
        elif key in ("properties", "$defs"):
            found.update(*map(unclaimed, value.values()))
        elif key in ("additionalProperties", "items"):
            found.update(unclaimed(value))
        elif key in ("allOf", "anyOf", "oneOf"):
            found.update(*map(unclaimed, value))
    return found


def groups() -> Iterator[tuple[str, dict[str, Any]]]:
    """(file, group) for every group of every vendored file, in a stable order."""
    for path in sorted(SUITE.rglob("*.json")):
        for group in json.loads(path.read_text(encoding="utf-8")):
            yield path.relative_to(SUITE).as_posix(), group


def verdict(module: Any, schema: Any, data: Any, valid: bool) -> str:
    try:
        check = module.compile_schema(schema, "#", strict=True)
    except module.SchemaError:
        return "refused"
    except Exception:
        return "exception"
    try:
        check(data)
    except module.SchemaError:
        return "disagree" if valid else "agree"
    except Exception:
        return "exception"
    return "agree" if valid else "disagree"


def run_suite(module: Any = _schema) -> tuple[Counter[str], list[str]]:
    """The figures for `module` (a version of batch_rest._schema), and a line per case it does not agree on."""
    figures: Counter[str] = Counter()
    notes = []
    for file, group in groups():
        if group["description"] in SKIPPED.get(file, {}):
            figures["skipped"] += len(group["tests"])
            continue
        for case in group["tests"]:
            result = verdict(module, group["schema"], case["data"], case["valid"])
            figures[result] += 1
            if result != "agree":
                notes.append(f"{result}: {file}: {group['description']}: {case['description']}")
    return figures, notes


def summary(figures: Counter[str]) -> str:
    names = ("agree", "disagree", "exception", "refused", "skipped")
    return ", ".join(f"{figures[name]} {name}" for name in names) + f" (of {sum(figures.values())} cases)"


def test_the_checker_agrees_with_every_case_it_claims() -> None:
    figures, notes = run_suite()
    print(f"\nJSON-Schema-Test-Suite draft2020-12, strict: {summary(figures)}")
    assert not notes, "\n".join(notes)
    assert figures["agree"] > 500  # the files are there, and most of their cases are claimed


def test_exactly_the_groups_that_need_something_unclaimed_are_skipped() -> None:
    needs: dict[str, dict[str, str]] = {}
    for file, group in groups():
        if found := unclaimed(group["schema"]):
            needs.setdefault(file, {})[group["description"]] = ", ".join(sorted(found))
    assert needs == SKIPPED


def test_the_vendored_files_are_the_claimed_keywords_and_formats() -> None:
    files = {path.relative_to(SUITE).as_posix() for path in SUITE.rglob("*.json")}
    keywords = {name.removesuffix(".json") for name in files if "/" not in name}
    assert keywords == {k.removeprefix("$") for k in CLAIMED - {"format"}} | {
        "boolean_schema",
        "infinite-loop-detection",
    }
    assert {name for name in files if name.startswith("optional/format/")} == {
        f"optional/format/{name}.json" for name in FORMATS
    }
