"""Take Batch's docs pages one at a time: add, replace or remove a page of openapi/, regenerate, summarise.

    make update-spec SOURCE=<docs page .md, or a .json file> [URL=<the page's address>]
    make remove-spec PAGE=<page name, as listed in openapi/pages.json>

SOURCE is one of Batch's docs pages (markdown, e.g. https://doc.batch.com/developer/api/cep/segments/list.md,
whose OpenAPI description is the ```json block holding an object with an "openapi" key; the page's other blocks,
such as response examples, are ignored) or a plain JSON file. The document must be valid OpenAPI 3.x.

What the page does depends on its paths (a path belongs to one page, see tools/openapi_pages.py):
- none is stored yet: the page is added, as openapi/pages/<its first path>.json (/audiences/list ->
  audiences-list.json);
- some are on exactly one stored page: it replaces that page, which keeps its name (operations only the old page
  had are removed, and the summary says so);
- some are on two or more stored pages: refused.

The new set of pages is staged in a scratch folder, merged, patched, validated and generated there first
(tools/generate.py); openapi/ and generated/ change only if all of that works. A merge conflict (with its diff),
a patch operation that no longer applies (named), an invalid document or a generator warning leaves both as
they were. The page is stored verbatim (the JSON block as extracted, plus a newline), and openapi/pages.json
records its provenance: its address (URL=, else the one doc.batch.com .md address the page names), the date,
and the SHA-256 of the block.

The summary compares the old and new generated packages: operations (api modules) added, changed (parameters,
documented statuses) and removed; models added and removed, fields added, changed and removed per model; the
merged document's servers default version and info.version, before -> after, and how the merge rules decided.
"""

from __future__ import annotations

import argparse
import ast
import datetime
import json
import re
import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import openapi_pages  # tools/ is on sys.path: this script's own folder
from emit_layer import LIMITS_FILE
from generate import server_facts
from openapi_pages import PAGES_DIR, PROVENANCE_FILE, Page, PagesError

ROOT = Path(__file__).resolve().parent.parent
OPENAPI = openapi_pages.OPENAPI
GENERATED = ROOT / "generated" / "batch_rest_generated"
GENERATE = ROOT / "tools" / "generate.py"

_FENCE_OPEN = re.compile(r"^(?P<indent> {0,3})(?P<fence>`{3,}|~{3,})(?P<info>.*)$")
_OPENAPI_VERSION = re.compile(r"3\.\d+(\.\d+)?")
_DOCS_ADDRESS = re.compile(r"https://doc\.batch\.com/[\w./-]+\.md")
NEXT_STEPS = (
    "next: read `git diff openapi/ generated/`, add a CHANGELOG.md entry (under Unreleased: the operations, and the "
    "API version the client targets), and run `make test`"
)


class UpdateError(Exception):
    """Something the user must fix; printed without a traceback. Nothing was changed."""


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
    """Raise UpdateError unless `document` is a valid OpenAPI 3.x document; say what it is."""
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
    from openapi_spec_validator import validate as validate_spec

    try:
        validate_spec(document)
    except Exception as exc:  # noqa: BLE001 - the validator's exceptions vary between versions; report any
        raise UpdateError(f"not a valid OpenAPI {version} document: {str(exc).splitlines()[0][:300]}") from None
    return f"OpenAPI {version}, valid"


def page_url(text: str, given: str | None) -> str | None:
    """The page's address: as given, else the one doc.batch.com .md address the page names (Batch's pages link
    to themselves), else None."""
    if given:
        return given
    found = set(_DOCS_ADDRESS.findall(text))
    return found.pop() if len(found) == 1 else None


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
        was, now = old.operations[name], new.operations[name]
        changes = [f"parameter {c}" for c in _field_changes(was.parameters, now.parameters)]
        if added := sorted(set(now.statuses) - set(was.statuses)):
            changes.append(f"responses added: {', '.join(map(str, added))}")
        if removed := sorted(set(was.statuses) - set(now.statuses)):
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


def _relative(path: Path) -> str:
    return path.relative_to(ROOT).as_posix() if path.is_relative_to(ROOT) else str(path)


def _current(store: openapi_pages.Store) -> dict[str, Any] | None:
    """The document generated/ comes from today, if openapi/ still gives one."""
    try:
        return openapi_pages.source_document(store).document
    except PagesError:
        return None


@dataclass
class Staged:
    """The pages after the change, written to a scratch copy of openapi/, and what they generate."""

    folder: Path
    source: openapi_pages.Source
    package: Path


def _stage(store: openapi_pages.Store, pages: dict[str, Page], scratch: Path) -> Staged:
    """Write `pages` and the patch to scratch/openapi; merge, patch, validate and generate from there."""
    folder = scratch / "openapi"
    (folder / PAGES_DIR).mkdir(parents=True)
    shutil.copy2(store.patch_path, folder / store.patch_path.name)
    if (OPENAPI / LIMITS_FILE).exists():  # the documented limits generate with the pages (emit_layer reads them)
        shutil.copy2(OPENAPI / LIMITS_FILE, folder / LIMITS_FILE)
    for name, page in pages.items():
        (folder / PAGES_DIR / f"{name}.json").write_text(page.text, encoding="utf-8")
    (folder / PROVENANCE_FILE).write_text(openapi_pages.provenance_text(pages), encoding="utf-8")
    try:
        source = openapi_pages.source_document(openapi_pages.load(folder))
    except PagesError as exc:
        raise UpdateError(str(exc)) from None
    package = scratch / "package" / GENERATED.name
    command = [sys.executable, str(GENERATE), "--openapi", str(folder), "--output", str(package)]
    result = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, check=False)
    if result.returncode != 0:
        raise UpdateError(f"regeneration failed:\n{(result.stdout + result.stderr).strip()}")
    return Staged(folder, source, package)


def _install(staged: Staged) -> None:
    """Make openapi/ and generated/ what was staged; page files no longer staged are deleted."""
    wanted = {path.name: path for path in (staged.folder / PAGES_DIR).glob("*.json")}
    (OPENAPI / PAGES_DIR).mkdir(exist_ok=True)
    for path in (OPENAPI / PAGES_DIR).glob("*.json"):
        if path.name not in wanted:
            path.unlink()
    for name, path in wanted.items():
        target = OPENAPI / PAGES_DIR / name
        if not target.exists() or target.read_bytes() != path.read_bytes():
            shutil.copy2(path, target)
    shutil.copy2(staged.folder / PROVENANCE_FILE, OPENAPI / PROVENANCE_FILE)
    if GENERATED.exists():
        shutil.rmtree(GENERATED)
    shutil.copytree(staged.package, GENERATED)


def _report(store: openapi_pages.Store, staged: Staged) -> list[str]:
    pages = staged.source.pages
    lines = [f"regenerated {_relative(GENERATED)} from {len(pages)} page{'s' * (len(pages) > 1)}: {', '.join(pages)}"]
    lines.extend(f"merge: {note}" for note in staged.source.notes)
    summary = summarise(
        package_shape(GENERATED), package_shape(staged.package), _current(store), staged.source.document
    )
    if not summary:
        return [*lines, "no changes in the generated package"]
    return [*lines, "changes:", *(f"  {line}" for line in summary), NEXT_STEPS]


def _owners(store: openapi_pages.Store, paths: list[str]) -> dict[str, list[str]]:
    """The stored pages holding any of `paths`, with the paths they hold."""
    owners: dict[str, list[str]] = {}
    for name, page in store.pages.items():
        if shared := [path for path in paths if path in page.document.get("paths", {})]:
            owners[name] = shared
    return owners


def update(source: Path, *, url: str | None = None) -> list[str]:
    """Add or replace the page `source` holds; return the report's lines. UpdateError: nothing was changed."""
    try:
        text = source.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise UpdateError(f"cannot read {source}: {exc}") from None
    block = extract_document(text, source.name)
    markdown = block != text.removeprefix("\ufeff").strip()  # only a docs page names its own address
    document = json.loads(block)
    report = [f"source: {source} ({validate(document)})"]
    try:
        store = openapi_pages.load(OPENAPI)
    except PagesError as exc:
        raise UpdateError(f"{_relative(OPENAPI)} is not usable as it is: {exc}") from None
    paths = list(document["paths"])
    owners = _owners(store, paths)
    if len(owners) > 1:
        held = "; ".join(f"{name} has {', '.join(shared)}" for name, shared in sorted(owners.items()))
        raise UpdateError(
            f"the page's paths are on {len(owners)} stored pages ({held}). A page replaces at most one page: remove "
            "the others first (make remove-spec PAGE=<name>) if this page really supersedes them."
        )
    if owners:
        (name,) = owners
        old = store.pages[name]
        if old.text == block + "\n":
            return [*report, f"no changes: {_relative(OPENAPI / PAGES_DIR / name)}.json already holds this page"]
        action = f"replaces page {name} (its paths: {', '.join(old.paths)})"
        url = page_url(text if markdown else "", url) or old.provenance.get("url")
    else:
        name = openapi_pages.page_name(document)
        if name in store.pages:
            raise UpdateError(f"the page would be stored as {name}, a stored page with other paths; rename that one")
        action = f"adds page {name}"
        url = page_url(text if markdown else "", url)
    today = datetime.datetime.now(datetime.UTC).date()
    provenance = {"url": url, "extracted": today.isoformat(), "sha256": openapi_pages.block_sha256(block)}
    pages = {**store.pages, name: Page(name, block + "\n", document, provenance)}
    report.append(f"page: {action}; paths: {', '.join(paths)}")
    with tempfile.TemporaryDirectory(prefix="batch-update-spec-") as scratch:
        staged = _stage(store, pages, Path(scratch))
        lines = _report(store, staged)
        _install(staged)
    report.append(
        f"wrote {_relative(OPENAPI / PAGES_DIR / name)}.json ({len(block) + 1} bytes) and its provenance in "
        f"{_relative(OPENAPI / PROVENANCE_FILE)}: {url or 'no address (pass URL=<the page address>)'}, "
        f"extracted {today.isoformat()}, SHA-256 {provenance['sha256']}"
    )
    return [*report, *lines]


def remove(name: str) -> list[str]:
    """Remove the stored page `name`; return the report's lines. UpdateError: nothing was changed."""
    try:
        store = openapi_pages.load(OPENAPI)
    except PagesError as exc:
        raise UpdateError(f"{_relative(OPENAPI)} is not usable as it is: {exc}") from None
    if name not in store.pages:
        raise UpdateError(f"there is no page {name!r}; the pages are: {', '.join(sorted(store.pages))}")
    if len(store.pages) == 1:
        raise UpdateError(f"{name} is the only page; a client needs one (add another page first)")
    pages = {other: page for other, page in store.pages.items() if other != name}
    report = [f"page: removes page {name}; paths: {', '.join(store.pages[name].paths)}"]
    with tempfile.TemporaryDirectory(prefix="batch-remove-spec-") as scratch:
        staged = _stage(store, pages, Path(scratch))
        lines = _report(store, staged)
        _install(staged)
    report.append(f"deleted {_relative(OPENAPI / PAGES_DIR / name)}.json and its provenance")
    return [*report, *lines]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("source", type=Path, nargs="?", help="Batch docs page (.md) or OpenAPI document (.json)")
    parser.add_argument("--url", help="the page's address, for its provenance")
    parser.add_argument("--remove", metavar="PAGE", help="remove this page (its name in openapi/pages.json)")
    args = parser.parse_args(argv)
    if (args.source is None) == (args.remove is None):
        parser.error("give a SOURCE to add or replace, or --remove PAGE")
    command = "remove-spec" if args.remove else "update-spec"
    try:
        lines = remove(args.remove) if args.remove else update(args.source, url=args.url)
    except UpdateError as exc:
        print(f"{command}: refused, nothing changed: {exc}", file=sys.stderr)
        return 1
    print("\n".join(lines))
    return 0


if __name__ == "__main__":
    sys.exit(main())
