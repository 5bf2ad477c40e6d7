"""The spec-evolution matrix: regenerate from mutated upstream documents; the wrapper's tests must still pass.

For each mutation in mutations.py: write the mutated segments page to a temporary folder, regenerate the
package from it and the other stored pages with the pinned generator, our merge, patch and config
(tools/generate.py --page ..., which fails on any generator warning), check that exactly the expected generated
files changed, then run in a subprocess, with the regenerated package first on PYTHONPATH and the wrapper
imported from wrapper/ (unmodified):

    pytest -m "not pinned_spec" tests/unit [tests/integration/test_client_against_fake_server.py] checks/<check>

Tests marked `pinned_spec` assert facts of the committed document (its default API version...) and are
deselected. The negative control renames a field the wrapper depends on: that run must FAIL, and name the
seam test that says why.

The runs are independent, so they are started together (as many at once as there are CPUs) when the first test
of this module asks for its result; each test then waits for its own.
"""

from __future__ import annotations

import concurrent.futures
import json
import os
import re
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import pytest
from fixtures.regen import run_checks
from mutations import MUTATIONS, NEGATIVE_CONTROL, Mutation

REPO = Path(__file__).resolve().parents[2]
PAGES = REPO / "openapi" / "pages"
SEGMENTS_PAGE = PAGES / "segments-list.json"  # the page the mutations edit
COMMITTED = REPO / "generated" / "batch_rest_generated"
CHECKS = Path(__file__).resolve().parent / "checks"
INTEGRATION = REPO / "tests" / "integration" / "test_client_against_fake_server.py"
SHARED_SUITE = ["tests/unit"]

GENERATE_TIMEOUT = 120
SUITE_TIMEOUT = 240
# A test may wait for the runs queued before its own: allow for all of them, sequentially, on one CPU.
TEST_TIMEOUT = (GENERATE_TIMEOUT + SUITE_TIMEOUT) * 2

SEAM_TEST = "tests/unit/test_seam.py::test_segments_list_is_described_as_a_cursor_list"


@dataclass
class Run:
    mutation: Mutation
    changed: set[str]
    command: list[str]
    returncode: int
    output: str
    seconds: float

    def report(self) -> str:
        return (
            f"mutation {self.mutation.name}: generated files changed: {sorted(self.changed)}\n"
            f"$ {' '.join(self.command)}\n(exit {self.returncode} after {self.seconds:.1f} s)\n{self.output}"
        )


def _tree(root: Path) -> dict[str, bytes]:
    return {
        p.relative_to(root).as_posix(): p.read_bytes()
        for p in root.rglob("*")
        if p.is_file() and "__pycache__" not in p.parts
    }


def _changed_files(fresh: Path) -> set[str]:
    old, new = _tree(COMMITTED), _tree(fresh)
    return {name for name in old.keys() | new.keys() if old.get(name) != new.get(name)}


def shared_suite() -> list[str]:
    """The wrapper's own tests, plus the client-against-fake-server tests once they exist."""
    return SHARED_SUITE + ([INTEGRATION.relative_to(REPO).as_posix()] if INTEGRATION.exists() else [])


def run_mutation(mutation: Mutation, workdir: Path) -> Run:
    started = time.monotonic()
    document = json.loads(SEGMENTS_PAGE.read_text(encoding="utf-8"))
    mutation.apply(document)
    mutated = workdir / "pages" / SEGMENTS_PAGE.name
    mutated.parent.mkdir()
    mutated.write_text(json.dumps(document, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    others = sorted(path for path in PAGES.glob("*.json") if path != SEGMENTS_PAGE)
    package_root = workdir / "pkg"
    env = {**os.environ, "PYTHONDONTWRITEBYTECODE": "1"}
    generate = [
        sys.executable,
        str(REPO / "tools" / "generate.py"),
        *(f"--page={path}" for path in [mutated, *others]),
        "--output",
        str(package_root / "batch_rest_generated"),
    ]
    result = subprocess.run(
        generate, cwd=REPO, env=env, capture_output=True, text=True, timeout=GENERATE_TIMEOUT, check=False
    )
    if result.returncode != 0:
        output = f"REGENERATION FAILED\n{result.stdout}{result.stderr}"
        return Run(mutation, set(), generate, result.returncode, output, time.monotonic() - started)
    changed = _changed_files(package_root / "batch_rest_generated")
    checks = [str(CHECKS / mutation.check)] if mutation.check else []
    command = [*shared_suite(), *checks, "--timeout=120"]
    returncode, output = run_checks(package_root, command, workdir, timeout=SUITE_TIMEOUT)
    return Run(mutation, changed, command, returncode, output, time.monotonic() - started)


ALL = [*MUTATIONS, NEGATIVE_CONTROL]


@pytest.fixture(scope="module")
def runs(request, tmp_path_factory):
    """Start the selected mutations' runs in parallel; a mapping from name to the future of its Run."""
    selected = [item for item in request.session.items if item.module is request.node.obj]
    wanted = {item.callspec.params["mutation"].name for item in selected if "mutation" in item.fixturenames}
    if any(item.originalname == "test_negative_control" for item in selected):
        wanted.add(NEGATIVE_CONTROL.name)
    with concurrent.futures.ThreadPoolExecutor(max_workers=max(1, min(os.cpu_count() or 1, 4))) as pool:
        futures = {}
        for mutation in ALL:  # in a stable order, so that the first tests' runs start first
            if mutation.name in wanted:
                workdir = tmp_path_factory.mktemp(f"evolution-{mutation.name}")
                futures[mutation.name] = pool.submit(run_mutation, mutation, workdir)
        yield futures
        for future in futures.values():
            future.cancel()


def _expect(condition: bool, run: Run, what: str) -> None:
    if not condition:
        pytest.fail(f"{what}\n{run.report()}", pytrace=False)


@pytest.mark.timeout(TEST_TIMEOUT)
@pytest.mark.parametrize("mutation", MUTATIONS, ids=lambda m: m.name)
def test_wrapper_survives(runs, mutation):
    run = runs[mutation.name].result()
    _expect(run.returncode == 0, run, "the wrapper's tests fail against the regenerated package")
    _expect(run.changed == mutation.changes, run, f"expected exactly {sorted(mutation.changes)} to change")
    _expect(re.search(r"\b\d+ passed\b", run.output) is not None, run, "no test ran")


@pytest.mark.timeout(TEST_TIMEOUT)
def test_negative_control(runs):
    """Renaming next_from must break the wrapper's tests, and the failures must name the seam test."""
    run = runs[NEGATIVE_CONTROL.name].result()
    _expect(run.changed == NEGATIVE_CONTROL.changes, run, f"expected exactly {sorted(NEGATIVE_CONTROL.changes)}")
    # exit status 1: tests failed (not 2-4, a usage error or a crash of pytest itself)
    _expect(run.returncode == 1, run, "the wrapper's tests should FAIL when next_from is renamed")
    named = re.search(rf"^(FAILED|ERROR) {re.escape(SEAM_TEST)}\b", run.output, re.MULTILINE)
    _expect(named is not None, run, f"the failures should name {SEAM_TEST}")


def test_every_mutation_has_its_check_module():
    assert sorted(m.check for m in MUTATIONS) == sorted(p.name for p in CHECKS.glob("check_*.py"))
    assert len({m.name for m in ALL}) == len(ALL)
