"""Take Batch's documents: add, replace or remove a docs page or a whole document in openapi/, regenerate, summarise.

    make update-spec SOURCE=<file or https address> [URL=<its address>] [TIMEOUT=<seconds>]
    make remove-spec PAGE=<name, as listed in openapi/pages.json>

SOURCE is a file or an address. An address is downloaded with httpx: https only (plain http only to a loopback
host, 127.0.0.0/8, ::1 or localhost, which is what the tests serve), redirects followed under the same rule (at
most 5), within TIMEOUT seconds (30) and MAX_BYTES; a status other than 200, a network failure, a body too big,
an HTML page or text that is not UTF-8 is refused. What it holds decides what it is:

- a **page**: one of Batch's docs pages (markdown, e.g. https://doc.batch.com/developer/api/cep/segments/list.md,
  whose OpenAPI description is the ```json block holding an object with an "openapi" key; the page's other blocks,
  such as response examples, are ignored), or a JSON file holding one operation (such a block, saved);
- a **whole document**: a YAML file (.yaml, .yml, or YAML text under another name), or a JSON file holding more
  than one operation, such as the complete description Batch publishes as one YAML document. YAML is read as the
  JSON it stands for (tools/json_yaml.py: YAML 1.2's core schema, so no dates and no yes/no booleans; refused,
  with the line, when it holds what JSON cannot).

The document must be valid OpenAPI 3.x. What it does depends on its paths (a path belongs to one stored page or
document, see tools/openapi_pages.py):

- a page whose paths are all new is added, as openapi/pages/<its first path>.json (/audiences/list ->
  audiences-list.json); one whose paths are on exactly one stored page replaces it, which keeps its name
  (operations only the old page had are removed, and the summary says so); one whose paths are on two or more
  stored pages is refused;
- a page whose paths are in a stored whole document is refused: a page cannot replace part of a document, which
  is kept verbatim, and replacing all of it would silently drop its other operations. Take the newer whole
  document instead, or remove the document (make remove-spec PAGE=<its name>) and add the pages one by one;
- a whole document is stored under its own name, its source file's (batch-api.yaml -> openapi/pages/
  batch-api.yaml, page name batch-api), and replaces every stored page and document holding any of its paths;
  the report names them and lists the operations that go away with them (those the document does not hold).
  Refused when its name is that of a stored page it does not replace (rename the file).

The new set of pages is staged in a scratch folder, merged, patched, validated and generated there first
(tools/generate.py); openapi/ and generated/ change only if all of that works. A merge conflict (with its diff),
a patch operation that no longer applies (named), an invalid document or a generator warning leaves both as
they were. A page is stored verbatim (the JSON block as extracted, plus a newline), a whole document byte for
byte as read or downloaded, and openapi/pages.json records the provenance: the address (URL=, else the address
SOURCE was downloaded from, else, for a docs page, the one doc.batch.com .md address it names), the date, the
SHA-256 of the block (of a page) or of the bytes (of a whole document), and a whole document's file name.

The summary compares the old and new generated packages: operations (api modules) added, changed (parameters,
documented statuses) and removed; models added and removed, fields added, changed and removed per model; the
merged document's servers default version and info.version, before -> after, and how the merge rules decided.
"""

from __future__ import annotations

import argparse
import ast
import datetime
import ipaddress
import json
import re
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

import openapi_pages  # tools/ is on sys.path: this script's own folder
from emit_layer import LIMITS_FILE
from generate import server_facts
from openapi_pages import PAGES_DIR, PROVENANCE_FILE, YAML_SUFFIXES, Page, PagesError

ROOT = Path(__file__).resolve().parent.parent
OPENAPI = openapi_pages.OPENAPI
GENERATED = ROOT / "generated" / "batch_rest_generated"
GENERATE = ROOT / "tools" / "generate.py"

_FENCE_OPEN = re.compile(r"^(?P<indent> {0,3})(?P<fence>`{3,}|~{3,})(?P<info>.*)$")
_OPENAPI_VERSION = re.compile(r"3\.\d+(\.\d+)?")
_DOCS_ADDRESS = re.compile(r"https://doc\.batch\.com/[\w./-]+\.md")
_ADDRESS = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*://")
TIMEOUT = 30.0  # seconds, for the whole download
MAX_BYTES = 32 * 1024 * 1024  # Batch's complete document is well under a megabyte
MAX_REDIRECTS = 5
NEXT_STEPS = (
    "next: read `git diff openapi/ generated/`, add a CHANGELOG.md entry (under Unreleased: the operations, and the "
    "API version the client targets), and run `make test`"
)


class UpdateError(Exception):
    """Something the user must fix; printed without a traceback. Nothing was changed."""


# -- the source: a file or an address -----------------------------------------------------------------------


@dataclass
class Taken:
    """A source as read: its bytes decoded (nothing else changed), where it came from."""

    text: str
    file_name: str  # the last part of its path or address, which a whole document is named after
    label: str  # how the report names it
    address: str | None = None  # the address it was downloaded from


def _loopback(host: str) -> bool:
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def check_address(address: str, *, loopback: bool = True) -> str:
    """The address, if update-spec may download it: https, or plain http to a loopback host (when `loopback`:
    not after a redirect from elsewhere). Decided before any connection; UpdateError says why not."""
    try:
        parts = urlsplit(address)
        host = parts.hostname or ""
    except ValueError as exc:
        raise UpdateError(f"{address} is not an address: {exc}") from None
    if parts.username is not None or parts.password is not None:
        raise UpdateError(f"{address}: an address with a user name or password is refused (it would be recorded)")
    if parts.scheme.lower() == "https" and host:
        return address
    if parts.scheme.lower() == "http" and host and _loopback(host):
        if loopback:
            return address
        raise UpdateError(f"refused to follow a redirect to {address}: plain http is only for a loopback source")
    if parts.scheme.lower() == "http":
        raise UpdateError(
            f"refused {address}: plain http is accepted only to a loopback host (127.0.0.1, ::1, localhost), "
            "for tests; give the https address"
        )
    raise UpdateError(f"refused {address}: update-spec downloads https addresses only (or plain http on loopback)")


def download(address: str, *, timeout: float = TIMEOUT, limit: int | None = None) -> tuple[bytes, str]:
    """The body of a 200 for `address` (at most `limit` bytes, MAX_BYTES by default), and the address it finally
    came from (redirects followed, each checked as `address` is). UpdateError: why it could not be downloaded."""
    import httpx  # the generation toolchain's (requirements/tools.txt); only an address needs it

    limit = MAX_BYTES if limit is None else limit
    check_address(address)
    on_loopback = _loopback(urlsplit(address).hostname or "")
    deadline = time.monotonic() + timeout  # httpx's timeout is per read; this one bounds the whole download
    headers = {"Accept": "text/markdown, application/yaml, application/json, text/plain;q=0.9, */*;q=0.5"}
    try:
        # trust_env: a proxy from the environment is for the outside world, never for a loopback server
        with httpx.Client(timeout=timeout, follow_redirects=False, trust_env=not on_loopback) as client:
            request = client.build_request("GET", address, headers=headers)
            for _ in range(MAX_REDIRECTS + 1):
                with client.stream(request.method, request.url, headers=request.headers) as response:
                    if response.has_redirect_location and response.next_request is not None:
                        request = response.next_request
                        check_address(str(request.url), loopback=on_loopback)
                        continue
                    if response.status_code != 200:
                        raise UpdateError(
                            f"{response.url} answered {response.status_code} {response.reason_phrase}, not 200"
                        )
                    return _body(response, limit, deadline), str(response.url)
            raise UpdateError(f"{address}: more than {MAX_REDIRECTS} redirects")
    except httpx.TimeoutException:
        raise UpdateError(f"{address}: no answer within {timeout:g} s (TIMEOUT=<seconds> gives more)") from None
    except httpx.HTTPError as exc:
        raise UpdateError(f"cannot download {address}: {type(exc).__name__}: {exc}") from None


def _body(response: Any, limit: int, deadline: float) -> bytes:
    declared = response.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit:
        raise UpdateError(f"{response.url} is too big: {int(declared):,} bytes (at most {limit:,})")
    chunks, size = [], 0
    for chunk in response.iter_bytes():
        size += len(chunk)
        if size > limit:
            raise UpdateError(f"{response.url} is too big: more than {limit:,} bytes")
        if time.monotonic() > deadline:
            raise UpdateError(f"{response.url}: the download took longer than its timeout")
        chunks.append(chunk)
    body = b"".join(chunks)
    content_type = response.headers.get("content-type", "").split(";")[0].strip().lower()
    start = body.lstrip(b"\xef\xbb\xbf \t\r\n")[:14].lower()
    if content_type in ("text/html", "application/xhtml+xml") or start.startswith((b"<!doctype html", b"<html")):
        raise UpdateError(
            f"{response.url} answered an HTML page ({content_type or 'no Content-Type'}), not a docs page's markdown "
            "nor an OpenAPI document: give the page's .md address (https://doc.batch.com/developer/api/cep/<...>.md)"
        )
    if not body.strip():
        raise UpdateError(f"{response.url} answered an empty body")
    return body


def _decode(data: bytes, label: str) -> str:
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise UpdateError(f"{label} is not UTF-8 text: {exc}") from None


def take(source: str, *, timeout: float = TIMEOUT) -> Taken:
    """Read a file, or download an address."""
    if _ADDRESS.match(source):
        data, final = download(source, timeout=timeout)
        label = source if final == source else f"{source} (redirected to {final})"
        name = unquote(urlsplit(source).path.rstrip("/").rpartition("/")[2])
        return Taken(_decode(data, source), name, f"{label}, {len(data):,} bytes", source)
    path = Path(source)
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise UpdateError(f"cannot read {source}: {exc}") from None
    return Taken(_decode(data, source), path.name, source)


@dataclass
class Intake:
    """What a source holds, and what will be stored of it."""

    document: dict[str, Any]
    stored: str  # the file's text: a page's block plus a newline, or a whole document's exact text
    whole: bool
    suffix: str = ".json"  # of a whole document's file
    markdown: bool = False  # a docs page, which may name its own address


def _universal_newlines(text: str) -> str:
    """The text as a page was always read (Path.read_text), so that a page's block does not depend on them."""
    return text.replace("\r\n", "\n").replace("\r", "\n")


def _yaml(text: str, label: str) -> Any:
    import json_yaml  # tools/; PyYAML, the generation toolchain's

    try:
        return json_yaml.loads(text.removeprefix("\ufeff"))
    except json_yaml.NotJsonError as exc:
        raise UpdateError(f"{label} is not a YAML document JSON can hold: {exc}") from None


def read_source(taken: Taken) -> Intake:
    """A page or a whole document (see this module's docstring), by the source's file name and text."""
    name, text = taken.file_name.lower(), taken.text
    if name.endswith(YAML_SUFFIXES):
        return Intake(_yaml(text, taken.label), text, whole=True, suffix=Path(name).suffix)
    page_text = _universal_newlines(text)
    if name.endswith(".json") or page_text.removeprefix("\ufeff").lstrip().startswith("{"):
        block = extract_document(page_text, taken.file_name)
        document = json.loads(block)
        if isinstance(document, dict) and len(openapi_pages.operations(document)) > 1:
            return Intake(document, text, whole=True, suffix=".json")
        return Intake(document, block + "\n", whole=False)
    try:
        block = extract_document(page_text, taken.file_name)
    except UpdateError:
        if name.endswith(".md"):
            raise
        try:  # YAML under a name that does not say so (an address without a suffix)
            document = _yaml(text, taken.label)
        except UpdateError:
            document = None
        if not isinstance(document, dict) or "openapi" not in document:
            raise
        return Intake(document, text, whole=True, suffix=".yaml")
    return Intake(json.loads(block), block + "\n", whole=False, markdown=True)


def document_name(file_name: str) -> str:
    """The name a whole document is stored under: its file's, e.g. batch-api.yaml -> batch-api."""
    stem = Path(file_name).stem if Path(file_name).suffix.lower() in openapi_pages.SUFFIXES else file_name
    return re.sub(r"[^a-z0-9]+", "-", stem.lower()).strip("-")


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
            'with an "openapi" key). Give the docs page of the endpoint (its .md address), or a JSON or YAML document.'
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
        # Patterns as the client compiles them. One it cannot check is reported, with its pointer, when the pages
        # are staged with the patch applied: the patch may be what replaces it.
        validate_spec(openapi_pages.with_client_patterns(document))
    except Exception as exc:  # noqa: BLE001 - the validator's exceptions vary between versions; report any
        raise UpdateError(f"not a valid OpenAPI {version} document: {str(exc).splitlines()[0][:300]}") from None
    return f"OpenAPI {version}, valid"


def page_url(text: str) -> str | None:
    """The one doc.batch.com .md address a docs page names (Batch's pages link to themselves), else None."""
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
    for page in pages.values():
        (folder / PAGES_DIR / page.file).write_bytes(page.text.encode("utf-8"))  # verbatim: no newline translation
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
    wanted = openapi_pages.stored_files(staged.folder)
    (OPENAPI / PAGES_DIR).mkdir(exist_ok=True)
    for path in openapi_pages.stored_files(OPENAPI).values():
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


def _refuse_overlap(owners: dict[str, list[str]], store: openapi_pages.Store) -> None:
    """A page replaces at most one stored page, and never (part of) a whole document."""
    for name in sorted(owners):
        if store.pages[name].whole:
            whole = store.pages[name]
            where = f", from {whole.provenance['url']}" if whole.provenance.get("url") else ""
            others = [op for op in whole.operations if op.partition(" ")[2] not in owners[name]]
            raise UpdateError(
                f"the page's paths ({', '.join(owners[name])}) are in {name}, a whole document of "
                f"{len(whole.operations)} operations{where}, stored as {_relative(OPENAPI / PAGES_DIR / whole.file)}. "
                "A page cannot replace part of a document, which is kept verbatim, and replacing all of it would "
                f"drop its {len(others)} other operations. Take the newer whole document instead "
                f"(make update-spec SOURCE=<its address>), or remove it (make remove-spec PAGE={name}) and add "
                "the pages you need one by one."
            )
    if len(owners) > 1:
        held = "; ".join(f"{name} has {', '.join(shared)}" for name, shared in sorted(owners.items()))
        raise UpdateError(
            f"the page's paths are on {len(owners)} stored pages ({held}). A page replaces at most one page: remove "
            "the others first (make remove-spec PAGE=<name>) if this page really supersedes them."
        )


def _plan_page(store: openapi_pages.Store, intake: Intake, url: str | None) -> tuple[str, str, str | None]:
    """(name, what it does, its address) for a page, or UpdateError; ("", why, None): nothing to do."""
    owners = _owners(store, list(intake.document["paths"]))
    _refuse_overlap(owners, store)
    if owners:
        (name,) = owners
        old = store.pages[name]
        if old.text == intake.stored:
            return "", f"no changes: {_relative(OPENAPI / PAGES_DIR / old.file)} already holds this page", None
        return name, f"replaces page {name} (its paths: {', '.join(old.paths)})", url or old.provenance.get("url")
    name = openapi_pages.page_name(intake.document)
    if name in store.pages:
        raise UpdateError(f"the page would be stored as {name}, a stored page with other paths; rename that one")
    return name, f"adds page {name}", url


def _plan_whole(store: openapi_pages.Store, intake: Intake, taken: Taken) -> tuple[str, list[str]]:
    """(name, what it does) for a whole document, or UpdateError; ("", why): nothing to do."""
    name = document_name(taken.file_name)
    if not name:
        raise UpdateError(
            f"{taken.label}: a whole document is stored under its file's name, and {taken.file_name!r} gives none; "
            "save it under a name (e.g. batch-api.yaml) and give that file"
        )
    operations = openapi_pages.operations(intake.document)
    owners = _owners(store, list(intake.document["paths"]))
    if name in store.pages and name not in owners:
        raise UpdateError(
            f"the document would be stored as {name}, the name of a stored page with none of its paths "
            f"({', '.join(store.pages[name].paths)}); rename the file"
        )
    stored = store.pages.get(name)
    if stored is not None and stored.whole and stored.file == f"{name}{intake.suffix}" and stored.text == intake.stored:
        return "", [f"no changes: {_relative(OPENAPI / PAGES_DIR / stored.file)} already holds this document"]
    what = f"whole document {name} ({len(operations)} operations on {len(intake.document['paths'])} paths)"
    if not owners:
        return name, [f"adds {what}"]
    replaced = [f"{owner} ({', '.join(store.pages[owner].paths)})" for owner in sorted(owners)]
    lines = [f"{what} replaces {len(owners)} stored page{'s' * (len(owners) > 1)}: {'; '.join(replaced)}"]
    kept = set(operations)
    gone = [op for owner in sorted(owners) for op in store.pages[owner].operations if op not in kept]
    lines.append(
        f"operations only the replaced pages had, which go away: {', '.join(gone)}"
        if gone
        else "no operation goes away: the document holds every operation of the replaced pages"
    )
    return name, lines


def update(source: str, *, url: str | None = None, timeout: float = TIMEOUT) -> list[str]:
    """Add or replace the page or whole document `source` (a file or an address) holds; return the report's
    lines. UpdateError: nothing was changed."""
    taken = take(source, timeout=timeout)
    intake = read_source(taken)
    report = [f"source: {taken.label} ({validate(intake.document)})"]
    try:
        store = openapi_pages.load(OPENAPI)
    except PagesError as exc:
        raise UpdateError(f"{_relative(OPENAPI)} is not usable as it is: {exc}") from None
    paths = list(intake.document["paths"])
    if intake.whole:
        name, actions = _plan_whole(store, intake, taken)
        address = url or taken.address
    else:
        named = page_url(taken.text) if intake.markdown else None
        name, action, address = _plan_page(store, intake, url or taken.address or named)
        actions = [action]
    if not name:
        return [*report, *actions]
    today = datetime.datetime.now(datetime.UTC).date()
    provenance: dict[str, Any] = {"url": address}
    if intake.whole:
        provenance["file"] = f"{name}{intake.suffix}"
    page = Page(name, intake.stored, intake.document, provenance)
    provenance |= {"extracted": today.isoformat(), "sha256": page.sha256}
    owners = _owners(store, paths) if intake.whole else {}
    pages = {other: kept for other, kept in store.pages.items() if other not in owners} | {name: page}
    report.extend(f"page: {line}" for line in actions if intake.whole)  # its operations are in the summary
    report.extend(f"page: {line}; paths: {', '.join(paths)}" for line in actions if not intake.whole)
    with tempfile.TemporaryDirectory(prefix="batch-update-spec-") as scratch:
        staged = _stage(store, pages, Path(scratch))
        lines = _report(store, staged)
        _install(staged)
    size = len(page.text.encode("utf-8"))
    report.append(
        f"wrote {_relative(OPENAPI / PAGES_DIR / page.file)} ({size:,} bytes"
        f"{', verbatim' if page.whole else ''}) and its provenance in {_relative(OPENAPI / PROVENANCE_FILE)}: "
        f"{address or 'no address (pass URL=<its address>)'}, extracted {today.isoformat()}, "
        f"SHA-256 {provenance['sha256']}"
    )
    if removed := sorted(set(store.pages) - set(pages)):
        report.append(f"deleted {', '.join(_relative(OPENAPI / PAGES_DIR / store.pages[n].file) for n in removed)}")
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
    gone = store.pages[name]
    kind = "whole document" if gone.whole else "page"
    report = [f"page: removes {kind} {name}; paths: {', '.join(gone.paths)}"]
    with tempfile.TemporaryDirectory(prefix="batch-remove-spec-") as scratch:
        staged = _stage(store, pages, Path(scratch))
        lines = _report(store, staged)
        _install(staged)
    report.append(f"deleted {_relative(OPENAPI / PAGES_DIR / gone.file)} and its provenance")
    return [*report, *lines]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "source",
        nargs="?",
        help="a file or an https address: a docs page (.md), or an OpenAPI document (JSON or YAML)",
    )
    parser.add_argument("--url", help="the address to record in the provenance (default: SOURCE's, if one)")
    parser.add_argument("--timeout", type=float, default=TIMEOUT, help=f"seconds for a download (default {TIMEOUT:g})")
    parser.add_argument("--remove", metavar="PAGE", help="remove this page (its name in openapi/pages.json)")
    args = parser.parse_args(argv)
    if args.timeout <= 0:
        parser.error("--timeout must be positive")
    if (args.source is None) == (args.remove is None):
        parser.error("give a SOURCE to add or replace, or --remove PAGE")
    command = "remove-spec" if args.remove else "update-spec"
    try:
        lines = remove(args.remove) if args.remove else update(args.source, url=args.url, timeout=args.timeout)
    except UpdateError as exc:
        print(f"{command}: refused, nothing changed: {exc}", file=sys.stderr)
        return 1
    print("\n".join(lines))
    return 0


if __name__ == "__main__":
    sys.exit(main())
