"""Every operation shape, proven on packages regenerated with the fixture pages (test data: tests/fixtures).

For each fixture page regenerated alone with the shipped pages, and for all of them together
(tests/fixtures/regen.py, the same tools/generate.py as `make generate`), with no wrapper edit:

1. the wrapper's own unit tests pass against the package, and so do the checks in checks/ (the operation's shape
   through the typed methods, sync and async; the retry rule over MockTransport and over sockets; the fuzz);
2. mypy --strict accepts the operation's user script (typing/<operation>.py) and reports, on
   typing/<operation>_bad.py, exactly the lines marked `# error: <code>`, with those codes.

The runs are independent subprocesses, started together (two at a time) when the first test asks for them.
"""

from __future__ import annotations

import ast
import concurrent.futures
import json
import os
import re
import runpy
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest
from fixtures.regen import FIXTURE_PAGES, ROOT, environment, regenerated, run_checks

HERE = Path(__file__).resolve().parent
TYPING = HERE / "typing"
SUITE = ["tests/unit", *sorted(str(p.relative_to(ROOT)) for p in (HERE / "checks").glob("check_*.py"))]
RUN_TIMEOUT = 600
ALL = "all-pages"


def operation_of(page: str) -> str:
    return page.replace("-", "_")


@dataclass
class Run:
    pages: list[str]
    returncode: int
    output: str
    exercised: list[str]

    def report(self) -> str:
        return f"pages {self.pages}: exit {self.returncode}\n{self.output[-6000:]}"


def run_suite(pages: list[str], workdir: Path) -> Run:
    package_root = regenerated(pages)
    report = workdir / "exercised.json"
    env = {"BATCH_OPERATIONS_REPORT": str(report)}
    returncode, output = run_checks(package_root, SUITE, workdir, timeout=RUN_TIMEOUT, env=env)
    exercised = json.loads(report.read_text(encoding="utf-8")) if report.exists() else []
    return Run(pages, returncode, output, exercised)


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    with concurrent.futures.ThreadPoolExecutor(max_workers=2) as pool:
        futures = {
            key: pool.submit(run_suite, pages, tmp_path_factory.mktemp(f"operations-{key}"))
            for key, pages in [(ALL, list(FIXTURE_PAGES)), *((page, [page]) for page in FIXTURE_PAGES)]
        }
        yield futures
        for future in futures.values():
            future.cancel()


@pytest.mark.timeout(RUN_TIMEOUT * 4)
@pytest.mark.parametrize("page", FIXTURE_PAGES)
def test_the_wrapper_takes_each_page_with_no_edit(runs, page):
    run = runs[page].result()
    assert run.returncode == 0, run.report()
    assert re.search(r"\b\d+ passed\b", run.output), run.report()
    assert not re.search(r"\b\d+ skipped\b", run.output), run.report()
    assert operation_of(page) in run.exercised, f"no check exercised {operation_of(page)}\n{run.report()}"


@pytest.mark.timeout(RUN_TIMEOUT * 4)
def test_the_wrapper_takes_all_pages_together(runs):
    run = runs[ALL].result()
    assert run.returncode == 0, run.report()
    assert not re.search(r"\b\d+ skipped\b", run.output), run.report()
    assert set(run.exercised) >= {operation_of(page) for page in FIXTURE_PAGES}, run.report()


# -- what mypy --strict sees -----------------------------------------------------------------------------------

_EXPECTED = re.compile(r"#\s*error:\s*([a-z-]+)")
_REPORTED = re.compile(r"^(?P<file>[^:]+):(?P<line>\d+): error: .*\[(?P<code>[a-z-]+)\]$")


def mypy(package_root: Path, script: Path) -> tuple[int, set[tuple[int, str]], str]:
    command = [sys.executable, "-m", "mypy", "--config-file", str(TYPING / "mypy.ini"), "--no-error-summary"]
    env = environment(package_root, {"MYPYPATH": os.pathsep.join([str(package_root), str(ROOT / "wrapper")])})
    result = subprocess.run([*command, str(script)], cwd=ROOT, env=env, capture_output=True, text=True, check=False)
    reported = {
        (int(m["line"]), m["code"])
        for m in map(_REPORTED.match, result.stdout.splitlines())
        if m and Path(m["file"]).name == script.name
    }
    return result.returncode, reported, result.stdout + result.stderr


@pytest.mark.timeout(300)
@pytest.mark.parametrize("page", FIXTURE_PAGES)
def test_mypy_strict_sees_the_real_signatures(page):
    package_root = regenerated([page])
    good, bad = TYPING / f"{operation_of(page)}.py", TYPING / f"{operation_of(page)}_bad.py"
    returncode, reported, output = mypy(package_root, good)
    assert (returncode, reported) == (0, set()), output
    expected = {
        (number, match[1])
        for number, line in enumerate(bad.read_text(encoding="utf-8").splitlines(), start=1)
        if (match := _EXPECTED.search(line))
    }
    assert expected, f"{bad.name} marks no line with `# error: <code>`"
    returncode, reported, output = mypy(package_root, bad)
    assert returncode == 1, output
    assert reported == expected, output


# -- no response field is typed with Unset or Any ----------------------------------------------------------------

_REVEALED = re.compile(r'^(?P<file>[^:]+):(?P<line>\d+): note: Revealed type is "(?P<type>.*)"$')
_ENUM_BASES = {"Enum", "StrEnum", "IntEnum"}


def _model_fields(package: Path, ref: str) -> tuple[list[str], list[str]] | None:
    """(documented fields, refs of the models they name) of a generated model; None for an enum."""
    module, _, name = ref.partition(":")
    tree = ast.parse((package / Path(*module.split("."))).with_suffix(".py").read_text(encoding="utf-8"))
    (cls,) = [n for n in tree.body if isinstance(n, ast.ClassDef) and n.name == name]
    if {ast.unparse(base) for base in cls.bases} & _ENUM_BASES:
        return None
    imports = {
        alias.asname or alias.name: node.module
        for node in ast.walk(tree)
        if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("models.")
        for alias in node.names
    }
    fields = [
        n
        for n in cls.body
        if isinstance(n, ast.AnnAssign) and isinstance(n.target, ast.Name)
        and n.target.id != "additional_properties" and not n.target.id.startswith("_")
    ]  # fmt: skip
    nested = [f"{imports[x.id]}:{x.id}" for f in fields for x in ast.walk(f.annotation) if isinstance(x, ast.Name)
              and x.id in imports]  # fmt: skip
    return [f.target.id for f in fields if isinstance(f.target, ast.Name)], nested


def response_fields_script(package_root: Path) -> tuple[str, int]:
    """A script revealing the type of every field of every model a response can hold (nested ones included),
    and how many reveal_type calls it makes."""
    package = package_root / "batch_rest_generated"
    operations = runpy.run_path(str(package / "_operations.py"))["OPERATIONS"]
    pending = [r["model"] for facts in operations.values() for r in facts["results"].values() if r["model"]]
    pending += [facts["paging"]["item_model"] for facts in operations.values() if facts["paging"]]
    seen: dict[str, list[str]] = {}
    while pending:
        ref = pending.pop()
        if ref in seen or (found := _model_fields(package, ref)) is None:
            continue
        seen[ref], nested = found
        pending += nested
    lines, reveals = [], 0
    for index, (ref, fields) in enumerate(sorted(seen.items())):
        module, _, name = ref.partition(":")
        lines.append(f"from batch_rest_generated.{module} import {name} as M{index}\n\n")
        lines.append(f"def fields_{index}(model: M{index}) -> None:\n    pass\n")
        lines += [f"    reveal_type(model.{field})\n" for field in fields]
        reveals += len(fields)
    return "".join(lines), reveals


@pytest.mark.timeout(300)
@pytest.mark.parametrize("pages", [[], list(FIXTURE_PAGES)], ids=["shipped", ALL])
def test_no_response_field_is_typed_with_unset_or_any(pages, tmp_path):
    package_root = regenerated(pages)
    text, reveals = response_fields_script(package_root)
    assert reveals >= (4 if not pages else 40), text  # the segment's four fields; all pages: dozens
    script = tmp_path / "response_fields.py"
    script.write_text(text, encoding="utf-8")
    _, _, output = mypy(package_root, script)
    revealed = [m["type"] for m in map(_REVEALED.match, output.splitlines()) if m]
    assert len(revealed) == reveals, output
    assert not [t for t in revealed if "Unset" in t or "Any" in t], output


# -- a broken generated module breaks only its own operation ----------------------------------------------------

BROKEN_CHECK = """
import httpx, batch_rest

def answer(request):
    return httpx.Response(200, json={"segments": [{"code": "A"}], "has_more": False})

client = batch_rest.BatchClient("k", "p", http_client=httpx.Client(transport=httpx.MockTransport(answer)))
assert [s.code for s in client.segments.list()] == ["A"]          # its hints no longer resolve: still works
try:
    client.audiences.view(name="vip")
except batch_rest.ConfigurationError as exc:
    assert "audiences_view" in str(exc) and "RuntimeError: broken on purpose" in str(exc), exc
else:
    raise AssertionError("a module that cannot import must raise ConfigurationError")
print("ok")
"""


def test_a_broken_generated_module_breaks_only_its_own_operation(tmp_path):
    import shutil

    package_root = tmp_path / "pkg"
    shutil.copytree(regenerated(["audiences-view"]), package_root)
    api = package_root / "batch_rest_generated" / "api"
    view = api / "audiences" / "audiences_view.py"
    view.write_text('raise RuntimeError("broken on purpose")\n' + view.read_text(encoding="utf-8"), encoding="utf-8")
    listing = api / "segments" / "segments_list.py"
    source = listing.read_text(encoding="utf-8")
    assert "from_: str | Unset = UNSET," in source
    listing.write_text(source.replace("from_: str | Unset = UNSET,", 'from_: "NotDefinedAnywhere" = UNSET,', 1))
    result = subprocess.run(
        [sys.executable, "-c", BROKEN_CHECK],
        cwd=tmp_path,
        env=environment(package_root),
        check=False,
        capture_output=True,
        text=True,
    )
    assert (result.returncode, result.stdout.strip()) == (0, "ok"), result.stderr
