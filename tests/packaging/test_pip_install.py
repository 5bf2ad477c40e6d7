"""`pip install` from a copy: another project copies this repository's shipped parts into
`third_party/batch-rest-client/`, commits them, and installs them into its own virtualenv with pip, from that
folder. (This needs a build backend from a package index; `make vendor`, tested in test_vendor.py, needs none.)

What a vendoring user copies is what a release ships (see `_repo.shipped_files`): pyproject.toml, README.md,
.gitignore, wrapper/batch_rest and generated/batch_rest_generated (and a changelog or licence when there is one),
not the tests, tools, OpenAPI sources or generator configuration. Installing must therefore work without them:
the generated code is committed, and nothing is generated at build or install time.

Then, in that virtualenv only: list a fake Batch server's segments with the installed library (sync and async),
and with the installed `batch-rest` console script against `batch-rest fake-server`, as a user would.
"""

from __future__ import annotations

import contextlib
import json
import os
import queue
import shlex
import shutil
import signal
import subprocess
import sys
import threading
import time
import tomllib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

import pytest
from _repo import PACKAGES, ROOT, clean_env, dependency_closure, run, shipped_files, status
from packaging.utils import canonicalize_name

pytestmark = pytest.mark.timeout(300)  # two virtualenvs and two isolated builds: ~30 s with a warm pip cache

VENDORED = Path("third_party", "batch-rest-client")
BIN = "Scripts" if os.name == "nt" else "bin"
# Installed with any virtualenv (ensurepip), not by this distribution.
BOOTSTRAP = {"pip", "setuptools", "wheel"}
# The code generation toolchain (requirements/tools.txt): none of it may reach a user's environment.
TOOLCHAIN = {"openapi-python-client", "ruff", "jsonpatch", "hatchling"}
SEGMENTS = 345
VERSION = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]["version"]

# Run with the virtualenv's interpreter: where things were imported from, and what is installed.
INSPECT = """
import importlib.metadata as md, json, sysconfig
import batch_rest, batch_rest_generated
dist = md.distribution("batch-rest-client")
print(json.dumps({
    "modules": {m.__name__: m.__file__ for m in (batch_rest, batch_rest_generated)},
    "purelib": sysconfig.get_paths()["purelib"],
    "version": batch_rest.__version__,
    "requires": {d.metadata["Name"]: d.requires or [] for d in md.distributions()},
    "entry_points": sorted([ep.group, ep.name, ep.value] for ep in dist.entry_points),
}))
"""

# Run with the virtualenv's interpreter: the README's use of the library, against the fake server.
LIST_SEGMENTS = f"""
import asyncio, json
import batch_rest
from batch_rest.testing import FakeBatchServer

async def list_async(server):
    async with batch_rest.AsyncBatchClient(server.api_key, server.project_key, base_url=server.url) as client:
        return [segment.code async for segment in client.segments.list()]

with FakeBatchServer(segments={SEGMENTS}) as server:
    with batch_rest.BatchClient(server.api_key, server.project_key, base_url=server.url, timeout=10) as client:
        codes = [segment.code for segment in client.segments.list()]
    async_codes = asyncio.run(list_async(server))
    expected = [server.segment(i)["code"] for i in range(server.segments)]
print(json.dumps({{"codes": codes, "async_codes": async_codes, "expected": expected, "from": batch_rest.__file__}}))
"""


@dataclass(frozen=True)
class Venv:
    path: Path

    @property
    def python(self) -> Path:
        return self.path / BIN / ("python.exe" if os.name == "nt" else "python")

    def script(self, name: str) -> Path:
        return self.path / BIN / (f"{name}.exe" if os.name == "nt" else name)

    def run_python(self, code: str, cwd: Path) -> Any:
        """Run `code` with this virtualenv's interpreter, from a file outside the project; its JSON output."""
        script = self.path / "check.py"
        script.write_text(code, encoding="utf-8")
        return json.loads(run([self.python, script], cwd=cwd, timeout=60).stdout)


def create_venv(path: Path) -> Venv:
    run([sys.executable, "-m", "venv", path], cwd=path.parent, timeout=120)
    return Venv(path)


def pip_install(venv: Venv, *args: str, cwd: Path) -> None:
    run([venv.python, "-m", "pip", "install", "--quiet", *args], cwd=cwd, timeout=240)


def vendor(root: Path) -> Path:
    """A fresh git repository of someone else's at `root`, with this repository's shipped parts copied into
    third_party/batch-rest-client/ and committed."""
    root.mkdir(parents=True, exist_ok=True)
    env = clean_env(
        GIT_CONFIG_NOSYSTEM="1", GIT_CONFIG_GLOBAL=os.devnull, GIT_AUTHOR_NAME="Vendoring test",
        GIT_AUTHOR_EMAIL="vendoring@example.invalid", GIT_COMMITTER_NAME="Vendoring test",
        GIT_COMMITTER_EMAIL="vendoring@example.invalid",
    )  # fmt: skip
    run(["git", "init", "--quiet"], cwd=root, env=env)
    (root / "app.py").write_text("import batch_rest\n", encoding="utf-8")
    for name in shipped_files():
        target = root / VENDORED / name
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(ROOT / name, target)
    run(["git", "add", "--all"], cwd=root, env=env)
    run(["git", "commit", "--quiet", "--no-verify", "-m", "Vendor batch-rest-client"], cwd=root, env=env)
    assert status(root) == []
    return root


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return vendor(tmp_path_factory.mktemp("vendoring") / "project")


@pytest.fixture(scope="module")
def installed(project: Path, tmp_path_factory: pytest.TempPathFactory) -> Venv:
    """A virtualenv (outside the project) with `pip install ./third_party/batch-rest-client`, not editable."""
    venv = create_venv(tmp_path_factory.mktemp("venvs") / "installed")
    pip_install(venv, f"./{VENDORED.as_posix()}", cwd=project)
    return venv


def package_files(folder: Path) -> dict[str, bytes]:
    """The files under `folder`, bytecode caches left out (pip compiles at install; running Python writes)."""
    return {
        path.relative_to(folder).as_posix(): path.read_bytes()
        for path in folder.rglob("*")
        if path.is_file() and "__pycache__" not in path.parts
    }


def test_installing_generates_nothing_and_installs_the_committed_code(installed: Venv, project: Path) -> None:
    facts = installed.run_python(INSPECT, cwd=project)
    installed_names = {canonicalize_name(name) for name in facts["requires"]}
    assert sorted(installed_names & TOOLCHAIN) == [], "the code generation toolchain was installed"
    needed = dependency_closure(facts["requires"], ["batch-rest-client"])
    assert {"httpx", "attrs"} <= needed
    assert sorted(installed_names - BOOTSTRAP - needed) == [], "installed but not needed by batch-rest-client"
    assert facts["version"] == VERSION
    purelib = Path(facts["purelib"])
    for prefix, package in PACKAGES.items():
        module = Path(facts["modules"][package.rstrip("/")])
        assert module.parent == purelib / package.rstrip("/"), "imported from elsewhere than the virtualenv"
        # The vendored copy: the repository's files when it was made, as committed (see the status check below).
        vendored = package_files(project / VENDORED / prefix)
        assert "py.typed" in vendored
        assert package_files(purelib / package) == vendored, f"the installed {package} differs from the vendored one"
    # Nothing written in the user's repository, ignored files included: no build/, *.egg-info or caches, and
    # the vendored files are still the committed ones.
    assert status(project) == []


def test_the_installed_distribution_declares_the_cli_and_the_pytest_plugin(installed: Venv, project: Path) -> None:
    facts = installed.run_python(INSPECT, cwd=project)
    assert facts["entry_points"] == [
        ["console_scripts", "batch-rest", "batch_rest.cli:main"],
        ["pytest11", "batch_rest", "batch_rest.testing.pytest_plugin"],
    ]
    assert installed.script("batch-rest").is_file()


def test_the_installed_library_lists_every_segment_of_the_fake_server(installed: Venv, project: Path) -> None:
    result = installed.run_python(LIST_SEGMENTS, cwd=project)
    assert Path(result["from"]).is_relative_to(installed.path)
    assert len(result["codes"]) == SEGMENTS
    assert len(set(result["codes"])) == SEGMENTS
    assert result["codes"] == result["expected"]  # the server's order
    assert result["async_codes"] == result["expected"]


def test_the_installed_console_script_lists_every_segment(installed: Venv, project: Path) -> None:
    cli = installed.script("batch-rest")
    assert "segments" in run([cli, "--help"], cwd=project, timeout=30).stdout
    with fake_server(cli, cwd=project, segments=321, seed=7) as variables:
        listing = run([cli, "segments", "list", "--format", "jsonl"], cwd=project, env=clean_env(**variables))
    codes = [json.loads(line)["code"] for line in listing.stdout.splitlines()]
    expected = json.loads(
        run([installed.python, "-c", EXPECTED_CODES.format(segments=321, seed=7)], cwd=project, timeout=30).stdout
    )
    assert len(codes) == 321
    assert len(set(codes)) == 321
    assert codes == expected


def test_an_editable_install_from_the_vendored_folder_works(tmp_path: Path) -> None:
    project = vendor(tmp_path / "project")  # its own: running from the vendored folder writes bytecode there
    venv = create_venv(tmp_path / "editable")
    pip_install(venv, "--editable", f"./{VENDORED.as_posix()}", cwd=project)
    facts = venv.run_python(INSPECT, cwd=project)
    vendored = project / VENDORED
    for prefix, package in PACKAGES.items():
        assert Path(facts["modules"][package.rstrip("/")]).parent == vendored / prefix.rstrip("/")
    assert sorted({canonicalize_name(name) for name in facts["requires"]} & TOOLCHAIN) == []
    result = venv.run_python(LIST_SEGMENTS, cwd=project)
    assert len(set(result["codes"])) == SEGMENTS
    assert result["codes"] == result["async_codes"] == result["expected"]
    assert "segments" in run([venv.script("batch-rest"), "--help"], cwd=project, timeout=30).stdout
    # Nothing new or changed in the user's repository (bytecode aside, which the vendored .gitignore ignores).
    assert status(project, ignored=False) == []


EXPECTED_CODES = (
    "import json; from batch_rest.testing import FakeBatchServer; s = FakeBatchServer({segments}, seed={seed}); "
    "print(json.dumps([s.segment(i)['code'] for i in range(s.segments)]))"
)
SERVER_START_TIMEOUT = 30.0
VARIABLES = {"BATCH_BASE_URL", "BATCH_REST_API_KEY", "BATCH_PROJECT_KEY"}


@contextlib.contextmanager
def fake_server(cli: Path, *, cwd: Path, segments: int, seed: int) -> Iterator[dict[str, str]]:
    """`batch-rest fake-server` as a subprocess; yields the variables it prints (`export NAME=value`), then
    stops it with Ctrl-C (SIGINT), as a user would, and checks that it exits cleanly."""
    command = [str(cli), "fake-server", "--segments", str(segments), "--seed", str(seed)]
    process = subprocess.Popen(
        command, cwd=cwd, env=clean_env(), stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT, text=True,
    )  # fmt: skip
    assert process.stdout is not None
    lines: queue.Queue[str | None] = queue.Queue()
    reader = threading.Thread(target=_drain, args=(process.stdout, lines), daemon=True)
    reader.start()
    try:
        yield _variables(lines)
        assert process.poll() is None, f"`batch-rest fake-server` stopped early, with exit code {process.returncode}"
        process.send_signal(signal.SIGINT)
        try:
            code = process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            raise AssertionError("`batch-rest fake-server` did not stop on Ctrl-C within 15 s") from None
        assert code == 0, f"`batch-rest fake-server` exited with {code} on Ctrl-C"
    finally:
        if process.poll() is None:
            process.kill()
        process.wait(timeout=15)
        reader.join(timeout=15)
        process.stdout.close()


def _variables(lines: queue.Queue[str | None]) -> dict[str, str]:
    """The `export NAME=value` lines of the server's output, once all of VARIABLES have arrived."""
    found: dict[str, str] = {}
    output: list[str] = []
    deadline = time.monotonic() + SERVER_START_TIMEOUT
    while not found.keys() >= VARIABLES:
        try:
            line = lines.get(timeout=max(0.0, deadline - time.monotonic()))
        except queue.Empty:
            raise AssertionError(f"no credentials within {SERVER_START_TIMEOUT} s: {''.join(output)}") from None
        if line is None:
            raise AssertionError(f"`batch-rest fake-server` exited: {''.join(output)}")
        output.append(line)
        words = shlex.split(line, comments=True)
        if len(words) == 2 and words[0] == "export" and "=" in words[1]:
            name, _, value = words[1].partition("=")
            found[name] = value
    return found


def _drain(stream: IO[str], lines: queue.Queue[str | None]) -> None:
    """Read the server's stdout to its end, so it can never block on a full pipe."""
    for line in stream:
        lines.put(line)
    lines.put(None)
