"""A YAML document reads as the JSON of the same document (tools/json_yaml.py), or is refused with the reason.

The documents are built here: the fixture pages (tests/fixtures/pages: our reconstructions of Batch's pages, test
data) merged with the stored segments page, dumped as YAML, and small YAML texts with YAML 1.1's traps.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

REPO = Path(__file__).resolve().parents[2]
FIXTURE_PAGES = REPO / "tests" / "fixtures" / "pages"

sys.path.insert(0, str(REPO / "tools"))
import json_yaml  # noqa: E402
import openapi_pages  # noqa: E402
import update_spec  # noqa: E402


def pages() -> dict[str, Any]:
    found = {
        path.stem: json.loads(update_spec.extract_document(path.read_text(encoding="utf-8"), path.name))
        for path in sorted(FIXTURE_PAGES.glob("*.md"))
    }
    return found | {"segments-list": openapi_pages.load().pages["segments-list"].document}


def test_the_merged_fixture_pages_dumped_as_yaml_read_as_their_json() -> None:
    document = openapi_pages.merge(pages()).document
    as_json = json.loads(json.dumps(document))
    for style in ({}, {"default_flow_style": True}, {"allow_unicode": True, "width": 40}):
        text = yaml.safe_dump(document, sort_keys=False, **style)
        assert json_yaml.loads(text) == as_json
        assert json.dumps(json_yaml.loads(text)) == json.dumps(as_json)  # member order too


@pytest.mark.parametrize("name", sorted(path.stem for path in FIXTURE_PAGES.glob("*.md")))
def test_a_json_page_read_as_yaml_is_the_json(name: str) -> None:
    text = update_spec.extract_document((FIXTURE_PAGES / f"{name}.md").read_text(encoding="utf-8"), name)
    assert json.dumps(json_yaml.loads(text)) == json.dumps(json.loads(text))  # JSON is YAML 1.2


# What PyYAML's safe_load makes of them (YAML 1.1) is in the comments; the JSON of the same document is the value.
TRAPS = """\
released: 2024-01-01                 # datetime.date
stamp: 2001-12-14t21:59:43.10-05:00  # datetime.datetime
enabled: on                          # True
answer: yes                          # True
country: NO                          # False (Norway)
mode: off                            # False
octal: 0777                          # 511
clock: 1:20                          # 80
grouped: 1_000                       # 1000
200: OK                              # the integer 200 as a key
'404': quoted                        # a string key either way
"201": double-quoted
yes: a key                           # True as a key
yaml12_octal: 0o17                   # the string '0o17'
hex: 0x1F                            # 31
exponent: 1e3                        # the string '1e3'
float: 2.5
leading_dot: .5
true_: True
null_: ~
empty:
nulls: [null, Null, NULL]
bools: [true, false, TRUE, False]
version: "2.11"
unquoted_version: 2.11
same: &shared {type: string}
again: *shared
"""
TRAPS_AS_JSON = {
    "released": "2024-01-01",
    "stamp": "2001-12-14t21:59:43.10-05:00",
    "enabled": "on",
    "answer": "yes",
    "country": "NO",
    "mode": "off",
    "octal": 777,
    "clock": "1:20",
    "grouped": "1_000",
    "200": "OK",
    "404": "quoted",
    "201": "double-quoted",
    "yes": "a key",
    "yaml12_octal": 15,
    "hex": 31,
    "exponent": 1000.0,
    "float": 2.5,
    "leading_dot": 0.5,
    "true_": True,
    "null_": None,
    "empty": None,
    "nulls": [None, None, None],
    "bools": [True, False, True, False],
    "version": "2.11",
    "unquoted_version": 2.11,
    "same": {"type": "string"},
    "again": {"type": "string"},
}


def test_yaml_1_1_traps_read_as_yaml_1_2_and_json_would() -> None:
    value = json_yaml.loads(TRAPS)
    assert value == TRAPS_AS_JSON
    # == says True == 1 and 1.0 == 1; JSON does not: compare the JSON texts, which keep those apart
    assert json.dumps(value, sort_keys=True) == json.dumps(TRAPS_AS_JSON, sort_keys=True)
    assert yaml.safe_load(TRAPS)["enabled"] is True  # what the module guards against: PyYAML's own reading


def test_aliases_are_expanded_into_separate_copies() -> None:
    value = json_yaml.loads(TRAPS)
    value["same"]["type"] = "integer"  # a patch editing one place must not edit the other
    assert value["again"] == {"type": "string"}


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("a: !!timestamp 2024-01-01", "line 1, column 4: the tag !!timestamp has no JSON value"),
        ("a: !!binary aGk=", "the tag !!binary has no JSON value"),
        ("a: !custom x", "the tag !custom has no JSON value"),
        ("a: !!set {x}", "a map tagged !!set has no JSON value"),
        ("a: !!omap [{x: 1}]", "a seq tagged !!omap has no JSON value"),
        ("a: !!int true", "'true' is not a YAML 1.2 !!int"),
        ("a: !!python/object:os.system x", "the tag !!python/object:os.system has no JSON value"),
        ("!!int 200: a", "line 1, column 1: a key must be a string, this one is a !!int"),
        ("? [a, b]\n: c", "a key must be a string, this one is a !!seq"),
        ("a: 1\nb: 2\na: 3", "line 3, column 1: the key 'a' appears twice in one mapping"),
        ("200: a\n'200': b", "the key '200' appears twice"),
        ("base: &b {x: 1}\nc:\n  <<: *b", "line 3, column 3: a plain << key is a YAML 1.1 merge"),
        ("a: .inf", ".inf is not a finite number"),
        ("a: -.Inf", "-.Inf is not a finite number"),
        ("a: .NaN", ".NaN is not a finite number"),
        ("a: 1e999", "1e999 is not a finite number"),
        ("--- 1\n--- 2", "line 2, column 1: expected a single document in the stream"),
        ("a: [1, 2", "line 1, column 9: while parsing a flow sequence"),
        ("&a [*a]", "an alias refers to a collection holding it (a cycle)"),
        ("", "holds no YAML document"),
        ("[" * 20000 + "]" * 20000, "nested too deeply"),
    ],
)
def test_what_json_cannot_hold_is_refused_with_the_reason(text: str, reason: str) -> None:
    with pytest.raises(json_yaml.NotJsonError) as raised:
        json_yaml.loads(text)
    assert reason in str(raised.value)


def test_a_quoted_merge_key_is_a_plain_string() -> None:
    assert json_yaml.loads("'<<': x") == {"<<": "x"}


def test_aliases_may_not_expand_without_bound() -> None:
    laughs = ["a: &a [x, x, x, x, x, x, x, x, x, x]"]
    laughs += [f"{c}: &{c} [{', '.join([f'*{p}'] * 10)}]" for p, c in zip("abcdefg", "bcdefgh", strict=True)]
    with pytest.raises(json_yaml.NotJsonError, match=r"expands to more than 1,000,000 values"):
        json_yaml.loads("\n".join(laughs))
    assert len(json_yaml.loads("\n".join(laughs[:5]))["e"]) == 10  # 10^5 values: within the bound
