"""Take a new upstream OpenAPI document, regenerate the package from it, and summarise what changed.

    make update-spec SOURCE=<docs page .md, or a .json file>

SOURCE is Batch's docs page for the endpoint (markdown, e.g. https://doc.batch.com/developer/api/cep/segments/list.md,
whose OpenAPI description is the ```json block holding an object with an "openapi" key; the page's other blocks,
such as response examples, are ignored) or a plain JSON file. The document must be OpenAPI 3.x.

1. The exact JSON text (plus a trailing newline) is staged and regenerated through tools/generate.py, with our
   patch (openapi/batch-api.patch.json) and config. If that fails (typically: the patch no longer applies to
   the new shape), nothing in the repository is touched and the previous document stays.
2. Otherwise it becomes openapi/batch-api.upstream.json, generated/ is replaced by the new package, and the
   provenance lines of openapi/README.md (extraction date, SHA-256) are updated, or printed when they cannot be.
3. The summary compares the old and new generated packages: operations (api modules) added or removed, with
   their parameters and documented statuses; models added or removed, and fields per model; the document's
   servers default version and info.version, before -> after.
"""

from __future__ import annotations

import argparse
import ast
import datetime
import hashlib
import json
import re
import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from generate import server_facts  # tools/ is on sys.path: this script's own folder

ROOT = Path(__file__).resolve().parent.parent
UPSTREAM = ROOT / "openapi" / "batch-api.upstream.json"
README = ROOT / "openapi" / "README.md"
GENERATED = ROOT / "generated" / "batch_rest_generated"
GENERATE = ROOT / "tools" / "generate.py"

_FENCE_OPEN = re.compile(r"^(?P<indent> {0,3})(?P<fence>`{3,}|~{3,})(?P<info>.*)$")
_OPENAPI_VERSION = re.compile(r"3\.\d+(\.\d+)?")
_PROVENANCE = re.compile(
    r"Extracted on (?P<date>\d{4}-\d{2}-\d{2}); SHA-256 of the JSON block as extracted \(without the trailing "
    r"newline\):\n`(?P<sha>[0-9a-f]{64})`\."
)


class UpdateError(Exception):
    """Something the user must fix; printed without a traceback."""


# -- the document -------------------------------------------------------------------------------------------


def fenced_blocks(text: str) -> list[tuple[str, str]]:
    """(info string, content) of each fenced code block of a markdown text (CommonMark's rules, simplified)."""
    blocks = []
    lines = text.splitlines()
    i = 0
    while i < len(lines):
        opening = _FENCE_OPEN.match(lines[i])
        if opening is None or (opening["fence"][0] == "`" and "`" in opening["info"]):
            i += 1
            continue
        fence, indent = opening["fence"], len(opening["indent"])
        closing = re.compile(rf"^ {{0,3}}{re.escape(fence[0])}{{{len(fence)},}}[ \t]*$")
        content: list[str] = []
        i += 1
        while i < len(lines) and not closing.match(lines[i]):
            line = lines[i]
            content.append(line[min(indent, len(line) - len(line.lstrip(" "))) :])
            i += 1
        blocks.append((opening["info"].strip(), "\n".join(content)))
        i += 1
    return blocks


def _is_openapi(text: str) -> bool:
    try:
        value = json.loads(text)
    except ValueError:
        return False
    return isinstance(value, dict) and "openapi" in value


def extract_document(text: str, source_name: str) -> str:
    """The document's JSON text, exactly as in the source, without trailing line breaks."""
    text = text.removeprefix("\ufeff")
    if source_name.endswith(".json") or text.lstrip().startswith("{"):
        try:
            json.loads(text)
        except ValueError as exc:
            raise UpdateError(f"{source_name} is not valid JSON: {exc}") from None
        return text.strip()
    blocks = fenced_blocks(text.replace("\r\n", "\n"))
    found = list(dict.fromkeys(body.strip() for _, body in blocks if _is_openapi(body.strip())))
    if not found:
        raise UpdateError(
            f"{source_name}: none of its {len(blocks)} fenced code blocks holds an OpenAPI document (a JSON object "
            'with an "openapi" key). Give the docs page of the endpoint (its .md address) or a JSON file.'
        )
    if len(found) > 1:
        raise UpdateError(f"{source_name} holds {len(found)} different OpenAPI documents; give the one to use as JSON")
    return found[0]


def validate(document: object) -> str:
    """Raise UpdateError unless `document` is an OpenAPI 3.x document; say how thoroughly it was checked."""
    if not isinstance(document, dict):
        raise UpdateError(f"the document is a JSON {type(document).__name__}, not an object")
    version = document.get("openapi")
    if not isinstance(version, str) or not _OPENAPI_VERSION.fullmatch(version):
        raise UpdateError(f"not an OpenAPI 3.x document: openapi is {version!r}")
    info = document.get("info")
    if not isinstance(info, dict) or not isinstance(info.get("version"), str):
        raise UpdateError("not an OpenAPI document: no info.version")
    if not isinstance(document.get("paths"), dict) or not document["paths"]:
        raise UpdateError("the document describes no paths")
    try:
        from openapi_spec_validator import validate as validate_spec
    except ImportError:
        return f"OpenAPI {version} (structure only: openapi-spec-validator is not installed)"
    try:
        validate_spec(document)
    except Exception as exc:  # noqa: BLE001 - the validator's exceptions vary between versions; report any
        raise UpdateError(f"not a valid OpenAPI {version} document: {str(exc).splitlines()[0]}") from None
    return f"OpenAPI {version}, valid (openapi-spec-validator)"


def _server_facts(document: dict[str, Any] | None) -> tuple[str | None, str | None]:
    """(servers default version, info.version) of a document."""
    if document is None:
        return None, None
    _, variables, version = server_facts(document)
    return variables.get("version"), version


# -- the generated package's shape --------------------------------------------------------------------------


@dataclass
class Operation:
    parameters: dict[str, str]  # name -> annotation, as `_get_kwargs` takes them
    statuses: tuple[int, ...]  # the statuses `_parse_response` knows


@dataclass
class Shape:
    operations: dict[str, Operation] = field(default_factory=dict)  # "<tag>/<module>"
    models: dict[str, dict[str, str]] = field(default_factory=dict)  # class -> field -> annotation
    files: dict[str, bytes] = field(default_factory=dict)


def _function(tree: ast.Module, name: str) -> ast.FunctionDef | None:
    return next((n for n in tree.body if isinstance(n, ast.FunctionDef) and n.name == name), None)


def _operation(tree: ast.Module) -> Operation:
    parameters: dict[str, str] = {}
    get_kwargs = _function(tree, "_get_kwargs")
    if get_kwargs is not None:
        arguments = get_kwargs.args
        for arg in [*arguments.posonlyargs, *arguments.args, *arguments.kwonlyargs]:
            parameters[arg.arg] = ast.unparse(arg.annotation) if arg.annotation else "?"
    statuses: set[int] = set()
    parse_response = _function(tree, "_parse_response")
    for node in ast.walk(parse_response) if parse_response is not None else ():
        if (
            isinstance(node, ast.Compare)
            and ast.unparse(node.left) == "response.status_code"
            and isinstance(node.ops[0], ast.Eq)
            and isinstance(node.comparators[0], ast.Constant)
            and isinstance(node.comparators[0].value, int)
        ):
            statuses.add(node.comparators[0].value)
    return Operation(parameters, tuple(sorted(statuses)))


def _models(tree: ast.Module) -> dict[str, dict[str, str]]:
    models = {}
    for node in tree.body:
        if isinstance(node, ast.ClassDef):
            models[node.name] = {
                item.target.id: ast.unparse(item.annotation)
                for item in node.body
                if isinstance(item, ast.AnnAssign)
                and isinstance(item.target, ast.Name)
                and item.target.id != "additional_properties"
            }
    return models


def package_shape(package: Path) -> Shape:
    shape = Shape()
    if not package.is_dir():
        return shape
    for path in sorted(package.rglob("*.py")):
        if "__pycache__" in path.parts:
            continue
        relative = path.relative_to(package)
        tree = ast.parse(path.read_text(encoding="utf-8"))
        if relative.parts[0] == "api" and len(relative.parts) == 3 and path.name != "__init__.py":
            shape.operations[f"{relative.parts[1]}/{path.stem}"] = _operation(tree)
        elif relative.parts[0] == "models" and path.name != "__init__.py":
            shape.models.update(_models(tree))
    shape.files = {
        p.relative_to(package).as_posix(): p.read_bytes()
        for p in package.rglob("*")
        if p.is_file() and "__pycache__" not in p.parts
    }
    return shape


def _names(names: object) -> str:
    return ", ".join(sorted(names))  # type: ignore[call-overload]


def _field_changes(before: dict[str, str], after: dict[str, str]) -> list[str]:
    changes = [f"+ {name}: {after[name]}" for name in after if name not in before]
    changes += [f"- {name}: {before[name]}" for name in before if name not in after]
    changes += [
        f"~ {name}: {before[name]} -> {after[name]}" for name in after if name in before and before[name] != after[name]
    ]
    return changes


def summarise(old: Shape, new: Shape, old_doc: dict[str, Any] | None, new_doc: dict[str, Any]) -> list[str]:
    """What changed, one line per fact; [] when the generated package is the same."""
    lines = []
    for label, before, after in zip(
        ("servers default version", "info.version"), _server_facts(old_doc), _server_facts(new_doc), strict=True
    ):
        lines.append(f"{label}: {before} -> {after}" if before != after else f"{label}: {after} (unchanged)")
    added_ops = new.operations.keys() - old.operations.keys()
    removed_ops = old.operations.keys() - new.operations.keys()
    if added_ops:
        lines.append(f"operations added: {_names(added_ops)}")
    if removed_ops:
        lines.append(f"operations removed: {_names(removed_ops)}")
    for name in sorted(new.operations.keys() & old.operations.keys()):
        before, after = old.operations[name], new.operations[name]
        changes = [f"parameter {c}" for c in _field_changes(before.parameters, after.parameters)]
        if added := sorted(set(after.statuses) - set(before.statuses)):
            changes.append(f"responses added: {', '.join(map(str, added))}")
        if removed := sorted(set(before.statuses) - set(after.statuses)):
            changes.append(f"responses removed: {', '.join(map(str, removed))}")
        lines.extend(f"operation {name}: {change}" for change in changes)
    added_models = new.models.keys() - old.models.keys()
    removed_models = old.models.keys() - new.models.keys()
    if added_models:
        lines.append(f"models added: {_names(added_models)}")
        lines.extend(f"model {name}: {', '.join(new.models[name]) or 'no fields'}" for name in sorted(added_models))
    if removed_models:
        lines.append(f"models removed: {_names(removed_models)}")
    for name in sorted(new.models.keys() & old.models.keys()):
        lines.extend(f"model {name}: {change}" for change in _field_changes(old.models[name], new.models[name]))
    changed_files = sorted(
        name for name in old.files.keys() | new.files.keys() if old.files.get(name) != new.files.get(name)
    )
    if not changed_files:
        return []
    lines.append(f"generated files changed: {', '.join(changed_files)}")
    return lines


# -- the steps ----------------------------------------------------------------------------------------------


def _regenerate(document_text: str, scratch: Path) -> Path:
    """The package generated from `document_text` (in `scratch`), through tools/generate.py."""
    staged = scratch / UPSTREAM.name
    staged.write_text(document_text + "\n", encoding="utf-8")
    package = scratch / "package" / GENERATED.name
    command = [sys.executable, str(GENERATE), "--upstream", str(staged), "--output", str(package)]
    result = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, check=False)
    if result.returncode != 0:
        detail = (result.stdout + result.stderr).strip()
        raise UpdateError(
            f"regeneration failed, so nothing was changed ({_relative(UPSTREAM)} still holds the previous "
            f"document):\n{detail}"
        )
    return package


def _relative(path: Path) -> str:
    return path.relative_to(ROOT).as_posix() if path.is_relative_to(ROOT) else str(path)


def _update_provenance(document_text: str, today: datetime.date) -> str:
    digest = hashlib.sha256(document_text.encode("utf-8")).hexdigest()
    wanted = (
        f"Extracted on {today.isoformat()}; SHA-256 of the JSON block as extracted (without the trailing newline):\n"
        f"`{digest}`."
    )
    readme = README.read_text(encoding="utf-8") if README.exists() else ""
    if len(_PROVENANCE.findall(readme)) != 1:
        return f"{_relative(README)}: update the provenance by hand:\n    {wanted}"
    README.write_text(_PROVENANCE.sub(lambda _: wanted, readme), encoding="utf-8")
    return f"{_relative(README)}: provenance updated (extracted on {today.isoformat()}, SHA-256 {digest[:12]}...)"


def update(source: Path, *, today: datetime.date | None = None) -> list[str]:
    """Do it; return the report's lines. Raise UpdateError when nothing was changed because of a problem."""
    try:
        text = source.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise UpdateError(f"cannot read {source}: {exc}") from None
    document_text = extract_document(text, source.name)
    document = json.loads(document_text)
    checked = validate(document)
    old_text = UPSTREAM.read_text(encoding="utf-8") if UPSTREAM.exists() else None
    report = [f"source: {source} ({checked})"]
    if old_text is not None and old_text.rstrip("\n") == document_text:
        return [*report, f"no changes: {_relative(UPSTREAM)} already holds this document"]
    old_document = json.loads(old_text) if old_text is not None else None
    with tempfile.TemporaryDirectory(prefix="batch-update-spec-") as scratch:
        package = _regenerate(document_text, Path(scratch))
        summary = summarise(package_shape(GENERATED), package_shape(package), old_document, document)
        UPSTREAM.write_text(document_text + "\n", encoding="utf-8")
        if GENERATED.exists():
            shutil.rmtree(GENERATED)
        shutil.copytree(package, GENERATED)
    report.append(
        f"wrote {_relative(UPSTREAM)} ({len(document_text) + 1} bytes) and regenerated {_relative(GENERATED)}"
    )
    report.append(_update_provenance(document_text, today or datetime.datetime.now(datetime.UTC).date()))
    if not summary:
        return [*report, "no changes in the generated package (the document changed in ways the generator ignores)"]
    report.append("changes:")
    report.extend(f"  {line}" for line in summary)
    if _server_facts(old_document) != _server_facts(document):
        report.append("the API version changed: add a CHANGELOG.md entry saying which version the client targets")
    return report


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("source", type=Path, help="Batch docs page (.md) or OpenAPI document (.json)")
    args = parser.parse_args(argv)
    try:
        lines = update(args.source)
    except UpdateError as exc:
        print(f"update-spec: {exc}", file=sys.stderr)
        return 1
    print("\n".join(lines))
    return 0


if __name__ == "__main__":
    sys.exit(main())
