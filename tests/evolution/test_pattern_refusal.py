"""`make generate` refuses a document holding a pattern the client cannot check, and says where it is.

The client checks what it sends against the document's schemas with batch_rest._schema, which translates
ECMA-262 patterns for Python's re (wrapper/batch_rest/_ecma_regex.py) and refuses those with no equivalent. It
must refuse them when the client is generated (tools/openapi_pages.py's validation step), naming each by its
JSON pointer, rather than when a value is first checked. These run tools/generate.py as `make generate` does,
on the stored segments page mutated as a new upstream page could be.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[2]
SEGMENTS_PAGE = REPO / "openapi" / "pages" / "segments-list.json"
SEGMENT = "/components/schemas/oneSegment/properties"


def generate(tmp_path: Path, patterns: dict[str, str]) -> tuple[subprocess.CompletedProcess[str], Path]:
    """tools/generate.py on the segments page whose segment properties get `patterns` (property -> pattern)."""
    document: dict[str, Any] = json.loads(SEGMENTS_PAGE.read_text(encoding="utf-8"))
    for name, pattern in patterns.items():
        document["components"]["schemas"]["oneSegment"]["properties"][name]["pattern"] = pattern
    page = tmp_path / "pages" / SEGMENTS_PAGE.name
    page.parent.mkdir()
    page.write_text(json.dumps(document, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    output = tmp_path / "pkg" / "batch_rest_generated"
    command = [sys.executable, str(REPO / "tools" / "generate.py"), f"--page={page}", "--output", str(output)]
    result = subprocess.run(command, cwd=REPO, capture_output=True, text=True, timeout=180, check=False)
    return result, output


def test_a_pattern_with_no_python_equivalent_stops_generation_naming_its_pointer(tmp_path: Path) -> None:
    result, output = generate(tmp_path, {"code": "^(?<=a+)b", "display_name": r"^\p{Script=Greek}+$"})
    assert result.returncode == 1, result.stdout + result.stderr
    assert result.stderr.splitlines() == [
        "the merged document has 2 patterns the client cannot check (it checks what it sends with Python's re):",
        f"  {SEGMENT}/code/pattern: the pattern '^(?<=a+)b' has no Python equivalent: "
        "look-behind requires fixed-width pattern",
        f"  {SEGMENT}/display_name/pattern: the pattern '^\\\\p{{Script=Greek}}+$' has no Python equivalent: "
        "\\p{Script=Greek}: only General_Category values (L, Letter, Nd...) translate",
        "Replace them in batch-api.patch.json with an RFC 6902 replace at that pointer, by a pattern that means the "
        "same (see wrapper/batch_rest/_ecma_regex.py for what translates).",
    ]
    assert not output.exists()  # nothing written


def test_python_only_syntax_is_refused_too_though_python_compiles_it(tmp_path: Path) -> None:
    """The OpenAPI validator compiles patterns with Python's re: it would let these through."""
    result, output = generate(tmp_path, {"code": r"\Aabc", "display_name": "(?i)abc"})
    assert result.returncode == 1, result.stdout + result.stderr
    assert f"{SEGMENT}/code/pattern: the pattern '\\\\Aabc' has no Python equivalent" in result.stderr
    assert f"{SEGMENT}/display_name/pattern: the pattern '(?i)abc' has no Python equivalent" in result.stderr
    assert not output.exists()


def test_an_ecma_262_pattern_python_reads_once_translated_generates(tmp_path: Path) -> None:
    """\\p{L} is refused by Python's re as written (and so by the OpenAPI validator alone): the client reads it."""
    from batch_rest._schema import SchemaError, compile_schema

    result, output = generate(tmp_path, {"code": r"^\p{L}[\p{L}\d_-]*$"})
    assert result.returncode == 0, result.stdout + result.stderr
    document = json.loads((output / "openapi.json").read_text(encoding="utf-8"))
    assert document["components"]["schemas"]["oneSegment"]["properties"]["code"]["pattern"] == r"^\p{L}[\p{L}\d_-]*$"
    check = compile_schema(document, "#/components/schemas/oneSegment", strict=True)
    assert check({"code": "Été_2"}) == {"code": "Été_2"}
    for code in ("2x", "x٣", "x\n"):  # a digit first; a digit \d does not mean in ECMA-262; $ before a newline
        try:
            check({"code": code})
        except SchemaError:
            continue
        raise AssertionError(f"{code!r} was accepted")
