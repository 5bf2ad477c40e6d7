"""The wheel and the sdist, built from the repository as a release would be (`python -m build`, isolated).

The wheel must hold the two packages (the hand-written `batch_rest` and the committed, generated
`batch_rest_generated`) byte for byte as committed, with their py.typed markers, the `batch-rest` console script
and the pytest plugin's entry point, and nothing else: no tests, tools, OpenAPI sources, caches or bytecode.
"""

from __future__ import annotations

import base64
import configparser
import csv
import email.parser
import hashlib
import importlib.util
import io
import os
import sys
import tarfile
import tomllib
import zipfile
from dataclasses import dataclass
from email.message import Message
from pathlib import Path

import pytest
from _repo import PACKAGES, ROOT, junk, run, shipped_files, status
from packaging.requirements import Requirement
from packaging.specifiers import SpecifierSet
from packaging.utils import canonicalize_name

pytestmark = pytest.mark.timeout(300)  # isolated builds download hatchling: generous for a slow index

if importlib.util.find_spec("build") is None and not os.environ.get("CI"):  # in CI, fail loudly instead
    pytest.skip("needs pypa/build: run `tox run -e packaging`", allow_module_level=True)

PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
VERSION = PYPROJECT["project"]["version"]
DIST_INFO = f"batch_rest_client-{VERSION}.dist-info"
SDIST_ROOT = f"batch_rest_client-{VERSION}"


@dataclass(frozen=True)
class Built:
    wheel: Path
    sdist: Path
    status_before: list[str]
    status_after: list[str]


def build(source: Path, out: Path, *formats: str) -> None:
    run([sys.executable, "-m", "build", *formats, "--outdir", out, source], cwd=out, timeout=240)


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Built:
    out = tmp_path_factory.mktemp("dist")
    before = status()
    build(ROOT, out, "--wheel", "--sdist")
    after = status()
    (wheel,) = out.glob("*.whl")
    (sdist,) = out.glob("*.tar.gz")
    return Built(wheel, sdist, before, after)


def wheel_files(path: Path) -> dict[str, bytes]:
    with zipfile.ZipFile(path) as archive:
        return {name: archive.read(name) for name in archive.namelist()}


def sdist_files(path: Path) -> dict[str, bytes]:
    with tarfile.open(path) as archive:
        members = archive.getmembers()
        assert all(m.isfile() or m.isdir() for m in members), "links or devices in the sdist"
        return {m.name: archive.extractfile(m).read() for m in members if m.isfile()}


def metadata(wheel: Path) -> Message:
    return email.parser.Parser().parsestr(wheel_files(wheel)[f"{DIST_INFO}/METADATA"].decode())


def expected_wheel_files() -> dict[str, str]:
    """Name in the wheel -> path in the repository, for every file of the two packages."""
    return {
        PACKAGES[prefix] + name.removeprefix(prefix): name
        for name in shipped_files()
        for prefix in PACKAGES
        if name.startswith(prefix)
    }


def test_building_leaves_the_repository_untouched(built: Built) -> None:
    # Ignored files included: no build/, dist/, *.egg-info or __pycache__ appears either.
    before, after = set(built.status_before), set(built.status_after)
    assert {"appeared": sorted(after - before), "gone": sorted(before - after)} == {"appeared": [], "gone": []}


def test_the_wheel_holds_the_two_packages_as_committed_and_nothing_else(built: Built) -> None:
    files = wheel_files(built.wheel)
    packaged = {name for name in files if not name.startswith(f"{DIST_INFO}/")}
    expected = expected_wheel_files()
    assert {"missing": sorted(expected.keys() - packaged), "unexpected": sorted(packaged - expected.keys())} == {
        "missing": [],
        "unexpected": [],
    }
    changed = [name for name in sorted(packaged) if files[name] != (ROOT / expected[name]).read_bytes()]
    assert changed == [], "the wheel's copy differs from the repository's"
    assert {name.split("/")[0] for name in files} == {"batch_rest", "batch_rest_generated", DIST_INFO}


def test_the_wheel_has_both_packages_typed_the_cli_and_the_plugin(built: Built) -> None:
    names = set(wheel_files(built.wheel))
    for name in (
        "batch_rest/__init__.py",
        "batch_rest/py.typed",
        "batch_rest/cli.py",
        "batch_rest/__main__.py",
        "batch_rest/testing/__init__.py",
        "batch_rest/testing/pytest_plugin.py",
        "batch_rest_generated/__init__.py",
        "batch_rest_generated/py.typed",
        "batch_rest_generated/client.py",
    ):
        assert name in names


def test_the_wheel_has_no_tests_caches_bytecode_or_tooling(built: Built) -> None:
    files = wheel_files(built.wheel)
    assert junk(files) == []
    assert not [name for name in files if name.startswith(("tests/", "openapi/", "tools/", "wrapper/", "generated/"))]


def test_the_wheel_declares_the_console_script_and_the_pytest_plugin(built: Built) -> None:
    entry_points = configparser.ConfigParser(delimiters=("=",))
    entry_points.optionxform = str  # entry point names are case-sensitive
    entry_points.read_string(wheel_files(built.wheel)[f"{DIST_INFO}/entry_points.txt"].decode())
    sections = {name: dict(entry_points[name]) for name in entry_points.sections()}
    assert sections == {
        "console_scripts": {"batch-rest": "batch_rest.cli:main"},
        "pytest11": {"batch_rest": "batch_rest.testing.pytest_plugin"},
    }


def test_the_wheel_requires_only_httpx_and_attrs_and_python_3_11(built: Built) -> None:
    meta = metadata(built.wheel)
    assert meta["Name"] == "batch-rest-client"
    assert meta["Version"] == VERSION
    requires = [Requirement(line) for line in meta.get_all("Requires-Dist") or []]
    assert sorted(canonicalize_name(r.name) for r in requires) == ["attrs", "httpx"]
    assert all(r.marker is None and not r.extras for r in requires)
    assert {str(r) for r in requires} == {str(Requirement(line)) for line in PYPROJECT["project"]["dependencies"]}
    assert meta.get_all("Provides-Extra") is None
    assert SpecifierSet(meta["Requires-Python"]) == SpecifierSet(">=3.11")
    assert meta["Description-Content-Type"] == "text/markdown"
    assert meta.get_payload() == (ROOT / "README.md").read_text(encoding="utf-8")


def test_the_package_version_matches_the_distributions(built: Built) -> None:
    source = wheel_files(built.wheel)["batch_rest/_version.py"].decode()
    assert f'__version__ = "{VERSION}"' in source


def test_the_wheel_is_pure_python_and_its_record_is_complete_and_true(built: Built) -> None:
    files = wheel_files(built.wheel)
    wheel_info = email.parser.Parser().parsestr(files[f"{DIST_INFO}/WHEEL"].decode())
    assert wheel_info["Root-Is-Purelib"] == "true"
    assert wheel_info.get_all("Tag") == ["py3-none-any"]
    assert built.wheel.name == f"batch_rest_client-{VERSION}-py3-none-any.whl"
    record = list(csv.reader(io.StringIO(files[f"{DIST_INFO}/RECORD"].decode())))
    assert sorted(row[0] for row in record) == sorted(files)
    for name, digest, size in record:
        if name == f"{DIST_INFO}/RECORD":
            assert (digest, size) == ("", "")
            continue
        sha256 = base64.urlsafe_b64encode(hashlib.sha256(files[name]).digest()).rstrip(b"=").decode()
        assert (digest, int(size)) == (f"sha256={sha256}", len(files[name])), name


def test_the_sdist_holds_the_packages_and_build_files_only(built: Built) -> None:
    files = sdist_files(built.sdist)
    assert built.sdist.name == f"{SDIST_ROOT}.tar.gz"
    assert all(name.startswith(f"{SDIST_ROOT}/") for name in files)
    relative = {name.removeprefix(f"{SDIST_ROOT}/"): data for name, data in files.items()}
    expected = set(shipped_files())
    assert {"missing": sorted(expected - relative.keys()), "unexpected": sorted(relative.keys() - expected)} == {
        "missing": [],
        "unexpected": ["PKG-INFO"],
    }
    assert junk(name for name in relative if name != ".gitignore") == []
    assert [name for name in sorted(expected) if relative[name] != (ROOT / name).read_bytes()] == []


def test_a_wheel_built_from_the_sdist_is_the_same_wheel(built: Built, tmp_path: Path) -> None:
    """What pip does with the sdist (from an index, or a download) gives what the release's wheel gives."""
    with tarfile.open(built.sdist) as archive:
        archive.extractall(tmp_path, filter="data")
    out = tmp_path / "out"
    out.mkdir()
    build(tmp_path / SDIST_ROOT, out, "--wheel")
    (rebuilt,) = out.glob("*.whl")
    assert wheel_files(rebuilt) == wheel_files(built.wheel)
