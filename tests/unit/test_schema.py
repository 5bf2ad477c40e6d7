"""batch_rest._schema beyond the official suite (test_schema_suite.py): ECMA-262 patterns translated or refused
when compiled, JSON equality, $ref with siblings and escaped pointers, false schemas, dates, the lenient mode."""

from __future__ import annotations

import datetime
import re
from typing import Any

import pytest

from batch_rest._schema import SchemaError, UnsupportedSchema, compile_pattern, compile_schema, node_at


def strict(schema: Any, **defs: Any) -> Any:
    return compile_schema({"$defs": defs, "root": schema}, "#/root", strict=True)


def lenient(schema: Any, **defs: Any) -> Any:
    return compile_schema({"$defs": defs, "root": schema}, "#/root", strict=False)


def accepts(check: Any, value: Any) -> bool:
    try:
        check(value)
    except SchemaError:
        return False
    return True


# -- patterns -----------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("pattern", "matching", "not_matching"),
    [
        ("^abc$", ["abc"], ["abc\n"]),  # $ is the end of the string, not before a final newline
        ("^.$", ["a", "é", "🐲"], ["\n", "\r", "\u2028", "\u2029"]),
        (r"^\d+$", ["042"], ["٣", "\u07c0"]),  # ASCII digits only
        (r"^\w+$", ["a_Z9"], ["é"]),
        (r"\bfoo\b", ["éfoo", "a foo"], ["afoo"]),  # é is not a word character in ECMA-262
        (r"^\s+$", [" \t\n\u00a0\ufeff\u2003\u3000"], ["\u200b", "a"]),
        (r"^[\S]$", ["a"], ["\ufeff", " "]),
        (r"^[^\d\s]+$", ["ab", "٣"], ["a1", "a b"]),
        (r"^\p{L}+$", ["école", "Ωμέγα"], ["école1", ""]),
        (r"^\p{Letter}\p{Lu}$", ["aB"], ["ab"]),
        (r"^\p{gc=Nd}$", ["٣", "7"], ["a"]),
        (r"^\p{General_Category=Decimal_Number}$", ["\u09ea"], ["x"]),  # BENGALI DIGIT FOUR
        (r"^\P{L}$", ["1", " "], ["é"]),
        (r"^\p{ASCII}+\p{Any}$", ["a\n", "a🐲"], ["é1", "a"]),
        (r"^\P{Assigned}$", ["\U0010fffe"], ["a"]),
        (r"^[\p{Lu}\d]+$", ["AB12"], ["ab"]),
        (r"^[^\P{Ll}]+$", ["abc"], ["aBc"]),
        (r"^\cJ\cj$", ["\n\n"], ["cJcj"]),
        (r"^\u{1F432}\uD83D\uDC32\u00e9$", ["🐲🐲é"], ["🐲🐉é"]),
        (r"^\x41\0$", ["A\0"], ["A"]),
        (r"^(?<year>[0-9]{4})-\k<year>$", ["2020-2020"], ["2020-2021"]),
        (r"^(a)\1$", ["aa"], ["ab"]),
        (r"^[^]$", ["\n", "x"], ["", "xy"]),
        ("^[]$", [], ["", "x"]),
        (r"^[a\-z\]]+$", ["a-z]"], ["b"]),
        (r"^[\b]$", ["\b"], ["b"]),
        (r"^\/\.$", ["/."], ["/a"]),
        ("^[a-zA-Z0-9_-]+$", ["audience_1-b"], ["has space"]),  # the kind Batch's documents have
        ("(?<=a)b", ["ab"], ["cb"]),
        ("^(?:a|b)(?=c)(?!d)", ["ac"], ["ad"]),
    ],
)
def test_patterns_match_what_ecma_262_matches(pattern: str, matching: list[str], not_matching: list[str]) -> None:
    check = strict({"type": "string", "pattern": pattern})
    assert [text for text in matching if not accepts(check, text)] == []
    assert [text for text in not_matching if accepts(check, text)] == []


@pytest.mark.parametrize(
    ("pattern", "why"),
    [
        ("(?<=a+)b", "look-behind requires fixed-width pattern"),  # ECMA-262 allows it, Python's re does not
        (r"\p{Script=Greek}", r"\p{Script=Greek}: only General_Category values (L, Letter, Nd...) translate"),
        (r"\p{Alphabetic}", r"\p{Alphabetic}: only General_Category values (L, Letter, Nd...) translate"),
        ("(?i)abc", "(?i is not an ECMA-262 group"),  # Python's inline flags
        ("(?P<n>a)", "(?P is not an ECMA-262 group"),
        (r"\Aabc", r"\A is not an ECMA-262 escape"),  # Python's start of string; not ECMA-262
        (r"abc\Z", r"\Z is not an ECMA-262 escape"),
        (r"\a", r"\a is not an ECMA-262 escape"),
        (r"[\1]", r"\1 is not an ECMA-262 escape"),
        (r"\01", r"\0 is not an ECMA-262 escape"),
        ("[abc", "a character class is not closed"),
        ("abc\\", "a lone backslash at the end"),
        (r"\u12", "'12' is not a hexadecimal escape"),
        ("(a", "missing ), unterminated subpattern"),
    ],
)
def test_a_pattern_with_no_python_equivalent_is_refused_when_compiled(pattern: str, why: str) -> None:
    with pytest.raises(UnsupportedSchema) as refused:
        strict({"properties": {"name": {"type": "string", "pattern": pattern}}})
    assert str(refused.value) == f"the pattern {pattern!r} has no Python equivalent: {why}"
    assert isinstance(refused.value, SchemaError)
    with pytest.raises(UnsupportedSchema):
        compile_pattern(pattern)


def test_a_lenient_check_does_not_read_patterns() -> None:
    assert lenient({"type": "string", "pattern": "(?<=a+)b"})("anything") == "anything"


def test_compile_pattern_gives_a_python_regex() -> None:
    regex = compile_pattern(r"^\p{Lu}\w*$")
    assert isinstance(regex, re.Pattern)
    assert regex.search("Été") is None  # \w is ASCII
    assert regex.search("Ete_1") is not None


# -- enum and const: JSON equality --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("allowed", "equal", "different"),
    [
        ([1], [1, 1.0], [True, "1"]),
        ([True], [True], [1, 1.0, "true"]),
        ([0], [0, 0.0, -0.0], [False, None, "", []]),
        ([[1, {"a": False}]], [[1.0, {"a": False}]], [[True, {"a": False}], [1, {"a": 0}]]),
        ([{"a": 1, "b": [None]}], [{"b": [None], "a": 1.0}], [{"a": 1}, {"a": True, "b": [None]}]),
        (["x", None], ["x", None], ["y", 0, False]),
    ],
)
def test_enum_and_const_compare_as_json_does(allowed: list[Any], equal: list[Any], different: list[Any]) -> None:
    checks = [strict({"enum": allowed})] + ([strict({"const": allowed[0]})] if len(allowed) == 1 else [])
    for check in checks:
        assert [value for value in equal if not accepts(check, value)] == []
        assert [value for value in different if accepts(check, value)] == []


def test_a_value_that_is_not_json_is_refused_by_an_enum_not_crashed_on() -> None:
    check = strict({"properties": {"plan": {"enum": ["gold", 1]}, "day": {"const": "2020-01-01"}}})
    for body in ({"plan": datetime.date(2020, 1, 1)}, {"plan": {1, 2}}, {"day": datetime.date(2020, 1, 1)}):
        with pytest.raises(SchemaError, match=r"^(plan: must be one of 'gold', 1; |day: must be '2020-01-01', )got"):
            check(body)


# -- $ref ---------------------------------------------------------------------------------------------------


def test_the_siblings_of_a_ref_apply_strict_and_lenient() -> None:
    item = {"type": "object", "properties": {"n": {"type": "integer"}}}
    schema = {"$ref": "#/$defs/item", "required": ["n"], "properties": {"n": {"maximum": 3}}, "type": "object"}
    check = strict(schema, item=item)
    assert check({"n": 3}) == {"n": 3}
    with pytest.raises(SchemaError, match="^n: must be at most 3, got 4$"):
        check({"n": 4})
    with pytest.raises(SchemaError, match="required property 'n' is missing"):
        check({})
    with pytest.raises(SchemaError, match="^n: must be integer"):
        check({"n": "3"})
    listing = lenient({"$ref": "#/$defs/list", "items": {"type": "string"}}, list={"type": "array"})
    with pytest.raises(SchemaError, match=r"^\[0\]: must be string"):
        listing([1])
    with pytest.raises(SchemaError, match="^must be object, got an array$"):  # both apply: no value is both
        lenient({"$ref": "#/$defs/item", "type": "array"}, item=item)([])


def test_a_page_of_objects_behind_a_ref_with_type_object_keeps_the_column_by_column_check() -> None:
    """Batch's segments list says `items: {"type": "object", "$ref": ...}`: the sibling says nothing new."""
    from batch_rest._schema import _Compiler

    document = {"$defs": {"one": {"type": "object", "properties": {"code": {"type": "string"}}}}}
    compiler = _Compiler(document, strict=False)
    assert compiler.flat_columns({"type": "object", "$ref": "#/$defs/one", "description": "x"}) is not None
    assert compiler.flat_columns({"$ref": "#/$defs/one", "maxItems": 1}) is None  # says more: item by item


@pytest.mark.parametrize(
    ("ref", "key"),
    [("#/$defs/a~1b", "a/b"), ("#/$defs/a~0b", "a~b"), ("#/$defs/a%25b", "a%b"), ("#/$defs/a%22b", 'a"b'),
     ("#/$defs/%7E01", "~1")],
)  # fmt: skip
def test_ref_pointers_are_uri_fragments_percent_decoded_then_unescaped(ref: str, key: str) -> None:
    check = strict({"$ref": ref}, **{key: {"type": "integer"}})
    assert check(1) == 1
    with pytest.raises(SchemaError, match="must be integer"):
        check("1")
    assert node_at({"$defs": {key: 5}}, ref) == 5


@pytest.mark.parametrize(
    ("ref", "message"),
    [
        ("#/$defs/missing", "$ref '#/$defs/missing' leads nowhere in the document"),
        ("#/$defs/x/items/3", "$ref '#/$defs/x/items/3' leads nowhere in the document"),
        ("other.json#/a", "$ref 'other.json#/a': only local references (#/...) are supported"),
        ("#anchor", "$ref '#anchor': only local references (#/...) are supported"),
    ],
)
def test_a_ref_that_cannot_be_followed_is_refused_when_compiled(ref: str, message: str) -> None:
    with pytest.raises(UnsupportedSchema) as refused:
        strict({"properties": {"a": {"$ref": ref}}}, x={"items": [{}]})
    assert str(refused.value) == message


def test_a_recursive_schema_checks_every_level() -> None:
    check = strict({"$ref": "#/$defs/node"}, node={"type": "object", "properties": {"child": {"$ref": "#/$defs/node"}}})
    assert check({"child": {"child": {}}}) == {"child": {"child": {}}}
    with pytest.raises(SchemaError, match=r"^child\.child: must be object"):
        check({"child": {"child": 1}})


# -- true and false ------------------------------------------------------------------------------------------


def test_additional_properties_false_refuses_an_undocumented_property_by_name() -> None:
    check = strict({"properties": {"a": {}}, "additionalProperties": False})
    assert check({"a": 1}) == {"a": 1}
    with pytest.raises(SchemaError, match=r"^b: is not allowed here: the schema lists the properties it allows$"):
        check({"a": 1, "b": 2})
    assert lenient({"properties": {"a": {}}, "additionalProperties": False})({"b": 2}) == {"b": 2}


def test_false_refuses_everything_and_true_nothing_strict_and_lenient() -> None:
    for compile_ in (strict, lenient):
        with pytest.raises(SchemaError, match="nothing is allowed here"):
            compile_({"items": False})([1])
        assert compile_({"items": True})([1]) == [1]


# -- formats ------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "returned"),
    [
        ("2026-11-26T10:00:00Z", "2026-11-26T10:00:00Z"),
        ("2026-11-26T10:00:00.123456+02:00", "2026-11-26T10:00:00.123456+02:00"),
        ("2026-11-26t10:00:00z", "2026-11-26t10:00:00z"),
        ("2026-11-26T10:00:00", "2026-11-26T10:00:00Z"),  # Batch's dates are UTC
        ("2016-12-31T23:59:60Z", "2016-12-31T23:59:60Z"),  # a leap second
        ("2016-12-31T15:59:60-08:00", "2016-12-31T15:59:60-08:00"),
    ],
)
def test_rfc_3339_date_times_are_read_with_naive_ones_as_utc(value: str, returned: str) -> None:
    for compile_ in (strict, lenient):
        assert compile_({"type": "string", "format": "date-time"})(value) == returned


@pytest.mark.parametrize(
    "value",
    ["2026-11-26", "2026-11-26 10:00:00Z", "2026-11-26T10:00Z", "2026-02-30T10:00:00Z", "2026-11-26T10:00:60Z",
     "2026-11-26T10:00:00+24:00", "2026-11-26T10:00:00+0100", "20261126T100000Z", "2026-11-2٦T10:00:00Z"],
)  # fmt: skip
def test_what_rfc_3339_does_not_call_a_date_time_is_refused(value: str) -> None:
    for compile_ in (strict, lenient):
        with pytest.raises(SchemaError, match="must be an RFC 3339 date-time"):
            compile_({"type": "string", "format": "date-time"})(value)


@pytest.mark.parametrize("value", ["2026-02-29", "2026-W01-1", "20261126", "2026-1-01", "2026-11-26T00:00:00Z"])
def test_what_rfc_3339_does_not_call_a_date_is_refused(value: str) -> None:
    with pytest.raises(SchemaError, match="must be an RFC 3339 date"):
        strict({"format": "date"})(value)
    assert strict({"format": "date"})("2024-02-29") == "2024-02-29"


# -- lenient ------------------------------------------------------------------------------------------------


def test_a_lenient_check_reads_structure_not_values() -> None:
    schema = {
        "type": "object",
        "required": ["a"],
        "additionalProperties": False,
        "properties": {"kind": {"enum": ["x"]}, "name": {"type": "string", "maxLength": 1, "pattern": "^a"}},
    }
    assert lenient(schema)({"kind": "y", "name": "bcd", "extra": 1}) == {"kind": "y", "name": "bcd", "extra": 1}
    with pytest.raises(SchemaError, match="^name: must be string"):
        lenient(schema)({"name": 1})
