"""`make vendor DEST=<dir> PACKAGE=<name>` (tools/vendor.py): the client as one package folder that a host
repository copies into its tree and imports, with no pip install, no build backend and no network.

The end-to-end test vendors two copies under different names into a host folder and, in a fresh virtualenv that
holds httpx and attrs (and what they need) and nothing else, lists segments from each copy's own fake server in
one interpreter. The wheels come from the wheelhouse the tox environment keeps (tests/packaging/wheelhouse.py),
installed with --no-index: the test never touches the network. The other tests check the rewriting itself.
"""

from __future__ import annotations

import ast
import hashlib
import json
import os
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


def test_the_vendored_cli_runs_as_python_m(host: Path, venv: Path) -> None:
    assert "segments" in run([_python(venv), "-m", "batch_v1", "--help"], cwd=host, env=clean_env()).stdout


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


def test_the_vendored_copy_is_both_packages_with_only_their_imports_changed(host: Path) -> None:
    copy = _files(host / "batch_v1")
    expected = {
        **_files(ROOT / "wrapper" / "batch_rest"),
        **{f"_generated/{name}": data for name, data in _files(ROOT / "generated" / "batch_rest_generated").items()},
        vendor.PROVENANCE: copy.get(vendor.PROVENANCE, b""),
    }
    assert sorted(copy) == sorted(expected)
    assert {"py.typed", "_generated/py.typed"} <= copy.keys()
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
        assert len(before) == len(after), f"{name}: line numbers moved"
        changed = [i + 1 for i, (old, new) in enumerate(zip(before, after, strict=True)) if old != new]
        imports = {n.lineno for n in ast.walk(tree) if isinstance(n, ast.Import | ast.ImportFrom)}
        assert set(changed) <= imports, f"{name}: lines other than imports changed: {sorted(set(changed) - imports)}"


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


def test_strings_that_name_the_packages_outside_imports_are_kept() -> None:
    source = '"""Uses batch_rest_generated."""\nimport logging\nlogger = logging.getLogger("batch_rest")\n'
    assert vendor.rewrite(source, vendor.Where("_client.py", 0)) == source


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
