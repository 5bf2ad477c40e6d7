"""Regenerate `generated/batch_rest_generated` from the vendored OpenAPI pages.

    openapi/pages/*.json|yaml  --(merge)-->  one document  --(RFC 6902 patch)-->  --(openapi-python-client)-->  package

The merge and the patch are tools/openapi_pages.py's (its docstring and openapi/README.md give the rules); the
merged, patched document must validate as OpenAPI 3.1.

Run through `make generate` / `make check-generated`, which provide the pinned toolchain
(requirements/tools.txt). The output must be byte-identical wherever it runs, so: a fresh temporary folder
every time, ruff run `--isolated`, and nothing else from the machine leaking in.

openapi-python-client ignores the document's `servers` and `info.version`; this script records them in
`batch_rest_generated/_server.py` so that the wrapper's default base URL follows a regenerated document. It also
adds what the wrapper needs per operation (tools/emit_layer.py): openapi.json, _operations.py and _typed.py, and
the TypedDicts of plain-JSON bodies (tools/emit_params.py): params.py. Some of the generator's templates are
replaced by ours (tools/templates/: each says why in its header): models whose optional fields are `T | None`,
tolerant enums, a lazy package `__init__`, a repr for UNSET, the client's `__exit__` typed for mypy --strict.
"""

from __future__ import annotations

import argparse
import difflib
import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

# tools/ is on sys.path: this script's own folder
import openapi_pages
from emit_layer import LIMITS_FILE, OPERATIONS_MODULE, TYPED_MODULE, EmitError, emit, read_limits
from emit_params import PARAMS_MODULE

ROOT = Path(__file__).resolve().parent.parent
CONFIG = ROOT / "generator-config.yaml"
TEMPLATES = ROOT / "tools" / "templates"
PACKAGE = "batch_rest_generated"
TARGET = ROOT / "generated" / PACKAGE

# What tools/emit_layer.py writes in Python, formatted as generator-config's post_hooks format the generator's.
EMITTED_MODULES = (OPERATIONS_MODULE, TYPED_MODULE, PARAMS_MODULE)

SERVER_MODULE = '''\
"""The document's `servers` and `info.version`, which openapi-python-client does not carry over.

Written by tools/generate.py; do not edit.
"""

SERVER_URL_TEMPLATE = {url}
SERVER_VARIABLES = {variables}
DOCUMENT_VERSION = {version}
'''


def server_facts(document: dict[str, Any]) -> tuple[str, dict[str, str], str]:
    """The first server's URL template and variable defaults, and info.version: what _server.py records."""
    server = (document.get("servers") or [{"url": "/"}])[0]
    variables = {name: spec.get("default", "") for name, spec in server.get("variables", {}).items()}
    return server["url"], variables, document["info"]["version"]


def _server_module(document: dict[str, Any]) -> str:
    url, variables, version = server_facts(document)
    return SERVER_MODULE.format(url=json.dumps(url), variables=json.dumps(variables), version=json.dumps(version))


def generate(document: dict[str, Any], target: Path, limits: dict[str, dict[str, Any]] | None = None) -> None:
    """Write the package for `document` to `target`, replacing whatever was there. `limits`: openapi/limits.json
    as emit_layer.read_limits reads it (which operations may be split, their rate limits)."""
    bin_dir = Path(sys.executable).parent
    env = {**os.environ, "PATH": f"{bin_dir}{os.pathsep}{os.environ.get('PATH', '')}", "RUFF_NO_CACHE": "true"}
    with tempfile.TemporaryDirectory(prefix="batch-generate-") as scratch:
        spec = Path(scratch) / "openapi.json"
        spec.write_text(json.dumps(document, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
        out = Path(scratch) / PACKAGE
        command = [
            str(bin_dir / "openapi-python-client"),
            "generate",
            "--path",
            str(spec),
            "--config",
            str(CONFIG),
            "--meta",
            "none",
            "--output-path",
            str(out),
            "--fail-on-warning",
            "--custom-template-path",
            str(TEMPLATES),
        ]
        result = subprocess.run(command, env=env, capture_output=True, text=True, check=False)
        if result.returncode != 0:
            sys.stderr.write(result.stdout + result.stderr)
            raise SystemExit(f"openapi-python-client failed (exit {result.returncode})")
        (out / "_server.py").write_text(_server_module(document), encoding="utf-8")
        (out / "py.typed").write_text("", encoding="utf-8")
        emit(document, out, limits)
        for ruff in (["check", "--fix-only", "--extend-select=I"], ["format"]):  # as generator-config's post_hooks
            subprocess.run(
                [str(bin_dir / "ruff"), *ruff, "--isolated", "--no-cache", "--quiet", *EMITTED_MODULES],
                cwd=out,
                env=env,
                check=True,
            )
        for cache in [*out.rglob("__pycache__"), *out.rglob(".ruff_cache")]:
            shutil.rmtree(cache)
        if target.exists():
            shutil.rmtree(target)
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copytree(out, target)


def _tree(root: Path) -> dict[str, str]:
    return {str(p.relative_to(root)): p.read_text(encoding="utf-8") for p in sorted(root.rglob("*")) if p.is_file()}


def drift(expected: Path, actual: Path) -> str:
    """A unified diff from the committed package (`actual`) to a fresh generation (`expected`)."""
    want, have = _tree(expected), _tree(actual)
    chunks: list[str] = []
    for name in sorted(want.keys() | have.keys()):
        if want.get(name) != have.get(name):
            chunks.extend(
                difflib.unified_diff(
                    have.get(name, "").splitlines(keepends=True),
                    want.get(name, "").splitlines(keepends=True),
                    fromfile=f"committed/{name}" if name in have else "/dev/null",
                    tofile=f"regenerated/{name}" if name in want else "/dev/null",
                )
            )
    return "".join(chunks)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--openapi", type=Path, default=openapi_pages.OPENAPI, help="the folder of pages and patch")
    parser.add_argument(
        "--page",
        type=Path,
        action="append",
        default=[],
        help="generate from these page files instead of the folder's pages (repeatable; provenance unchecked)",
    )
    parser.add_argument("--patch", type=Path, help="the RFC 6902 patch (default: the folder's)")
    parser.add_argument("--limits", type=Path, help=f"the documented limits (default: the folder's {LIMITS_FILE})")
    parser.add_argument("--output", type=Path, default=TARGET, help="package folder to (re)write")
    parser.add_argument("--check", action="store_true", help="regenerate aside and fail if --output differs")
    args = parser.parse_args()
    try:
        source = openapi_pages.source_document(
            openapi_pages.load(args.openapi, page_files=args.page, patch_file=args.patch)
        )
    except openapi_pages.PagesError as exc:
        raise SystemExit(str(exc)) from None
    document = source.document
    try:
        limits = read_limits(args.limits or args.openapi / LIMITS_FILE)
    except (EmitError, ValueError) as exc:
        raise SystemExit(f"{LIMITS_FILE}: {exc}") from None
    if not args.check:
        generate(document, args.output, limits)
        print(f"generated {args.output.relative_to(ROOT) if args.output.is_relative_to(ROOT) else args.output}")
        print(f"from {len(source.pages)} page{'s' * (len(source.pages) > 1)}: {', '.join(source.pages)}")
        for note in source.notes:
            print(note)
        return 0
    with tempfile.TemporaryDirectory(prefix="batch-check-") as scratch:
        fresh = Path(scratch) / PACKAGE
        generate(document, fresh, limits)
        diff = drift(fresh, args.output)
    if diff:
        sys.stdout.write(diff)
        print(f"\n{args.output} differs from what `make generate` writes (diff above). Run `make generate`.")
        return 1
    print(f"{args.output.name}: no drift")
    return 0


if __name__ == "__main__":
    sys.exit(main())
