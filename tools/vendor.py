"""Write the client as one self-contained package folder, for another repository to copy into its tree.

    make vendor DEST=<dir> PACKAGE=<name>    ->    <dir>/<name>/

`<name>/` is wrapper/batch_rest/ with generated/batch_rest_generated/ inside it as `<name>/_generated/`, data
files included (py.typed, openapi.json), every import of `batch_rest` and `batch_rest_generated` rewritten as a
relative import, and VENDORED.json: the client version, the API version, and the address and SHA-256 of every
upstream page and of the patch. The host needs httpx and attrs, nothing else: no pip install, no build backend,
no network. Relative imports let it live anywhere (`import <name>`, or `from myapp._vendor import <name>`), and
two copies under different names (two versions of the client) work side by side in one interpreter, neither
touching an installed batch_rest. The console script and the pytest plugin's entry point do not come along;
`python -m <name>` is the CLI (it names itself so: batch_rest/cli.py).

A name that would shadow another module is refused, and nothing is written: a standard-library module's
(`json/` in a folder on sys.path breaks every `import json` there), the client's dependencies' (httpx, attrs,
and the modules httpx and attrs import: a folder named `idna` beside the host's code breaks httpx), and the
original packages' (the copy would hide an installed batch_rest, or be hidden by it).

The rewriting finds the import statements with `ast` and edits only them, so line numbers do not move:

    from batch_rest.x import y              from .x import y                 (one dot more per folder level)
    from batch_rest_generated.x import y    from ._generated.x import y
    import batch_rest_generated.x as y      from ._generated import x as y
    import batch_rest_generated.x           from ._generated import x as batch_rest_generated; from . import
                                            _generated as batch_rest_generated   (load x, then bind the name
                                            `import batch_rest_generated.x` binds)

It fails, naming file and line, where a copy would still reach outside itself: `import batch_rest` or
`import batch_rest.x` (they bind the package itself, which no relative import can name), and the package names
(or the distribution's, which a copy does not have) in strings given to importlib, pkgutil, `__import__` or
`sys.modules`.

So that the copy is its own package to whoever reads it, it also rewrites, again in place and line for line:

    logging.getLogger("batch_rest")     logging.getLogger("<name>")      (its records: logger <name>, not
                                                                         the installed client's)
    docstrings: batch_rest, batch_rest_generated, the `batch-rest` command    <name>, <name>._generated,
                                                                         `python -m <name>`

Other strings and comments are left as they are.

A module that imports what a host need not have (the pytest plugin imports pytest; the copy needs only httpx and
attrs) gets, after its last line, an inline mypy setting: where that import is missing, the host's mypy --strict
takes it as Any there rather than failing; where it is installed, the module is checked as any other.

Standard library only.
"""

from __future__ import annotations

import argparse
import ast
import hashlib
import json
import keyword
import re
import shutil
import sys
import tempfile
import tomllib
from dataclasses import dataclass
from pathlib import Path

import openapi_pages  # tools/ is on sys.path: this script's own folder

ROOT = Path(__file__).resolve().parent.parent
WRAPPER = ROOT / "wrapper" / "batch_rest"
GENERATED = ROOT / "generated" / "batch_rest_generated"
SUBPACKAGE = "_generated"
PROVENANCE = "VENDORED.json"
# Where each original package lives in the vendored one, relative to its root.
TARGETS = {"batch_rest": "", "batch_rest_generated": SUBPACKAGE}
DISTRIBUTION = "batch-rest-client"
# Names a copy may not take besides the standard library's (sys.stdlib_module_names): the client's dependencies
# and the top-level modules they import (pyproject.toml's httpx and attrs; httpx's httpcore, h11, anyio, idna,
# sniffio, certifi; anyio's typing_extensions and exceptiongroup on the Pythons that need them; attrs also
# installs `attr`), then the original packages. A folder of one of these names on sys.path would be imported in
# its place. tests/packaging/test_vendor.py checks the list against what installing httpx and attrs puts in a
# fresh virtualenv.
DEPENDENCY_MODULES = frozenset(
    {"httpx", "httpcore", "h11", "anyio", "idna", "sniffio", "certifi", "typing_extensions", "exceptiongroup",
     "attrs", "attr"}
)  # fmt: skip
# Calls that take module names (or a distribution name) as strings.
_IMPORTING_CALLS = frozenset(
    {"import_module", "__import__", "find_spec", "files", "iter_modules", "walk_packages", "resource_filename",
     "read_text", "open_text", "read_binary", "open_binary", "version", "distribution", "metadata", "get_data"}
)  # fmt: skip
_FROM = re.compile(r"from\s+(?P<module>[\w.]+)")
# What a docstring calls the originals: the two packages (not BATCH_REST_* variables, not batch_rest_x names),
# and the command (not the distribution, batch-rest-client).
_NAMED_IN_DOCS = re.compile(r"\b(?P<package>batch_rest(?:_generated)?)\b|\bbatch-rest\b(?![-\w])")


class VendorError(Exception):
    """The package cannot be vendored as it is; printed without a traceback."""


@dataclass(frozen=True)
class Where:
    path: str  # relative to the vendored package
    depth: int  # folders between the vendored root and the module's package
    name: str | None = None  # the vendored package's name: docstrings and logger names are rewritten to it

    def relative(self, original: str) -> str:
        """The relative module name, without its leading dots, of `original` (batch_rest_generated.x...)."""
        top, _, rest = original.partition(".")
        return ".".join(part for part in (TARGETS[top], rest) if part)

    @property
    def dots(self) -> str:
        return "." * (self.depth + 1)


def _ours(module: str | None) -> bool:
    return module is not None and module.partition(".")[0] in TARGETS


def _import_statement(node: ast.Import, where: Where) -> str:
    """The relative statements for `import ...` (the names that are not ours stay an `import`)."""
    kept, statements = [], []
    for alias in node.names:
        if not _ours(alias.name):
            kept.append(ast.unparse(ast.Import(names=[alias])).removeprefix("import "))
            continue
        top = alias.name.partition(".")[0]
        target = where.relative(alias.name)
        if not target or (alias.asname is None and top == "batch_rest"):
            raise VendorError(
                f"{where.path}:{node.lineno}: `{ast.unparse(node)}` binds the package batch_rest itself, which a "
                "relative import cannot name; import what it needs with `from batch_rest... import ...`"
            )
        parent, _, leaf = target.rpartition(".")
        if alias.asname is not None:
            statements.append(f"from {where.dots}{parent} import {leaf} as {alias.asname}")
        else:  # import batch_rest_generated[.x.y]: load the submodule, then bind the top name
            if target != SUBPACKAGE:
                statements.append(f"from {where.dots}{parent} import {leaf} as {top}")
            statements.append(f"from {where.dots} import {SUBPACKAGE} as {top}")
    if kept:
        statements.insert(0, f"import {', '.join(kept)}")
    return "; ".join(statements)


def _edits(tree: ast.Module, lines: list[str], where: Where) -> list[tuple[int, int, int, str]]:
    """(line index, start column, end column, new text) for each import of ours; one line each."""
    edits = []
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.level == 0 and _ours(node.module):
            assert node.module is not None
            found = _FROM.match(lines[node.lineno - 1], node.col_offset)
            if found is None or found["module"] != node.module:
                raise VendorError(f"{where.path}:{node.lineno}: cannot find `from {node.module}` on its line")
            new = f"from {where.dots}{where.relative(node.module)}"
            edits.append((node.lineno - 1, found.start(), found.end(), new))
        elif isinstance(node, ast.Import) and any(_ours(alias.name) for alias in node.names):
            if node.end_lineno != node.lineno:
                raise VendorError(f"{where.path}:{node.lineno}: write this import on one line to vendor it")
            edits.append((node.lineno - 1, node.col_offset, node.end_col_offset or 0, _import_statement(node, where)))
    return edits


def _docstrings(tree: ast.Module) -> list[ast.Constant]:
    """A module's, class's or function's first statement, when it is a string."""
    return [
        node.body[0].value
        for node in ast.walk(tree)
        if isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef)
        and node.body
        and isinstance(node.body[0], ast.Expr)
        and isinstance(node.body[0].value, ast.Constant)
        and isinstance(node.body[0].value.value, str)
    ]


def _logger_names(tree: ast.Module) -> list[ast.Constant]:
    """The string arguments of `getLogger("batch_rest...")` calls."""
    return [
        node.args[0]
        for node in ast.walk(tree)
        if isinstance(node, ast.Call)
        and _dotted(node.func).rpartition(".")[2] == "getLogger"
        and node.args
        and isinstance(node.args[0], ast.Constant)
        and isinstance(node.args[0].value, str)
        and node.args[0].value.partition(".")[0] == "batch_rest"
    ]


def _renamed(text: str, name: str) -> str:
    """Docstring text naming the copy rather than the originals."""

    def replace(match: re.Match[str]) -> str:
        if match["package"] == "batch_rest_generated":  # a module (`x._generated.api`) or a path (`x/_generated/`)
            return f"{name}{'/' if text[match.end() : match.end() + 1] == '/' else '.'}{SUBPACKAGE}"
        return name if match["package"] else f"python -m {name}"

    return _NAMED_IN_DOCS.sub(replace, text)


def _text_edits(tree: ast.Module, lines: list[str], name: str) -> list[tuple[int, int, int, str]]:
    """(line index, start column, end column, new text) renaming the originals in docstrings and logger names;
    columns in characters, one edit per line a string spans."""
    edits = []
    for node in _logger_names(tree):
        line = lines[node.lineno - 1]
        start, end = _column(line, node.col_offset), _column(line, node.end_col_offset or 0)
        edits.append((node.lineno - 1, start, end, json.dumps(name + node.value.removeprefix("batch_rest"))))
    for node in _docstrings(tree):
        for number in range(node.lineno, (node.end_lineno or node.lineno) + 1):
            line = lines[number - 1]
            start = _column(line, node.col_offset) if number == node.lineno else 0
            end = _column(line, node.end_col_offset or 0) if number == node.end_lineno else len(line)
            new = _renamed(line[start:end], name)
            if new != line[start:end]:
                edits.append((number - 1, start, end, new))
    return edits


def _column(line: str, offset: int) -> int:
    """The character column of `ast`'s UTF-8 byte offset `offset` on `line`."""
    return len(line.encode("utf-8")[:offset].decode("utf-8"))


def _dotted(node: ast.expr) -> str:
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        return f"{_dotted(node.value)}.{node.attr}"
    return ""


def _names_ours(node: ast.expr) -> bool:
    """A string (or the literal start of an f-string) naming our packages or the distribution."""
    if isinstance(node, ast.JoinedStr) and node.values:
        node = node.values[0]
    if not (isinstance(node, ast.Constant) and isinstance(node.value, str)):
        return False
    return _ours(node.value.split(".")[0]) or node.value == DISTRIBUTION


def check(tree: ast.Module, where: Where) -> None:
    """Fail where the rewritten module would still reach outside the vendored package."""
    for node in ast.walk(tree):
        problem = None
        if isinstance(node, ast.Import | ast.ImportFrom):
            names = [node.module] if isinstance(node, ast.ImportFrom) and node.level == 0 else []
            names += [alias.name for alias in node.names] if isinstance(node, ast.Import) else []
            if any(_ours(name) for name in names):
                problem = "an absolute import of batch_rest or batch_rest_generated remains"
        elif isinstance(node, ast.Call):
            callee = _dotted(node.func)
            importing = callee.rpartition(".")[2] in _IMPORTING_CALLS or callee.startswith(("importlib", "pkgutil"))
            if (importing or callee.startswith("sys.modules")) and any(
                _names_ours(arg) for arg in [*node.args, *(k.value for k in node.keywords)]
            ):
                problem = f"{callee}() is given the name of an original package or distribution"
        elif isinstance(node, ast.Subscript) and _dotted(node.value) == "sys.modules" and _names_ours(node.slice):
            problem = "sys.modules is looked up by an original package name"
        if problem:
            line = getattr(node, "lineno", 0)
            raise VendorError(f"{where.path}:{line}: {problem}; a vendored copy must not depend on it")


def optional_imports(tree: ast.Module) -> list[str]:
    """The top-level modules `tree` imports that a host need not have: not the standard library's, not the
    client's dependencies, not relative."""
    names = {alias.name for node in ast.walk(tree) if isinstance(node, ast.Import) for alias in node.names}
    names |= {n.module for n in ast.walk(tree) if isinstance(n, ast.ImportFrom) and n.level == 0 and n.module}
    tops = {name.partition(".")[0] for name in names}
    return sorted(tops - set(sys.stdlib_module_names) - DEPENDENCY_MODULES - set(TARGETS))


def mypy_setting(optional: list[str]) -> str:
    """The lines that let a host's mypy --strict pass a module whose `optional` imports it may not have."""
    return (
        f"\n# Added by make vendor: this module imports {', '.join(optional)}, which this copy does not need; where\n"
        "# it is not installed, mypy takes it as Any here instead of failing (it checks it where it is installed).\n"
        '# mypy: disable-error-code="import-not-found", allow-untyped-decorators\n'
    )


def rewrite(source: str, where: Where) -> str:
    """`source` with its imports of batch_rest and batch_rest_generated made relative (see the docstring)."""
    try:
        tree = ast.parse(source)
    except SyntaxError as exc:
        raise VendorError(f"{where.path}:{exc.lineno}: not valid Python: {exc.msg}") from None
    lines = source.splitlines(keepends=True)
    edits = _edits(tree, lines, where)  # imports are ASCII: their byte offsets are character columns
    if where.name is not None:
        edits += _text_edits(tree, lines, where.name)
    for index, start, end, new in sorted(edits, reverse=True):  # no two edits overlap: they are different nodes
        line = lines[index]
        lines[index] = line[:start] + new + line[end:]
    result = "".join(lines)
    check(ast.parse(result), where)
    optional = optional_imports(tree) if where.name is not None else []
    return result + mypy_setting(optional) if optional else result


def _server_facts(server_module: Path) -> tuple[str, str]:
    """(servers default version, info.version), from the generated _server.py, without importing it."""
    values: dict[str, object] = {}
    for node in ast.parse(server_module.read_text(encoding="utf-8")).body:
        if isinstance(node, ast.Assign) and isinstance(node.targets[0], ast.Name):
            values[node.targets[0].id] = ast.literal_eval(node.value)
    variables = values.get("SERVER_VARIABLES")
    version = variables.get("version") if isinstance(variables, dict) else None
    return str(version), str(values.get("DOCUMENT_VERSION"))


def provenance(name: str) -> dict[str, object]:
    """What VENDORED.json records: which client, for which API, from which upstream pages."""
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    api_version, document_version = _server_facts(GENERATED / "_server.py")
    try:
        store = openapi_pages.load(openapi_pages.OPENAPI)  # checks every page against its SHA-256
    except openapi_pages.PagesError as exc:
        raise VendorError(str(exc)) from None
    patch = store.patch_path.read_bytes()
    return {
        "package": name,
        "client": project["name"],
        "client_version": project["version"],
        "api_version": api_version,
        "document_version": document_version,
        "requires": project["dependencies"],
        "pages": {page: store.pages[page].provenance for page in sorted(store.pages)},
        "patch_sha256": hashlib.sha256(patch).hexdigest(),
        "note": f"Written by `make vendor PACKAGE={name}` of {project['name']}; do not edit, vendor again.",
    }


def _copy(source: Path, target: Path, where_root: Path) -> None:
    """Copy one package's files to `target`, rewriting its Python modules."""
    for path in sorted(source.rglob("*")):
        if not path.is_file() or "__pycache__" in path.parts or path.suffix in {".pyc", ".pyo"}:
            continue
        destination = target / path.relative_to(source)
        destination.parent.mkdir(parents=True, exist_ok=True)
        if path.suffix != ".py":
            shutil.copy2(path, destination)
            continue
        relative = destination.relative_to(where_root)
        where = Where(relative.as_posix(), len(relative.parts) - 1, where_root.name)
        destination.write_text(rewrite(path.read_text(encoding="utf-8"), where), encoding="utf-8")


def refusal(name: str) -> str | None:
    """Why `name` cannot be the vendored package's name, or None."""
    if not name.isidentifier() or keyword.iskeyword(name):
        return f"{name!r} is not a valid Python package name"
    instead = "; choose another name, such as batch_client"
    if name in sys.stdlib_module_names:
        return f"{name!r} is a module of Python's standard library: a folder of that name would shadow it{instead}"
    if name in DEPENDENCY_MODULES:
        return (f"{name!r} is a module the client needs (httpx, attrs, or one they import): a folder of that name "
                f"would be imported in its place{instead}")  # fmt: skip
    if name in TARGETS:
        return f"{name!r} is the installed client's own package name: the copy and it would hide each other{instead}"
    return None


def vendor(dest: Path, name: str, *, wrapper: Path = WRAPPER, generated: Path = GENERATED) -> Path:
    """Write dest/name/ (replacing a folder this tool wrote before); return it."""
    refused = refusal(name)
    if refused:
        raise VendorError(refused)
    for package in (wrapper, generated):
        if not (package / "__init__.py").is_file():
            raise VendorError(f"{package} is not a package")
    if (wrapper / SUBPACKAGE).exists() or (wrapper / f"{SUBPACKAGE}.py").exists():
        raise VendorError(f"{wrapper} has its own {SUBPACKAGE}: the generated package needs another name here")
    target = dest / name
    if target.exists() and not (target / PROVENANCE).is_file():
        raise VendorError(f"{target} exists and was not written by make vendor (no {PROVENANCE}); not replacing it")
    dest.mkdir(parents=True, exist_ok=True)
    record = provenance(name)
    with tempfile.TemporaryDirectory(prefix=f".{name}-", dir=dest) as scratch:
        staged = Path(scratch) / name
        _copy(wrapper, staged, staged)
        _copy(generated, staged / SUBPACKAGE, staged)
        (staged / PROVENANCE).write_text(json.dumps(record, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
        if target.exists():
            shutil.rmtree(target)
        staged.rename(target)
    return target


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("dest", type=Path, help="the folder to write <name>/ in (e.g. the host's src/)")
    parser.add_argument("package", help="the vendored package's name (e.g. batch_rest_v1)")
    args = parser.parse_args(argv)
    try:
        target = vendor(args.dest, args.package)
    except VendorError as exc:
        print(f"vendor: {exc}", file=sys.stderr)
        return 1
    record = json.loads((target / PROVENANCE).read_text(encoding="utf-8"))
    print(
        f"wrote {target}/: {record['client']} {record['client_version']} for Batch API {record['api_version']}, "
        f"{len(record['pages'])} page(s); import it as `{args.package}` (needs {' and '.join(record['requires'])})"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
