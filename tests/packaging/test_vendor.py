"""`make vendor DEST=<dir> PACKAGE=<name>` (tools/vendor.py): the client as one package folder that a host
repository copies into its tree and imports, with no pip install, no build backend and no network.

The end-to-end test vendors two copies under different names into a host folder and, in a fresh virtualenv that
holds httpx and attrs (and what they need) and nothing else, lists segments from each copy's own fake server in
one interpreter. The wheels come from the wheelhouse the tox environment keeps (tests/packaging/wheelhouse.py),
installed with --no-index: the test never touches the network. In that virtualenv too: each copy logs, names
itself and types as its own package (mypy --strict over a user's tree holding a copy), and the names a copy may
not take cover every module installing httpx and attrs brings. The other tests check the rewriting itself.
"""

from __future__ import annotations

import ast
import hashlib
import json
import keyword
import os
import re
import subprocess
import sys
import textwrap
import tomllib
from pathlib import Path
from typing import Any

import pytest
from _repo import ROOT, clean_env, dependency_closure, run
from packaging.utils import canonicalize_name

sys.path.insert(0, str(ROOT / "tools"))
import vendor

pytestmark = pytest.mark.timeout(300)

BIN = "Scripts" if os.name == "nt" else "bin"
BOOTSTRAP = {"pip", "setuptools", "wheel"}  # what `python -m venv` puts in any virtualenv
COPIES = {"batch_v1": 123, "batch_v2": 45}  # vendored name -> segments its fake server holds
ORIGINALS = ("batch_rest", "batch_rest_generated")
PROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
WHEELHOUSE = os.environ.get("VENDOR_TEST_WHEELHOUSE")

# Run by the fresh virtualenv's interpreter, from the host folder: both copies at once.
SIDE_BY_SIDE = """
import importlib.metadata, importlib.util, json, sys
originals_findable = [name for name in {originals!r} if importlib.util.find_spec(name) is not None]
copies = {{name: __import__(name) for name in {copies!r}}}
listed = {{}}
for name, segments in {copies!r}.items():
    testing = __import__(name + ".testing", fromlist=["FakeBatchServer"])
    with testing.FakeBatchServer(segments=segments) as server:
        with copies[name].BatchClient(server.api_key, server.project_key, base_url=server.url) as client:
            listed[name] = [segment.code for segment in client.segments.list()]
print(json.dumps({{
    "originals_findable": originals_findable,
    "listed": listed,
    "modules": {{name: getattr(module, "__file__", None) for name, module in sys.modules.items()}},
    "distinct_clients": copies[{first!r}].BatchClient is not copies[{second!r}].BatchClient,
    "requires": {{d.metadata["Name"]: d.requires or [] for d in importlib.metadata.distributions()}},
}}))
"""


def _python(venv: Path) -> Path:
    return venv / BIN / ("python.exe" if os.name == "nt" else "python")


@pytest.fixture(scope="module")
def host(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Someone else's source tree, with two copies of the client written into it by tools/vendor.py."""
    root = tmp_path_factory.mktemp("host")
    for name in COPIES:
        run([sys.executable, ROOT / "tools" / "vendor.py", root, name], cwd=ROOT)
    return root


@pytest.fixture(scope="module")
def venv(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A fresh virtualenv with the client's dependencies only, installed offline from the wheelhouse."""
    if not WHEELHOUSE:
        if os.environ.get("CI"):
            pytest.fail("VENDOR_TEST_WHEELHOUSE is not set: run `tox run -e packaging`")
        pytest.skip("needs the wheelhouse of `tox run -e packaging` (VENDOR_TEST_WHEELHOUSE)")
    path = tmp_path_factory.mktemp("venvs") / "host-env"
    run([sys.executable, "-m", "venv", path], cwd=path.parent)
    install = ["-m", "pip", "install", "--quiet", "--no-index", "--find-links", WHEELHOUSE, *PROJECT["dependencies"]]
    run([_python(path), *install], cwd=path.parent, timeout=240)
    return path


def test_two_vendored_copies_list_segments_side_by_side_in_a_bare_virtualenv(host: Path, venv: Path) -> None:
    first, second = COPIES
    script = host / "side_by_side.py"
    script.write_text(SIDE_BY_SIDE.format(originals=ORIGINALS, copies=COPIES, first=first, second=second))
    result: dict[str, Any] = json.loads(run([_python(venv), script], cwd=host, env=clean_env(), timeout=120).stdout)

    # Nothing but httpx, attrs and what they need is installed, and the original packages are not findable.
    installed = {canonicalize_name(name) for name in result["requires"]}
    assert sorted(installed - BOOTSTRAP - dependency_closure(result["requires"], ["httpx", "attrs"])) == []
    assert result["originals_findable"] == []
    for name, segments in COPIES.items():
        codes = result["listed"][name]
        assert len(codes) == segments
        assert len(set(codes)) == segments
    assert result["distinct_clients"]
    # Each copy imported only itself: no module of the originals, every module of a copy from its own folder.
    loaded = result["modules"]
    assert sorted(m for m in loaded if m.split(".")[0] in ORIGINALS) == []
    for name in COPIES:
        files = [file for module, file in loaded.items() if module.split(".")[0] == name]
        assert f"{name}._generated" in loaded
        assert files
        assert all(Path(file).is_relative_to(host / name) for file in files if file)


def test_the_vendored_cli_runs_as_python_m_and_names_itself_so(host: Path, venv: Path) -> None:
    shown = run([_python(venv), "-m", "batch_v1", "segments", "list", "--help"], cwd=host, env=clean_env()).stdout
    assert shown.startswith("usage: python -m batch_v1 segments list ")
    assert "batch-rest" not in shown
    assert "batch_rest" not in shown
    done = subprocess.run([_python(venv), "-m", "batch_v1", "--version"], cwd=host, env=clean_env(),
                          capture_output=True, text=True, check=True)  # fmt: skip
    assert done.stdout.startswith(f"python -m batch_v1 {PROJECT['version']} ")


# Run by the fresh virtualenv's interpreter: what a copy logs under, and what its docstrings call it.
OWN_NAME = """
import json, logging, sys
import batch_v1
from batch_v1.testing import FakeBatchServer, Fault
names = []
handler = logging.Handler()
handler.emit = lambda record: names.append(record.name)
logging.getLogger().addHandler(handler)
logging.getLogger().setLevel(logging.DEBUG)
with FakeBatchServer(segments=3) as server:
    server.inject(Fault.service_unavailable())
    with batch_v1.BatchClient(server.api_key, server.project_key, base_url=server.url) as client:
        client._sleep = lambda seconds: None
        assert len(list(client.segments.list())) == 3
print(json.dumps({
    "record_loggers": sorted(set(names)),
    "loggers": sorted(name for name in logging.root.manager.loggerDict if name.startswith(("batch", "httpx"))),
    "doc": batch_v1.__doc__,
    "client_doc": batch_v1.BatchClient.__doc__ or "",
}))
"""


def test_a_vendored_copy_logs_under_its_own_name_and_its_docstrings_name_it(host: Path, venv: Path) -> None:
    script = host / "own_name.py"
    script.write_text(OWN_NAME)
    result = json.loads(run([_python(venv), script], cwd=host, env=clean_env(), timeout=120).stdout)
    assert "batch_v1" in result["record_loggers"]  # each attempt at DEBUG, the retry at INFO
    assert [name for name in result["record_loggers"] if name.startswith("batch")] == ["batch_v1"]
    assert [name for name in result["loggers"] if name.startswith("batch")] == ["batch_v1"]
    assert "import batch_v1" in result["doc"]
    for doc in (result["doc"], result["client_doc"]):
        assert "batch_rest" not in doc


# A user's code, type-checked with the copy in its tree: mypy must see the copy's real types.
USER_SCRIPT = """
import asyncio

import batch_client
from batch_client.testing import FakeBatchServer, Fault


def codes() -> list[str]:
    with FakeBatchServer(segments=12) as server:
        server.inject(Fault.rate_limit(retry_after=0))
        with batch_client.BatchClient(server.api_key, server.project_key, base_url=server.url) as client:
            page = client.segments.list_page(limit=5)
            more: bool = page.has_more
            listed = [str(segment.code) for segment in client.segments.list(page_size=5)]
            return listed if more else []


async def first_async(url: str, key: str, project: str) -> int:
    async with batch_client.AsyncBatchClient(key, project, base_url=url) as client:
        try:
            page = await client.segments.list_page(limit=1)
        except batch_client.BatchError:
            return -1
        return len(page)


def async_codes() -> int:
    with FakeBatchServer(segments=3) as server:
        return asyncio.run(first_async(server.url, server.api_key, server.project_key))


if __name__ == "__main__":
    assert len(codes()) == 12
    assert async_codes() == 1
"""
WRONG_CALL = "\n\ndef wrong(client: batch_client.BatchClient) -> None:\n    client.segments.list_page(limit='5')\n"


def mypy_strict(tree: Path, venv: Path) -> subprocess.CompletedProcess[str]:
    """The tox environment's mypy, on the whole `tree`, finding httpx and attrs in the host's virtualenv."""
    command = [sys.executable, "-m", "mypy", "--strict", "--python-executable", _python(venv),
               "--cache-dir", tree.parent / f"{tree.name}-mypy-cache", "."]  # fmt: skip
    return subprocess.run(
        [str(part) for part in command], cwd=tree, env=clean_env(), capture_output=True, text=True, check=False,
        timeout=300,
    )  # fmt: skip


def test_a_vendored_copy_in_a_users_tree_passes_the_users_mypy_strict(tmp_path: Path, venv: Path) -> None:
    tree = tmp_path / "user-project"
    run([sys.executable, ROOT / "tools" / "vendor.py", tree, "batch_client"], cwd=ROOT)
    (tree / "app.py").write_text(USER_SCRIPT)
    run([_python(venv), "app.py"], cwd=tree, env=clean_env(), timeout=120)  # it runs...

    result = mypy_strict(tree, venv)  # ...and type-checks, the copy included
    modules = len(list(tree.rglob("*.py")))
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.strip() == f"Success: no issues found in {modules} source files"

    # The copy's types are real (not Any): a wrong argument to its method is an error, on that line.
    (tree / "app.py").write_text(USER_SCRIPT + WRONG_CALL)
    result = mypy_strict(tree, venv)
    assert result.returncode == 1, result.stdout
    errors = [line for line in result.stdout.splitlines() if ": error: " in line]
    line = len((USER_SCRIPT + WRONG_CALL).splitlines())
    assert len(errors) == 1, result.stdout
    assert errors[0].startswith(f'app.py:{line}: error: Argument "limit" ')
    assert errors[0].endswith("[arg-type]")


# Run by the fresh virtualenv's interpreter: the top-level modules installed there besides pip's own.
TOP_LEVEL_MODULES = """
import json, pkgutil, sysconfig
site = sysconfig.get_paths()["purelib"]
print(json.dumps(sorted({m.name for m in pkgutil.iter_modules([site])})))
"""
BOOTSTRAP_MODULES = {"pip", "setuptools", "pkg_resources", "_distutils_hack", "wheel"}


def test_the_names_refused_cover_every_module_installing_httpx_and_attrs_brings(host: Path, venv: Path) -> None:
    script = host / "top_level.py"
    script.write_text(TOP_LEVEL_MODULES)
    modules = set(json.loads(run([_python(venv), script], cwd=host, env=clean_env()).stdout)) - BOOTSTRAP_MODULES
    assert {"httpx", "attrs", "attr", "httpcore", "h11", "anyio", "idna", "certifi"} <= modules
    assert sorted(name for name in modules if vendor.refusal(name) is None) == []


def test_the_vendored_copy_carries_its_provenance(host: Path) -> None:
    record = json.loads((host / "batch_v1" / vendor.PROVENANCE).read_text(encoding="utf-8"))
    pages = json.loads((ROOT / "openapi" / "pages.json").read_text(encoding="utf-8"))
    assert record["package"] == "batch_v1"
    assert record["client_version"] == PROJECT["version"]
    server = (ROOT / "generated" / "batch_rest_generated" / "_server.py").read_text(encoding="utf-8")
    assert f'"version": "{record["api_version"]}"' in server
    assert record["pages"] == pages
    for name, page in record["pages"].items():
        text = (ROOT / "openapi" / "pages" / f"{name}.json").read_text(encoding="utf-8")
        assert hashlib.sha256(text.removesuffix("\n").encode()).hexdigest() == page["sha256"]
    patch = (ROOT / "openapi" / "batch-api.patch.json").read_bytes()
    assert record["patch_sha256"] == hashlib.sha256(patch).hexdigest()


def _files(folder: Path) -> dict[str, bytes]:
    return {
        p.relative_to(folder).as_posix(): p.read_bytes()
        for p in folder.rglob("*")
        if p.is_file() and "__pycache__" not in p.parts
    }


def test_the_vendored_copy_is_both_packages_with_only_imports_docstrings_and_logger_names_changed(
    host: Path,
) -> None:
    copy = _files(host / "batch_v1")
    expected = {
        **_files(ROOT / "wrapper" / "batch_rest"),
        **{f"_generated/{name}": data for name, data in _files(ROOT / "generated" / "batch_rest_generated").items()},
        vendor.PROVENANCE: copy.get(vendor.PROVENANCE, b""),
    }
    assert sorted(copy) == sorted(expected)
    assert {"py.typed", "_generated/py.typed"} <= copy.keys()
    with_setting = [name for name, data in copy.items() if name.endswith(".py") and b"\n# mypy: " in data]
    assert with_setting == ["testing/pytest_plugin.py"]
    for name, data in copy.items():
        if not name.endswith(".py"):
            assert data == expected[name], name
            continue
        tree = ast.parse(data)
        absolute = [
            node.lineno
            for node in ast.walk(tree)
            if (isinstance(node, ast.ImportFrom) and node.level == 0 and node.module.split(".")[0] in ORIGINALS)
            or (isinstance(node, ast.Import) and any(a.name.split(".")[0] in ORIGINALS for a in node.names))
        ]
        assert absolute == [], f"{name}: absolute imports of the originals on lines {absolute}"
        before, after = expected[name].decode().splitlines(), data.decode().splitlines()
        optional = vendor.optional_imports(ast.parse(expected[name]))
        if optional:  # the pytest plugin: an inline mypy setting after the last line
            appended = vendor.mypy_setting(optional).splitlines()
            assert after[len(before) :] == appended, name
            after = after[: len(before)]
        assert len(before) == len(after), f"{name}: line numbers moved"
        changed = [i + 1 for i, (old, new) in enumerate(zip(before, after, strict=True)) if old != new]
        allowed = {n.lineno for n in ast.walk(tree) if isinstance(n, ast.Import | ast.ImportFrom)}
        allowed |= {n.lineno for n in vendor._logger_names(ast.parse(expected[name]))}
        for doc in vendor._docstrings(tree):
            allowed |= set(range(doc.lineno, (doc.end_lineno or doc.lineno) + 1))
        assert set(changed) <= allowed, f"{name}: other lines changed: {sorted(set(changed) - allowed)}"
        for doc in vendor._docstrings(tree):  # every docstring names the copy, not the originals
            assert not re.search(r"\bbatch_rest|\bbatch-rest\b(?!-client)", doc.value), f"{name}:{doc.lineno}"


# -- the rewriting, module by module ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("path", "original", "rewritten"),
    [
        ("_seam.py", "from batch_rest_generated.models import A, B", "from ._generated.models import A, B"),
        ("_seam.py", "from batch_rest_generated import _server", "from ._generated import _server"),
        ("_seam.py", "import batch_rest_generated", "from . import _generated as batch_rest_generated"),
        (
            "_seam.py",
            "import batch_rest_generated.api",
            "from ._generated import api as batch_rest_generated; from . import _generated as batch_rest_generated",
        ),
        ("_seam.py", "import batch_rest_generated.api as api", "from ._generated import api as api"),
        ("_seam.py", "import os, batch_rest.errors as e", "import os; from . import errors as e"),
        ("testing/_server.py", "from batch_rest._seam import X", "from .._seam import X"),
        ("testing/_server.py", "from batch_rest import BatchClient", "from .. import BatchClient"),
        ("testing/__init__.py", "from batch_rest.testing._server import F", "from ..testing._server import F"),
        (
            "_generated/_typed.py",
            "from batch_rest._resource import (\n    A,\n)",
            "from .._resource import (\n    A,\n)",
        ),
        (
            "_generated/api/x/y.py",
            "from batch_rest_generated.types import UNSET",
            "from ...._generated.types import UNSET",
        ),
        (
            "_seam.py",
            "if TYPE_CHECKING:\n    from batch_rest import X  # why",
            "if TYPE_CHECKING:\n    from . import X  # why",
        ),
        ("_seam.py", "from batch_rest_helpers import x", "from batch_rest_helpers import x"),  # not ours
        ("_seam.py", "from .errors import X", "from .errors import X"),
    ],
)
def test_imports_become_relative(path: str, original: str, rewritten: str) -> None:
    where = vendor.Where(path, path.count("/"))
    assert vendor.rewrite(original + "\n", where) == rewritten + "\n"


def test_strings_that_name_the_packages_outside_imports_are_kept_without_a_name() -> None:
    source = '"""Uses batch_rest_generated."""\nimport logging\nlogger = logging.getLogger("batch_rest")\n'
    assert vendor.rewrite(source, vendor.Where("_client.py", 0)) == source


RENAMED = [
    ('"""Uses batch_rest_generated and batch_rest.testing."""',
     '"""Uses copy._generated and copy.testing."""'),
    ('"""See batch_rest_generated/_typed.py and batch_rest/cli.py."""',
     '"""See copy/_generated/_typed.py and copy/cli.py."""'),
    ('def f():\n    """`batch-rest --help` (from batch-rest-client), $BATCH_REST_LOG, batch_rest_x."""',
     'def f():\n    """`python -m copy --help` (from batch-rest-client), $BATCH_REST_LOG, batch_rest_x."""'),
    ('class C:\n    """Ünïcode → batch_rest\n\n    lines: batch_rest."""\n    x = "batch_rest"',
     'class C:\n    """Ünïcode → copy\n\n    lines: copy."""\n    x = "batch_rest"'),
    ('import logging\nlog = logging.getLogger("batch_rest")  # batch_rest',
     'import logging\nlog = logging.getLogger("copy")  # batch_rest'),
    ('from logging import getLogger\nlog = getLogger("batch_rest.retries")',
     'from logging import getLogger\nlog = getLogger("copy.retries")'),
    ('import logging\nlog = logging.getLogger("batch_rest_other")',
     'import logging\nlog = logging.getLogger("batch_rest_other")'),
    ('x = "batch_rest"\n"""not a docstring: batch_rest"""', 'x = "batch_rest"\n"""not a docstring: batch_rest"""'),
]  # fmt: skip


@pytest.mark.parametrize(("original", "rewritten"), RENAMED)
def test_docstrings_and_logger_names_name_the_copy(original: str, rewritten: str) -> None:
    assert vendor.rewrite(original + "\n", vendor.Where("_client.py", 0, "copy")) == rewritten + "\n"


REFUSED = ["json", "sys", "asyncio", "typing", "_thread", "httpx", "httpcore", "h11", "anyio", "idna", "sniffio",
           "certifi", "attrs", "attr", "typing_extensions", "batch_rest", "batch_rest_generated"]  # fmt: skip


@pytest.mark.parametrize("name", REFUSED)
def test_a_name_that_would_shadow_a_module_is_refused_and_nothing_is_written(tmp_path: Path, name: str) -> None:
    dest = tmp_path / "dest"
    result = subprocess.run(
        [sys.executable, ROOT / "tools" / "vendor.py", dest, name], capture_output=True, text=True, check=False
    )
    assert result.returncode == 1
    assert result.stdout == ""
    assert result.stderr.startswith(f"vendor: {name!r} is ")
    assert "choose another name" in result.stderr
    assert not dest.exists()


def test_every_standard_library_module_is_refused_and_other_names_are_not() -> None:
    for name in sorted(sys.stdlib_module_names):
        if name.isidentifier() and not keyword.iskeyword(name):
            assert vendor.refusal(name) is not None, name
    assert vendor.refusal("batch_client") is None
    assert vendor.refusal("json_tools") is None


@pytest.mark.parametrize(
    ("source", "line", "message"),
    [
        ("import json\nimport batch_rest\n", 2, "binds the package batch_rest itself"),
        ("import batch_rest.errors\n", 1, "binds the package batch_rest itself"),
        ('import importlib\nx = 1\nimportlib.import_module("batch_rest_generated.api")\n', 3, "import_module()"),
        ('import importlib\nimportlib.import_module(f"batch_rest_generated.{name}")\n', 2, "import_module()"),
        ('m = __import__("batch_rest")\n', 1, "__import__()"),
        ('import sys\nm = sys.modules["batch_rest._seam"]\n', 2, "sys.modules"),
        ('from importlib import resources\nresources.files(package="batch_rest_generated")\n', 2, "files()"),
        ('import importlib.metadata as md\nmd.version("batch-rest-client")\n', 2, "version()"),
        ("from batch_rest import (x,\n    y); import batch_rest_generated.api as a, \\\n    os\n", 2, "on one line"),
    ],
)
def test_what_a_copy_cannot_rewrite_fails_naming_file_and_line(source: str, line: int, message: str) -> None:
    with pytest.raises(vendor.VendorError, match=rf"^cli\.py:{line}: .*{message}"):
        vendor.rewrite(textwrap.dedent(source), vendor.Where("cli.py", 0))


def test_vendoring_replaces_its_own_folder_and_nothing_else(tmp_path: Path) -> None:
    target = vendor.vendor(tmp_path, "client_copy")
    (target / "stale.py").write_text("")
    assert vendor.vendor(tmp_path, "client_copy") == target
    assert not (target / "stale.py").exists()
    (tmp_path / "theirs").mkdir()
    with pytest.raises(vendor.VendorError, match="was not written by make vendor"):
        vendor.vendor(tmp_path, "theirs")
    with pytest.raises(vendor.VendorError, match="not a valid Python package name"):
        vendor.vendor(tmp_path, "two-words")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["client_copy", "theirs"]  # no scratch folder left
