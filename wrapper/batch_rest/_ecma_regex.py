r"""ECMA-262 regular expressions, the dialect of JSON Schema's `pattern`, rewritten for Python's `re`.

    re.compile(python_regex(r"^\p{L}+$"), re.ASCII)    # what batch_rest._schema.compile_pattern does

The two dialects read most patterns alike. Where they differ, construct by construct:

    \d \D \w \W \b \B   ASCII in ECMA-262: kept, and compiled with re.ASCII (Python's are Unicode)
    \s \S               Unicode white space and line terminators, and U+FEFF: written out as ranges
    .                   any character but \n \r U+2028 U+2029 (Python's excludes \n only)
    $                   the end of the string only: \Z (Python's $ also matches before a final \n)
    \p{..} \P{..}       a General_Category (L, Letter, Lu, Nd, digit...; gc= and General_Category=
                        optional), Any, ASCII, Assigned: ranges from this Python's unicodedata
    \cX \u{..} \uD83D\uDC32 (a surrogate pair) \0    the character they name
    (?<name>..) \k<name>    Python's (?P<name>..) and (?P=name)
    [] [^]              nothing, anything (Python reads a `]` there as a character)

What has no Python equivalent raises re.error: a variable-length look-behind (re's own error), another Unicode
property (\p{Script=Greek}), and what ECMA-262 does not have but Python reads as something (\A \Z \a, inline
flags, (?P...)). Standard library only; imported by batch_rest._schema on the first pattern it compiles.
"""

from __future__ import annotations

import functools
import re

Ranges = tuple[tuple[int, int], ...]  # code point ranges, inclusive, sorted


def python_regex(pattern: str) -> str:
    """The Python regex (to compile with re.ASCII) for an ECMA-262 `pattern`; re.error if there is none."""
    out: list[str] = []
    index = 0
    while index < len(pattern):
        char = pattern[index]
        if char == "\\":
            found, index = _escape(pattern, index + 1, in_class=False)
            out.append(found if isinstance(found, str) else _outside(found))
        elif char == "[":
            piece, index = _char_class(pattern, index + 1)
            out.append(piece)
        elif char == "(" and pattern.startswith("?", index + 1):
            piece, index = _group_opening(pattern, index + 2)
            out.append(piece)
        else:
            out.append(_PYTHON_READS_OTHERWISE.get(char, char))
            index += 1
    return "".join(out)


_PYTHON_READS_OTHERWISE = {".": r"[^\n\r\u2028\u2029]", "$": r"\Z"}


def _outside(found: int | Ranges) -> str:
    """A character or a class, outside brackets."""
    return re.escape(chr(found)) if isinstance(found, int) else f"[{_ranges(found)}]"


def _char_class(pattern: str, index: int) -> tuple[str, int]:
    """The bracketed class whose `[` is just before `index`, and the index after its `]`."""
    negated = pattern.startswith("^", index)
    index += negated
    parts: list[str] = []
    while index < len(pattern) and pattern[index] != "]":
        char = pattern[index]
        if char == "\\":
            found, index = _escape(pattern, index + 1, in_class=True)
            if isinstance(found, str):
                raise re.error(f"\\{pattern[index - 1]} cannot be used in a character class")
            parts.append(_ranges(found) if isinstance(found, tuple) else _char(found))
        else:  # a character, or the `-` of a range, which Python reads alike
            parts.append(char if char == "-" or char.isalnum() else _char(ord(char)))
            index += 1
    if index == len(pattern):
        raise re.error("a character class is not closed")
    if not parts:  # ECMA-262's [] matches nothing and [^] anything; Python reads `]` there as a character
        return ("(?s:.)" if negated else "(?!)"), index + 1
    return f"[{'^' * negated}{''.join(parts)}]", index + 1


def _group_opening(pattern: str, index: int) -> tuple[str, int]:
    """What follows `(?` (at `index`): the Python for it, and the index after it."""
    for opening in (":", "=", "!", "<=", "<!"):
        if pattern.startswith(opening, index):
            return f"(?{opening}", index + len(opening)
    if pattern.startswith("<", index) and (end := pattern.find(">", index)) > 0:
        return f"(?P<{pattern[index + 1 : end]}>", end + 1
    raise re.error(f"(?{pattern[index : index + 1]} is not an ECMA-262 group")


def _escape(pattern: str, index: int, *, in_class: bool) -> tuple[int | Ranges | str, int]:
    """The escape whose backslash is just before `index`: a character (its code point), a class (ranges) or
    Python syntax (str); and the index after it."""
    char = pattern[index : index + 1]
    if not char:
        raise re.error("a lone backslash at the end")
    if char in "dDwWsS":
        ranges = _CLASS_ESCAPES[char.lower()]
        return (ranges if char.islower() else _complement(ranges)), index + 1
    if char in "pP" and pattern.startswith("{", index + 1) and (end := pattern.find("}", index)) > 0:
        ranges = _property(pattern[index + 2 : end])
        return (ranges if char == "p" else _complement(ranges)), end + 1
    if char == "b" and in_class:
        return 0x08, index + 1  # backspace, in a class
    if char in ("b", "B"):
        return f"\\{char}", index + 1
    if char == "c" and pattern[index + 1 : index + 2].isascii() and pattern[index + 1 : index + 2].isalpha():
        return ord(pattern[index + 1]) % 32, index + 2
    if char == "u" and pattern.startswith("{", index + 1) and (end := pattern.find("}", index)) > 0:
        return _hex(pattern[index + 2 : end], 1, 6), end + 1
    if char == "u":
        code = _hex(pattern[index + 1 : index + 5], 4, 4)
        low = pattern[index + 7 : index + 11] if pattern.startswith("\\u", index + 5) else ""
        if 0xD800 <= code < 0xDC00 and len(low) == 4 and 0xDC00 <= (low_code := _hex(low, 4, 4)) < 0xE000:
            return 0x10000 + (code - 0xD800) * 0x400 + low_code - 0xDC00, index + 11  # a surrogate pair
        return code, index + 5
    if char == "x":
        return _hex(pattern[index + 1 : index + 3], 2, 2), index + 3
    if char in _CONTROL_ESCAPES:
        return _CONTROL_ESCAPES[char], index + 1
    if char == "0" and pattern[index + 1 : index + 2] not in tuple("0123456789"):
        return 0, index + 1  # (\0 then a digit is not ECMA-262: it is refused below)
    if char in "123456789" and not in_class:
        end = index + 1
        while pattern[end : end + 1].isdigit() and pattern[end].isascii():
            end += 1
        return f"(?:\\{pattern[index:end]})", end  # a back reference
    if char == "k" and pattern.startswith("<", index + 1) and (end := pattern.find(">", index)) > 0:
        return f"(?P={pattern[index + 2 : end]})", end + 1
    if char.isascii() and char.isalnum():
        raise re.error(f"\\{char} is not an ECMA-262 escape")
    return ord(char), index + 1  # \. \/ \- ...: the character itself


def _hex(digits: str, fewest: int, most: int) -> int:
    if not (fewest <= len(digits) <= most and all(d in "0123456789abcdefABCDEF" for d in digits)):
        raise re.error(f"{digits!r} is not a hexadecimal escape")
    if (code := int(digits, 16)) > 0x10FFFF:
        raise re.error(f"{digits!r} is beyond Unicode")
    return code


def _char(code: int) -> str:
    return f"\\U{code:08x}"


def _ranges(ranges: Ranges) -> str:
    return "".join(_char(low) if low == high else f"{_char(low)}-{_char(high)}" for low, high in ranges)


def _complement(ranges: Ranges) -> Ranges:
    result, start = [], 0
    for low, high in ranges:
        if low > start:
            result.append((start, low - 1))
        start = high + 1
    return (*result, (start, 0x10FFFF)) if start <= 0x10FFFF else tuple(result)


_CONTROL_ESCAPES = {"t": 0x09, "n": 0x0A, "v": 0x0B, "f": 0x0C, "r": 0x0D}
_CLASS_ESCAPES: dict[str, Ranges] = {
    "d": ((0x30, 0x39),),
    "w": ((0x30, 0x39), (0x41, 0x5A), (0x5F, 0x5F), (0x61, 0x7A)),
    # ECMA-262's WhiteSpace (with U+FEFF and the Space_Separator characters) and LineTerminator.
    "s": ((0x09, 0x0D), (0x20, 0x20), (0xA0, 0xA0), (0x1680, 0x1680), (0x2000, 0x200A), (0x2028, 0x2029),
          (0x202F, 0x202F), (0x205F, 0x205F), (0x3000, 0x3000), (0xFEFF, 0xFEFF)),
}  # fmt: skip

# General_Category (Unicode's PropertyValueAliases.txt): the groups of values, and the long names.
_CATEGORY_GROUPS = {
    "L": ("Lu", "Ll", "Lt", "Lm", "Lo"), "LC": ("Lu", "Ll", "Lt"), "M": ("Mn", "Mc", "Me"), "N": ("Nd", "Nl", "No"),
    "P": ("Pc", "Pd", "Ps", "Pe", "Pi", "Pf", "Po"), "S": ("Sm", "Sc", "Sk", "So"), "Z": ("Zs", "Zl", "Zp"),
    "C": ("Cc", "Cf", "Cs", "Co", "Cn"),
}  # fmt: skip
_CATEGORIES = frozenset(value for group in "LMNPSZC" for value in _CATEGORY_GROUPS[group])
_CATEGORY_NAMES = {
    "Letter": "L", "Cased_Letter": "LC", "Uppercase_Letter": "Lu", "Lowercase_Letter": "Ll",
    "Titlecase_Letter": "Lt", "Modifier_Letter": "Lm", "Other_Letter": "Lo", "Mark": "M", "Combining_Mark": "M",
    "Nonspacing_Mark": "Mn", "Spacing_Mark": "Mc", "Enclosing_Mark": "Me", "Number": "N", "Decimal_Number": "Nd",
    "digit": "Nd", "Letter_Number": "Nl", "Other_Number": "No", "Punctuation": "P", "punct": "P",
    "Connector_Punctuation": "Pc", "Dash_Punctuation": "Pd", "Open_Punctuation": "Ps", "Close_Punctuation": "Pe",
    "Initial_Punctuation": "Pi", "Final_Punctuation": "Pf", "Other_Punctuation": "Po", "Symbol": "S",
    "Math_Symbol": "Sm", "Currency_Symbol": "Sc", "Modifier_Symbol": "Sk", "Other_Symbol": "So", "Separator": "Z",
    "Space_Separator": "Zs", "Line_Separator": "Zl", "Paragraph_Separator": "Zp", "Other": "C", "Control": "Cc",
    "cntrl": "Cc", "Format": "Cf", "Surrogate": "Cs", "Private_Use": "Co", "Unassigned": "Cn",
}  # fmt: skip


def _property(name: str) -> Ranges:
    """The code points of \\p{name}: a General_Category value (`gc=` or `General_Category=` optional), Any,
    ASCII or Assigned."""
    value = name.removeprefix("General_Category=").removeprefix("gc=")
    if value in ("Any", "ASCII"):
        return ((0, 0x10FFFF if value == "Any" else 0x7F),)
    if value == "Assigned":
        return _complement(_property("Cn"))
    short = _CATEGORY_NAMES.get(value, value)
    categories = _CATEGORY_GROUPS.get(short, (short,))
    if not set(categories) <= _CATEGORIES:
        raise re.error(f"\\p{{{name}}}: only General_Category values (L, Letter, Nd...) translate")
    table = _category_table()
    return tuple(sorted(r for category in categories for r in table.get(category, ())))


@functools.cache
def _category_table() -> dict[str, list[tuple[int, int]]]:
    """Every General_Category's code point ranges, from unicodedata (a pass over 1.1M code points, ~0.15 s, made
    the first time a pattern uses \\p)."""
    import unicodedata  # noqa: PLC0415 - only for \p

    table: dict[str, list[tuple[int, int]]] = {}
    start, current = 0, unicodedata.category("\0")
    for code in range(1, 0x110000):
        category = unicodedata.category(chr(code))
        if category != current:
            table.setdefault(current, []).append((start, code - 1))
            start, current = code, category
    table.setdefault(current, []).append((start, 0x10FFFF))
    return table
