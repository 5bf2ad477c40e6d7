"""What the packaging tests share: the repository, the files a release (or a vendoring user) takes from it, and
running commands with an environment that does not leak this test run's Python setup into them.

These tests drive builds and virtualenvs through subprocesses only: the `packaging` tox environment does not
install the package (skip_install), and nothing here imports it.
"""

from __future__ import annotations

import os
import subprocess
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = {"wrapper/batch_rest/": "batch_rest/", "generated/batch_rest_generated/": "batch_rest_generated/"}
# Besides the two packages, what building needs (pyproject.toml, the README it names), what a release carries
# (changelog, licence) and the .gitignore, which hatchling reads to leave caches out of the sdist and the wheel.
TOP_LEVEL = {"pyproject.toml", "README.md", "CHANGELOG.md", ".gitignore"}

# Never in a wheel or an sdist: caches, the development tooling, the tests, the OpenAPI sources.
JUNK_DIRS = {
    "__pycache__", ".mypy_cache", ".ruff_cache", ".pytest_cache", ".hypothesis", ".tox", ".venv", ".git",
    ".ci", ".bench", "node_modules", "tests", "openapi", "tools", "bench", "requirements", "build", "dist",
}  # fmt: skip
JUNK_FILES = {"generator-config.yaml", "Makefile", "tox.ini", ".coverage"}
JUNK_SUFFIXES = (".pyc", ".pyo", ".egg-info", ".orig", ".rej", ".swp")
# Variables that would make a subprocess use this test run's interpreter setup rather than its own virtualenv,
# or the fake server's client pick up a developer's real Batch credentials.
# PIP_USER, PIP_TARGET and PIP_PREFIX would send pip's installs elsewhere than the virtualenv.
LEAKY = (
    "PYTHONPATH", "PYTHONHOME", "PYTHONSTARTUP", "PYTHONUSERBASE", "VIRTUAL_ENV", "__PYVENV_LAUNCHER__",
    "PIP_USER", "PIP_TARGET", "PIP_PREFIX",
)  # fmt: skip


def junk(names: Iterable[str]) -> list[str]:
    """The archive member names that have no business in a distribution."""
    return sorted(
        name
        for name in names
        if JUNK_DIRS.intersection(name.strip("/").split("/"))
        or name.rstrip("/").rsplit("/", 1)[-1] in JUNK_FILES
        or name.rstrip("/").endswith(JUNK_SUFFIXES)
    )


def git(*args: str, cwd: Path = ROOT, env: Mapping[str, str] | None = None) -> str:
    """Output of a git command (read-only use in the repository; anything in scratch repositories)."""
    return run(["git", *args], cwd=cwd, env=env, timeout=60).stdout


def status(cwd: Path = ROOT, *, ignored: bool = True) -> list[str]:
    """`git status --porcelain`, ignored files included: a build that writes anything, anywhere, shows here."""
    return git("status", "--porcelain", *(["--ignored"] if ignored else []), cwd=cwd).splitlines()


def work_tree_files() -> list[str]:
    """The repository's files as the next commit would hold them: tracked and not deleted, or untracked and not
    ignored (so that files not yet committed count, and caches and virtualenvs do not)."""
    listed = git("ls-files", "-z", "--cached", "--others", "--exclude-standard").split("\0")
    return sorted({name for name in listed if name and (ROOT / name).is_file()})


def shipped_files() -> list[str]:
    """What a release ships and what someone vendoring the repository copies: the two packages and the files
    building them needs. Not the tests, the tools, the OpenAPI sources or the generator's configuration: nothing
    is generated at build or install time, generated/ is committed."""
    return [
        name
        for name in work_tree_files()
        if name.startswith(tuple(PACKAGES)) or name in TOP_LEVEL or name.startswith(("LICENSE", "LICENCE"))
    ]


def clean_env(**extra: str) -> dict[str, str]:
    """os.environ without what would leak this run's Python setup or Batch credentials into a subprocess."""
    env = {k: v for k, v in os.environ.items() if k not in LEAKY and not k.startswith("BATCH_")}
    env.update(PIP_DISABLE_PIP_VERSION_CHECK="1", PIP_NO_INPUT="1", PYTHONNOUSERSITE="1")
    env.update(extra)
    return env


def run(
    cmd: Sequence[str | Path],
    *,
    cwd: Path,
    env: Mapping[str, str] | None = None,
    timeout: float = 120,
) -> subprocess.CompletedProcess[str]:
    """Run a command to completion; fail the test with its output if it fails."""
    command = [str(part) for part in cmd]
    try:
        done = subprocess.run(
            command, cwd=cwd, env=clean_env() if env is None else dict(env), capture_output=True, text=True,
            timeout=timeout, check=False, stdin=subprocess.DEVNULL,
        )  # fmt: skip
    except subprocess.TimeoutExpired as exc:
        raise AssertionError(
            f"{command} did not finish within {timeout} s\n{_output(exc.stdout, exc.stderr)}"
        ) from None
    if done.returncode != 0:
        raise AssertionError(f"{command} exited with {done.returncode}\n{_output(done.stdout, done.stderr)}")
    return done


def _output(stdout: str | bytes | None, stderr: str | bytes | None) -> str:
    def text(value: str | bytes | None) -> str:
        return value.decode(errors="replace") if isinstance(value, bytes) else value or ""

    return f"--- stdout\n{text(stdout)[-6000:]}\n--- stderr\n{text(stderr)[-6000:]}"


def dependency_closure(requires: Mapping[str, list[str]], roots: Iterable[str]) -> set[str]:
    """The distributions `roots` need, themselves included, transitively (no extras). `requires`: each installed
    distribution's requirement lines, as importlib.metadata gives them."""
    by_name = {canonicalize_name(name): needs for name, needs in requires.items()}
    needed: set[str] = set()
    todo = [canonicalize_name(root) for root in roots]
    while todo:
        name = todo.pop()
        if name in needed:
            continue
        needed.add(name)
        for line in by_name.get(name, []):
            requirement = Requirement(line)
            if requirement.marker is None or requirement.marker.evaluate({"extra": ""}):
                todo.append(canonicalize_name(requirement.name))
    return needed
