"""Read a YAML document as the JSON value it stands for, or refuse it with the reason.

    text --yaml.compose (PyYAML's safe loader: parser and composer only)--> nodes --_Reader--> JSON value

An OpenAPI document in YAML must give exactly what the same document in JSON gives. PyYAML's own constructors
follow YAML 1.1, whose implicit types surprise: `2024-01-01` becomes a `datetime.date`, `on`, `yes` and `NO`
(Norway) become booleans, `0777` is octal, `1:20` is 80, and a key `200:` is an integer. OpenAPI 3.1 recommends
YAML 1.2 "with tags limited to those allowed by the JSON Schema ruleset" and "keys limited to a scalar string, as
defined by the YAML Failsafe schema ruleset". So this module composes the node graph with PyYAML and builds the
values itself:

- a plain (unquoted) value resolves by YAML 1.2's core schema: `null`/`Null`/`NULL`/`~`/nothing, `true`/`false`
  (three spellings each), integers (decimal, `0o` octal, `0x` hex), floats; anything else is a string, so dates,
  `yes`, `on`, `1_000` and `1:20` stay the strings they are in the JSON;
- a plain key is a string, whatever it looks like (`200:` is "200"), as the failsafe schema reads it;
- explicit tags are JSON's only (`!!str`, `!!int`, `!!float`, `!!bool`, `!!null`, `!!seq`, `!!map`);
- refused, with the line: another tag (`!!timestamp`, `!!binary`, `!!set`, a custom one), a key that is not a
  string (`!!int 200:`, a sequence as a key), a duplicate key (YAML forbids them; JSON parsers silently keep one),
  a plain `<<` key (a YAML 1.1 merge, which YAML 1.2 and JSON do not have), `.inf` and `.nan`, more than one
  document, a recursive alias, and aliases expanding to more than MAX_VALUES values (a "billion laughs").

Aliases are expanded into separate copies, as the JSON would hold them: a patch editing one place never edits
another. A caveat the rules imply: a YAML 1.1 emitter (PyYAML's is one) leaves strings such as `1e5` or `0o17`
unquoted, which YAML 1.2 reads as numbers; the JSON twin of such a file would hold strings.
"""

from __future__ import annotations

import math
import re
from typing import Any

import yaml
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

MAX_VALUES = 1_000_000  # a 25-operation document holds ~50,000; aliases may not multiply beyond this

_TAG = "tag:yaml.org,2002:"
_PLAIN = "tag:batch-rest-client:plain"  # an untagged plain scalar: its type is ours to resolve
# YAML 1.2.2, 10.3.2 (core schema tag resolution)
_NULL = re.compile(r"null|Null|NULL|~|")
_TRUE = re.compile(r"true|True|TRUE")
_FALSE = re.compile(r"false|False|FALSE")
_INT = re.compile(r"[-+]?[0-9]+")
_OCTAL = re.compile(r"0o[0-7]+")
_HEX = re.compile(r"0x[0-9a-fA-F]+")
_FLOAT = re.compile(r"[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?")
_INFINITY = re.compile(r"[-+]?\.(inf|Inf|INF)|\.(nan|NaN|NAN)")
# What an explicitly tagged scalar may resolve to (`!!float 1` is 1.0; `!!int true` is refused).
_TYPED: dict[str, tuple[type, ...]] = {
    _TAG + "null": (type(None),),
    _TAG + "bool": (bool,),
    _TAG + "int": (int,),
    _TAG + "float": (int, float),
}
_JSON_TAGS = "JSON has only !!str, !!int, !!float, !!bool, !!null, !!seq and !!map"


class NotJsonError(ValueError):
    """The text is not YAML, or not a YAML document that is JSON; the message says where and why."""


class _Loader(yaml.SafeLoader):
    """PyYAML's safe parser and composer; untagged plain scalars keep a tag of ours, resolved by _Reader."""

    def resolve(self, kind: type[Node], value: str, implicit: tuple[bool, bool]) -> str:
        if kind is ScalarNode and implicit[0]:
            return _PLAIN
        return str(super().resolve(kind, value, implicit))


def _where(node: Node) -> str:
    mark = node.start_mark
    return f"line {mark.line + 1}, column {mark.column + 1}"


def _tag(node: Node) -> str:
    return "!!" + node.tag.removeprefix(_TAG) if node.tag.startswith(_TAG) else node.tag


class _Reader:
    def __init__(self) -> None:
        self.values = 0
        self.open: set[int] = set()  # the collections being read: an alias to one of them is a cycle

    def scalar(self, node: ScalarNode) -> Any:
        text, tag = node.value, node.tag
        if tag == _PLAIN:
            return self._core(node)
        if tag == _TAG + "str":
            return text
        wanted = _TYPED.get(tag)
        if wanted is None:
            raise NotJsonError(f"{_where(node)}: the tag {_tag(node)} has no JSON value ({_JSON_TAGS})")
        typed = self._core(node)
        if type(typed) not in wanted:
            raise NotJsonError(f"{_where(node)}: {text!r} is not a YAML 1.2 {_tag(node)}")
        return float(typed) if tag == _TAG + "float" else typed

    def _core(self, node: ScalarNode) -> Any:
        text = node.value
        if _NULL.fullmatch(text):
            return None
        if _TRUE.fullmatch(text) or _FALSE.fullmatch(text):
            return text[0] in "tT"
        if _INT.fullmatch(text):
            return int(text, 10)
        if _OCTAL.fullmatch(text) or _HEX.fullmatch(text):
            return int(text[2:], 8 if text[1] == "o" else 16)
        if _FLOAT.fullmatch(text):
            value = float(text)
            if math.isfinite(value):
                return value
        if _INFINITY.fullmatch(text) or _FLOAT.fullmatch(text):
            raise NotJsonError(f"{_where(node)}: {text} is not a finite number, which JSON cannot hold")
        return text

    def key(self, node: Node) -> str:
        if isinstance(node, ScalarNode) and node.tag == _PLAIN:
            if node.value == "<<":
                raise NotJsonError(
                    f"{_where(node)}: a plain << key is a YAML 1.1 merge, which YAML 1.2 and JSON do not have "
                    "(quoted, '<<' would be a plain string key)"
                )
            return str(node.value)  # the failsafe schema: a plain key is its text
        value = self.value(node)
        if not isinstance(value, str):
            raise NotJsonError(f"{_where(node)}: a key must be a string, this one is a {_tag(node)}")
        return value

    def value(self, node: Node) -> Any:
        self.values += 1
        if self.values > MAX_VALUES:
            raise NotJsonError(f"the document expands to more than {MAX_VALUES:,} values (aliases repeated?)")
        if isinstance(node, ScalarNode):
            return self.scalar(node)
        if id(node) in self.open:
            raise NotJsonError(f"{_where(node)}: an alias refers to a collection holding it (a cycle)")
        kind = "seq" if isinstance(node, SequenceNode) else "map"
        if node.tag != _TAG + kind:
            raise NotJsonError(f"{_where(node)}: a {kind} tagged {_tag(node)} has no JSON value ({_JSON_TAGS})")
        self.open.add(id(node))
        try:
            if isinstance(node, SequenceNode):
                return [self.value(item) for item in node.value]
            assert isinstance(node, MappingNode)
            result: dict[str, Any] = {}
            for key_node, value_node in node.value:
                key = self.key(key_node)
                if key in result:
                    raise NotJsonError(f"{_where(key_node)}: the key {key!r} appears twice in one mapping")
                result[key] = self.value(value_node)
            return result
        finally:
            self.open.discard(id(node))


def loads(text: str) -> Any:
    """The JSON value the YAML document `text` stands for. NotJsonError: the reason, with its line."""
    try:
        node = yaml.compose(text, Loader=_Loader)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        where = f"line {mark.line + 1}, column {mark.column + 1}: " if mark else ""
        raise NotJsonError(f"{where}{' '.join(filter(None, (exc.context, exc.problem)))}") from None
    except yaml.YAMLError as exc:
        raise NotJsonError(str(exc)) from None
    except RecursionError:
        raise NotJsonError("the document is nested too deeply") from None
    if node is None:
        raise NotJsonError("the text holds no YAML document")
    try:
        return _Reader().value(node)
    except RecursionError:
        raise NotJsonError("the document is nested too deeply") from None
