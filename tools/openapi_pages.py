"""The `openapi/` folder: Batch's docs pages, kept verbatim, merged into the one document we generate from.

    openapi/pages/<page>.json     one docs page's OpenAPI block, verbatim (plus a final newline)
    openapi/pages/<name>.yaml     a whole document holding many operations (or .yml, .json), byte for byte
    openapi/pages.json            provenance: each one's address, extraction date and SHA-256 (and a whole
                                  document's file name)
    openapi/batch-api.patch.json  our corrections, an RFC 6902 patch applied to the merged document

    pages --merge()--> merged document --apply_patch()--> the document generate.py generates from

The merge rules (openapi/README.md explains why):

- pages are taken in the order of their names, so the result never depends on the file system;
- `paths` (and `webhooks`) must be disjoint: one path, one page;
- a component (and any other top-level member) that several pages hold must be identical (JSON equality), and
  is kept once; one that differs is a conflict, unless the patch writes it (an add, replace or remove at its
  pointer or a parent), in which case the first page's copy is merged and the patch decides what it becomes;
- `tags` are united by name, in order of first appearance;
- `servers` must be the same apart from their variables' defaults, and each default (the API `version`) is
  the highest any page gives; `info.version` likewise.

A "page" below is either; a whole document is merged by the same rules as a page. Its SHA-256 is that of its
bytes, a page's that of its block (the file without the newline update-spec adds). A YAML document is read as
the JSON it stands for (tools/json_yaml.py: YAML 1.2's core schema, no dates, no yes/no booleans).

Standard library only at import time: tests without the generation toolchain import this module (PyYAML is
imported when a YAML document is read).
"""

from __future__ import annotations

import copy
import difflib
import hashlib
import json
import re
import sys
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
OPENAPI = ROOT / "openapi"
PAGES_DIR = "pages"
PROVENANCE_FILE = "pages.json"
PATCH_FILE = "batch-api.patch.json"
YAML_SUFFIXES = (".yaml", ".yml")
SUFFIXES = (".json", *YAML_SUFFIXES)  # the stored documents' files; others in pages/ are not looked at
HTTP_METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")

Document = dict[str, Any]
# The pointer prefixes whose members merge one by one; everything else at the top level must be identical.
_COMPONENT_SECTIONS = "components"
_DISJOINT = ("paths", "webhooks")
# Patch operations that decide what a pointer holds, so that a conflict there is the patch's to resolve.
_WRITING_OPS = frozenset({"add", "replace", "remove"})


class PagesError(Exception):
    """openapi/ cannot give a document: a conflict, a patch that no longer applies, a page not verbatim."""


# -- pages and provenance -----------------------------------------------------------------------------------


def block_sha256(text: str) -> str:
    """SHA-256 of a page's JSON block as extracted: the stored file's text without its final newline."""
    return hashlib.sha256(text.removesuffix("\n").encode("utf-8")).hexdigest()


def page_name(document: Document) -> str:
    """The name a new page is stored under: its first path, e.g. /segments/list -> segments-list."""
    first = min(document.get("paths") or {"page": None})
    return re.sub(r"[^a-z0-9]+", "-", first.lower()).strip("-") or "page"


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a JSON value")


def parse(text: str, file_name: str) -> Any:
    """The JSON value of a stored or given document: YAML for .yaml and .yml files, JSON otherwise.
    ValueError (json_yaml.NotJsonError for YAML) says why not."""
    text = text.removeprefix("\ufeff")  # a byte order mark is not part of the document
    if file_name.endswith(YAML_SUFFIXES):
        import json_yaml  # tools/, next to this module; needs PyYAML (requirements/tools.txt)

        return json_yaml.loads(text)
    return json.loads(text, parse_constant=_no_constant)


@dataclass
class Page:
    name: str
    text: str  # the file's text: a page's verbatim block plus a newline, or a whole document's exact text
    document: Document
    provenance: dict[str, Any] = field(default_factory=dict)  # url, [file], extracted, sha256

    @property
    def paths(self) -> list[str]:
        return list(self.document.get("paths") or {})

    @property
    def whole(self) -> bool:
        """A whole document, stored byte for byte under its own file name (which its provenance records)."""
        return "file" in self.provenance

    @property
    def file(self) -> str:
        return str(self.provenance["file"]) if self.whole else f"{self.name}.json"

    @property
    def sha256(self) -> str:
        """What its provenance must record: a whole document's bytes, a page's block."""
        if self.whole:
            return hashlib.sha256(self.text.encode("utf-8")).hexdigest()
        return block_sha256(self.text)

    @property
    def operations(self) -> list[str]:
        """Each operation as "METHOD /path", in the document's order."""
        return operations(self.document)


def operations(document: Document) -> list[str]:
    return [
        f"{method.upper()} {path}"
        for path, item in (document.get("paths") or {}).items()
        if isinstance(item, dict)
        for method in item
        if method in HTTP_METHODS
    ]


@dataclass
class Store:
    """What openapi/ holds: the pages by name, and the patch."""

    patch_path: Path
    pages: dict[str, Page]
    patch: list[dict[str, Any]]


def read_page(path: Path, name: str | None = None, *, whole: bool = False) -> Page:
    """The page (or, `whole`, the whole document) stored at `path`. A whole document's text is its bytes
    decoded, line endings included; a page's is read as text, as it always was."""
    try:
        text = path.read_bytes().decode("utf-8") if whole else path.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise PagesError(f"{path} is not UTF-8: {exc}") from None
    try:
        document = parse(text, path.name)
    except ValueError as exc:
        kind = "a JSON-compatible YAML" if path.name.endswith(YAML_SUFFIXES) else "a JSON"
        raise PagesError(f"{path} is not {kind} document: {exc}") from None
    if not isinstance(document, dict):
        raise PagesError(f"{path} holds a {type(document).__name__}, not an OpenAPI document")
    return Page(name or path.stem, text, document)


def stored_files(folder: Path) -> dict[str, Path]:
    """The document files of folder/pages/, by file name."""
    pages = folder / PAGES_DIR
    found = sorted(pages.iterdir()) if pages.is_dir() else []
    return {path.name: path for path in found if path.is_file() and path.suffix in SUFFIXES}


def load(folder: Path = OPENAPI, *, page_files: Sequence[Path] = (), patch_file: Path | None = None) -> Store:
    """The pages of `folder` (or, for tests and experiments, exactly `page_files`, unchecked) and its patch
    (or `patch_file`).

    A stored page must match the SHA-256 its provenance records: pages are verbatim, corrections go in the patch.
    """
    patch_path = patch_file or folder / PATCH_FILE
    patch = json.loads(patch_path.read_text(encoding="utf-8"))
    if page_files:
        given = {path.stem: read_page(path) for path in page_files}
        if len(given) != len(page_files):
            raise PagesError(f"two page files have the same name: {', '.join(sorted(str(p) for p in page_files))}")
        return Store(patch_path, given, patch)
    provenance = json.loads((folder / PROVENANCE_FILE).read_text(encoding="utf-8"))
    expected: dict[str, str] = {}  # file name -> page name
    for name, record in provenance.items():
        file = record.get("file", f"{name}.json")
        if file not in {f"{name}{suffix}" for suffix in SUFFIXES}:
            raise PagesError(f"{PROVENANCE_FILE}: {name}'s file is {file!r}; it must be {name}.json, .yaml or .yml")
        expected[file] = name
    files = stored_files(folder)
    if unlisted := sorted(files.keys() - expected.keys()):
        raise PagesError(
            f"{folder / PAGES_DIR}: {', '.join(unlisted)} not in {PROVENANCE_FILE}; add pages with make update-spec"
        )
    if missing := sorted(name for file, name in expected.items() if file not in files):
        raise PagesError(f"{PROVENANCE_FILE} lists {', '.join(missing)}, missing from {folder / PAGES_DIR}")
    pages: dict[str, Page] = {}
    for file, name in sorted(expected.items(), key=lambda item: item[1]):
        page = read_page(files[file], name, whole="file" in provenance[name])
        page.provenance = provenance[name]
        if page.sha256 != page.provenance.get("sha256"):
            raise PagesError(
                f"{files[file]} is not the page its provenance describes (SHA-256 differs from {PROVENANCE_FILE}). "
                "Pages are kept verbatim: put corrections in the patch, take new pages with make update-spec."
            )
        pages[name] = page
    return Store(patch_path, pages, patch)


def provenance_text(pages: Mapping[str, Page]) -> str:
    """openapi/pages.json's content for `pages`."""
    return json.dumps({name: pages[name].provenance for name in sorted(pages)}, indent=2, ensure_ascii=False) + "\n"


# -- the merge ----------------------------------------------------------------------------------------------


def _escape(token: str) -> str:
    return token.replace("~", "~0").replace("/", "~1")


def _canonical(value: Any) -> str:
    """JSON equality: object member order does not count; true and 1 differ (Python's == would say equal)."""
    return json.dumps(value, sort_keys=True, ensure_ascii=False)


def _version_key(version: object) -> tuple[int, ...] | None:
    if isinstance(version, str) and re.fullmatch(r"\d+(\.\d+)*", version):
        return tuple(int(part) for part in version.split("."))
    return None


@dataclass
class Conflict:
    pointer: str
    pages: tuple[str, str]
    values: tuple[Any, Any]
    kind: str = "differs"  # or "shared path", "unordered versions"

    def describe(self) -> str:
        first, second = self.pages
        if self.kind == "shared path":
            return f"{self.pointer} is on two pages, {first} and {second}"
        if self.kind == "unordered versions":
            return f"{self.pointer}: {first}'s {self.values[0]!r} and {second}'s {self.values[1]!r} are not versions"
        diff = difflib.unified_diff(
            json.dumps(self.values[0], indent=2, sort_keys=True, ensure_ascii=False).splitlines(),
            json.dumps(self.values[1], indent=2, sort_keys=True, ensure_ascii=False).splitlines(),
            fromfile=f"{first}: {self.pointer}",
            tofile=f"{second}: {self.pointer}",
            lineterm="",
        )
        return f"{self.pointer} differs between pages {first} and {second}:\n" + "\n".join(
            f"    {line}" for line in diff
        )


@dataclass
class Merged:
    document: Document
    notes: list[str]  # how the rules decided, for the summaries (servers default, resolved conflicts)


def _resolver(patch: Sequence[Mapping[str, Any]], pointer: str) -> int | None:
    """The 1-based number of the patch operation that decides what `pointer` holds, if any."""
    for number, operation in enumerate(patch, 1):
        target = operation.get("path")
        writes = operation.get("op") in _WRITING_OPS and isinstance(target, str)
        if writes and (pointer == target or pointer.startswith(f"{target}/")):
            return number
    return None


class _Merger:
    def __init__(self, patch: Sequence[Mapping[str, Any]]) -> None:
        self.patch = patch
        self.document: Document = {}
        self.origin: dict[str, str] = {}  # pointer -> the page whose copy was merged
        self.conflicts: list[Conflict] = []
        self.notes: list[str] = []

    def same_or_conflict(self, pointer: str, pages: tuple[str, str], kept: Any, value: Any) -> None:
        """Nothing if `value` (on pages[1]) is what was kept (from pages[0]); else a conflict, or a note that
        the patch decides it."""
        if _canonical(kept) != _canonical(value):
            self.conflict(Conflict(pointer, pages, (kept, value)))

    def conflict(self, conflict: Conflict) -> None:
        """Record it, unless the patch decides what its pointer holds."""
        number = _resolver(self.patch, conflict.pointer)
        if number is None:
            self.conflicts.append(conflict)
        else:
            self.notes.append(
                f"{conflict.describe().splitlines()[0].rstrip(':')}: patch operation #{number} decides it"
            )

    def member(self, container: dict[str, Any], key: str, pointer: str, page: str, value: Any) -> None:
        """Merge one member that must be identical wherever it appears."""
        if key not in container:
            container[key] = copy.deepcopy(value)
            self.origin[pointer] = page
        else:
            self.same_or_conflict(pointer, (self.origin[pointer], page), container[key], value)

    def add(self, page: str, document: Document) -> None:
        for key, value in document.items():
            pointer = f"/{_escape(key)}"
            if key in _DISJOINT and isinstance(value, dict):
                section = self.document.setdefault(key, {})
                for path, item in value.items():
                    item_pointer = f"{pointer}/{_escape(path)}"
                    if path in section:
                        owner = self.origin[item_pointer]
                        self.conflicts.append(Conflict(item_pointer, (owner, page), (None, None), "shared path"))
                        # not self.conflict(): no patch makes one path belong to two pages
                    else:
                        section[path] = copy.deepcopy(item)
                        self.origin[item_pointer] = page
            elif key == _COMPONENT_SECTIONS and isinstance(value, dict):
                components = self.document.setdefault(key, {})
                for section, entries in value.items():
                    target = components.setdefault(section, {})
                    for name, entry in entries.items():
                        self.member(target, name, f"{pointer}/{_escape(section)}/{_escape(name)}", page, entry)
            elif key == "tags" and isinstance(value, list):
                tags = self.document.setdefault(key, [])
                for tag in value:
                    kept = next((t for t in tags if t.get("name") == tag.get("name")), None)
                    if kept is None:
                        tags.append(copy.deepcopy(tag))
                        self.origin[f"tag {tag.get('name')}"] = page
                    else:  # the patch resolves a conflict here by writing /tags
                        self.same_or_conflict("/tags", (self.origin[f"tag {tag.get('name')}"], page), kept, tag)
            elif key in ("servers", "info"):
                self.document.setdefault(key, None)  # merged below, once every page is in; keeps the key order
            else:
                self.member(self.document, key, pointer, page, value)

    def versions(self, pages: Mapping[str, Document]) -> None:
        """servers (variable defaults: the highest) and info (version: the highest; the rest identical)."""
        self._info(pages)
        self._servers(pages)

    def _highest(self, what: str, pointer: str, given: dict[str, Any]) -> Any:
        """The highest of the pages' versions in `given` (page -> version); a note when the pages differ."""
        keys = {page: _version_key(version) for page, version in given.items()}
        if any(key is None for key in keys.values()) and len({_canonical(v) for v in given.values()}) > 1:
            odd = next(page for page, key in keys.items() if key is None)
            other = next(page for page in given if page != odd)
            self.conflict(Conflict(pointer, (other, odd), (given[other], given[odd]), "unordered versions"))
            return next(iter(given.values()))
        best = given[max(given, key=lambda page: keys[page] or ())]
        lower: dict[str, list[str]] = {}
        for page, version in given.items():
            if _canonical(version) != _canonical(best):
                lower.setdefault(str(version), []).append(page)
        if lower:
            others = "; ".join(f"{version} on {', '.join(pages)}" for version, pages in lower.items())
            self.notes.append(f"{what}: {best}, the highest of the pages' ({others})")
        return best

    def _info(self, pages: Mapping[str, Document]) -> None:
        infos = {page: document["info"] for page, document in pages.items() if isinstance(document.get("info"), dict)}
        if not infos:
            return
        merged: dict[str, Any] = {}
        for page, info in infos.items():
            for key, value in info.items():
                if key != "version":
                    self.member(merged, key, f"/info/{_escape(key)}", page, value)
                else:
                    merged.setdefault("version", None)
        versions = {page: info["version"] for page, info in infos.items() if "version" in info}
        if versions:
            merged["version"] = self._highest("info.version", "/info/version", versions)
        self.document["info"] = merged

    def _servers(self, pages: Mapping[str, Document]) -> None:
        lists = {page: document["servers"] for page, document in pages.items() if "servers" in document}
        if not lists:
            return

        def without_defaults(servers: Any) -> Any:
            bare = copy.deepcopy(servers)
            for server in bare if isinstance(bare, list) else []:
                for variable in (server.get("variables") or {}).values():
                    variable.pop("default", None)
            return bare

        first = next(iter(lists))
        merged = copy.deepcopy(lists[first])
        self.document["servers"] = merged
        shape = _canonical(without_defaults(merged))
        if any(_canonical(without_defaults(servers)) != shape for servers in lists.values()):
            for page, servers in lists.items():  # a conflict, or the patch decides /servers: no version rule
                self.same_or_conflict("/servers", (first, page), without_defaults(merged), without_defaults(servers))
            return
        for index, server in enumerate(merged):
            for name, variable in (server.get("variables") or {}).items():
                if "default" not in variable:
                    continue
                given = {
                    page: servers[index]["variables"][name]["default"]
                    for page, servers in lists.items()
                    if "default" in servers[index]["variables"][name]
                }
                label = "servers default version" if name == "version" else f"servers[{index}] default {name}"
                variable["default"] = self._highest(label, f"/servers/{index}/variables/{_escape(name)}/default", given)


def merge(pages: Mapping[str, Document], patch: Sequence[Mapping[str, Any]] = ()) -> Merged:
    """One document from the pages (by name), by the rules in this module's docstring. The patch only matters
    for conflicts: it may resolve them (see `_resolver`); apply it to the result with `apply_patch`."""
    if not pages:
        raise PagesError("there are no pages to merge")
    ordered = {name: pages[name] for name in sorted(pages)}
    merger = _Merger(patch)
    for name, document in ordered.items():
        merger.add(name, document)
    merger.versions(ordered)
    if merger.conflicts:
        raise PagesError(
            f"the pages cannot be merged ({len(merger.conflicts)} conflict{'s' * (len(merger.conflicts) > 1)}):\n"
            + "\n".join(f"  {conflict.describe()}" for conflict in merger.conflicts)
            + f"\nA path belongs to one page. A shared component must be the same on every page, or {PATCH_FILE} "
            "must decide it: an operation that adds or replaces it as a whole (see openapi/README.md)."
        )
    document = {key: value for key, value in merger.document.items() if value is not None}
    return Merged(document, merger.notes)


# -- the patch ----------------------------------------------------------------------------------------------


def _excerpt(value: Any, limit: int = 160) -> str:
    text = json.dumps(value, ensure_ascii=False)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _where(document: Any, pointer: str) -> str:
    """Why `pointer` cannot be followed in `document`, or what it holds there."""
    node, walked = document, ""
    for raw in pointer.split("/")[1:] if pointer else []:
        token = raw.replace("~1", "/").replace("~0", "~")
        if isinstance(node, dict) and token in node:
            node = node[token]
        elif isinstance(node, list) and token.isdigit() and int(token) < len(node):
            node = node[int(token)]
        else:
            has = ", ".join(sorted(map(str, node))[:8]) if isinstance(node, dict) else f"{type(node).__name__}"
            if isinstance(node, list):
                has = f"a list of {len(node)}"
            return f"the document has no {token!r} at {walked or '/'} (it has: {has})"
        walked += "/" + raw
    return f"the document holds {_excerpt(node)} there"


def apply_patch(document: Document, patch: Sequence[Mapping[str, Any]], name: str = PATCH_FILE) -> Document:
    """The patched copy of `document`, operation by operation, so that a failure names the operation."""
    import jsonpatch  # the generation toolchain's (requirements/tools.txt), needed here only

    result = copy.deepcopy(document)
    for number, operation in enumerate(patch, 1):
        try:
            result = jsonpatch.JsonPatch([dict(operation)]).apply(result, in_place=True)
        except (jsonpatch.JsonPatchException, jsonpatch.JsonPointerException):
            raise PagesError(
                f"{name} no longer applies: operation #{number} of {len(patch)} fails:\n"
                f"    {_excerpt(operation, 400)}\n"
                f"    {_where(result, str(operation.get('path', '')))}\n"
                "The pages no longer hold what the patch corrects: update the patch (see openapi/README.md)."
            ) from None
    return result


def validate(document: Document) -> str:
    """Raise PagesError unless `document` is valid OpenAPI 3.1 and the client can check its patterns; say what
    it is."""
    from openapi_spec_validator import validate as validate_spec

    version = document.get("openapi")
    if not isinstance(version, str) or not re.fullmatch(r"3\.1\.\d+", version):
        raise PagesError(f"the merged document is not OpenAPI 3.1: openapi is {version!r}")
    if refused := refused_patterns(document):
        raise PagesError(
            f"the merged document has {len(refused)} pattern{'s' * (len(refused) > 1)} the client cannot check "
            "(it checks what it sends with Python's re):\n"
            + "\n".join(f"  {line}" for line in refused)
            + f"\nReplace {'them' if len(refused) > 1 else 'it'} in {PATCH_FILE} with an RFC 6902 replace at that "
            "pointer, by a pattern that means the same (see wrapper/batch_rest/_ecma_regex.py for what translates)."
        )
    try:
        validate_spec(with_client_patterns(document))
    except Exception as exc:  # noqa: BLE001 - the validator's exceptions vary between versions; report any
        raise PagesError(
            f"the merged document is not valid OpenAPI {version}: {str(exc).splitlines()[0][:300]}"
        ) from None
    return f"OpenAPI {version}, valid"


# -- the patterns, as the client will read them --------------------------------------------------------------

# Where a schema holds schemas (JSON Schema 2020-12, and the older `items` as a list).
_SUBSCHEMA_MAPS = frozenset({"properties", "patternProperties", "$defs", "definitions", "dependentSchemas"})
_SUBSCHEMA_LISTS = frozenset({"allOf", "anyOf", "oneOf", "prefixItems", "items"})
_SUBSCHEMAS = frozenset({"items", "additionalProperties", "not", "if", "then", "else", "contains", "propertyNames",
                         "unevaluatedItems", "unevaluatedProperties", "contentSchema"})  # fmt: skip


def _schemas(node: Any, pointer: str = "", *, in_schema: bool = False) -> Iterator[tuple[str, dict[str, Any]]]:
    """(pointer, schema) for every schema of an OpenAPI document: components/schemas/*, the `schema` of each
    parameter, header and media type, and their subschemas. Examples are data, not schemas: not walked."""
    if in_schema:
        if not isinstance(node, dict):
            return
        yield pointer, node
        for key, value in node.items():
            where = f"{pointer}/{_escape(key)}"
            if key in _SUBSCHEMA_MAPS and isinstance(value, dict):
                for name, sub in value.items():
                    yield from _schemas(sub, f"{where}/{_escape(name)}", in_schema=True)
            elif key in _SUBSCHEMA_LISTS and isinstance(value, list):
                for index, sub in enumerate(value):
                    yield from _schemas(sub, f"{where}/{index}", in_schema=True)
            elif key in _SUBSCHEMAS:
                yield from _schemas(value, where, in_schema=True)
        return
    children = node.items() if isinstance(node, dict) else enumerate(node) if isinstance(node, list) else ()
    for key, value in children:
        where = f"{pointer}/{_escape(str(key))}"
        if key == "schema" or (pointer == "/components" and key == "schemas" and isinstance(value, dict)):
            for name, schema in [("", value)] if key == "schema" else value.items():
                yield from _schemas(schema, f"{where}/{_escape(name)}" if name else where, in_schema=True)
        elif key not in ("example", "examples") and not str(key).startswith("x-"):
            yield from _schemas(value, where)


def refused_patterns(document: Document) -> list[str]:
    """`<pointer>: <why>` for each `pattern` of `document`'s schemas that the client's schema checker refuses.

    The checker is batch_rest._schema, whose compile_pattern translates ECMA-262 patterns for Python's re and
    refuses what has no equivalent; the client compiles a schema's patterns when it first checks a value against
    it. Asked here, at generation time, so that no document the client cannot check reaches it.
    """
    schema = _schema_checker()
    refused = []
    for pointer, node in _schemas(document):
        if isinstance(pattern := node.get("pattern"), str):
            try:
                schema.compile_pattern(pattern)
            except schema.UnsupportedSchema as exc:
                refused.append(f"{pointer}/pattern: {exc}")
    return refused


def with_client_patterns(document: Document) -> Document:
    r"""A copy of `document` with each schema's pattern as the Python regex the client compiles it to.

    For the OpenAPI validator, which checks a pattern by compiling it, as written, with Python's re (jsonschema's
    `regex` format): that refuses ECMA-262 the client reads once translated (\p{L}, \cJ, [^]) and accepts what it
    refuses (\A, inline flags). refused_patterns decides about patterns, so a pattern it refuses is left out of
    the copy; the validator checks everything else.
    """
    copied = copy.deepcopy(document)
    schema = _schema_checker()
    for _, node in _schemas(copied):
        if isinstance(pattern := node.get("pattern"), str):
            try:
                node["pattern"] = schema.compile_pattern(pattern).pattern
            except schema.UnsupportedSchema:
                del node["pattern"]
    return copied


def _schema_checker() -> Any:
    """batch_rest._schema, from this repository's wrapper/ (what the generated package is used with), or, for a
    copy of tools/ without it, the batch_rest that is importable. Standard library only."""
    wrapper = ROOT / "wrapper"
    if (wrapper / "batch_rest" / "_schema.py").is_file() and str(wrapper) not in sys.path:
        sys.path.insert(0, str(wrapper))
    from batch_rest import _schema

    return _schema


@dataclass
class Source:
    """The document generate.py generates from, and how it was made."""

    document: Document  # merged and patched
    merged: Document  # merged, before the patch
    pages: list[str]
    notes: list[str]


def upstream_document(folder: Path = OPENAPI) -> tuple[Document, list[dict[str, Any]]]:
    """The stored pages merged, before the patch (one page: that page as is), and the patch. Standard library
    only, for tests that apply the patch themselves."""
    store = load(folder)
    return merge({name: page.document for name, page in store.pages.items()}, store.patch).document, store.patch


def source_document(store: Store) -> Source:
    merged = merge({name: page.document for name, page in store.pages.items()}, store.patch)
    document = apply_patch(merged.document, store.patch, store.patch_path.name)
    validate(document)
    return Source(document, merged.document, sorted(store.pages), merged.notes)
