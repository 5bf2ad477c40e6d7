"""Every Python block of README.md runs as written, against the fake Batch server: a user pasting an example on
a fresh clone gets what the README says, or the text right before it says what to run first.

How a block is read (any block anyone adds is picked up; nothing here lists them):

- ```` ```python ```` fences only; each block stands alone (its own imports, its own client).
- What a block needs first is said in its section (the text and shell blocks from the section's heading down to
  the block), in the words a user runs:
  - `make update-spec SOURCE=tests/fixtures/pages/<page>.md`: the block runs against a package regenerated with
    the fixture pages (one package, with every fixture page, shared by all such blocks and with
    tests/operations: tests/fixtures/regen.py caches it). A block whose section names no page runs against the
    shipped package, generated/, as on a fresh clone;
  - `make vendor DEST=<dir> PACKAGE=<name>`: a copy named <name> is vendored (tools/vendor.py) onto the path.
- A script runs with BATCH_REST_API_KEY, BATCH_PROJECT_KEY and BATCH_BASE_URL pointing at a fake server
  (run_block.py); top-level `await` / `async with` / `async for` run in asyncio.run.
- A block defining `test_*` functions is a pytest example: it runs under pytest with the package's plugin, and
  every test in it must pass.
- `<!-- readme-test: skip: <why> -->` on the line before a fence opts that block out. Each opt-out is reported
  as a skip with its reason and counted: at most MAX_OPT_OUTS, so they stay rare.

Run with `tox run -e readme` (the generation toolchain regenerates the fixture package).
"""

from __future__ import annotations

import ast
import importlib.metadata
import json
import re
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest
from fixtures.regen import _USER_SETTINGS, FIXTURE_PAGES, ROOT, environment, regenerated

README = ROOT / "README.md"
RUNNER = Path(__file__).resolve().parent / "run_block.py"
MAX_OPT_OUTS = 2
BLOCK_TIMEOUT = 120

_FENCE = re.compile(r"^(?P<fence>```+|~~~+)\s*(?P<info>[\w+-]*)")
_HEADING = re.compile(r"^#{1,6} ")
_OPT_OUT = re.compile(r"^<!--\s*readme-test:\s*skip:\s*(?P<why>.*?)\s*-->\s*$")
# `\s+`: prose wraps a command at any space (and a markdown renderer joins the lines again).
_PAGE = re.compile(r"make\s+update-spec\s+SOURCE=tests/fixtures/pages/(?P<page>[\w-]+)\.md")
_VENDOR = re.compile(r"make\s+vendor\s+DEST=\S+\s+PACKAGE=(?P<name>[A-Za-z_]\w*)\b")
_REPORT = "readme-block-report: "


@dataclass(frozen=True)
class Block:
    line: int  # the README line of the block's first line of code
    code: str
    section: str  # the heading it is under
    pages: tuple[str, ...]  # fixture pages its section names, in order
    vendored: tuple[str, ...]  # package names its section vendors
    opt_out: str | None  # why it does not run, when its fence is preceded by the marker

    @property
    def is_pytest(self) -> bool:
        tree = ast.parse(self.code)
        return any(
            isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) and node.name.startswith("test_")
            for node in tree.body
        )

    def __str__(self) -> str:
        return f"README.md:{self.line}"


def readme_blocks(text: str) -> list[Block]:
    """The Python blocks of a README, with what their sections say they need."""
    blocks: list[Block] = []
    lines = text.splitlines()
    section, section_text = "(top)", []
    index = 0
    while index < len(lines):
        line = lines[index]
        if _HEADING.match(line):
            section, section_text = line.lstrip("#").strip(), []
            index += 1
            continue
        opened = _FENCE.match(line)
        if not opened:
            section_text.append(line)
            index += 1
            continue
        end = next(
            (i for i in range(index + 1, len(lines)) if lines[i].startswith(opened["fence"])), len(lines)
        )  # fmt: skip
        body = lines[index + 1 : end]
        if opened["info"].lower() in {"python", "py"}:
            previous = next((lines[i] for i in range(index - 1, -1, -1) if lines[i].strip()), "")
            marker = _OPT_OUT.match(previous.strip())
            context = "\n".join(section_text)
            blocks.append(
                Block(
                    line=index + 2,
                    code="\n".join(body) + "\n",
                    section=section,
                    pages=tuple(dict.fromkeys(m["page"] for m in _PAGE.finditer(context))),
                    vendored=tuple(dict.fromkeys(m["name"] for m in _VENDOR.finditer(context))),
                    opt_out=marker["why"] if marker else None,
                )
            )
        else:
            section_text.extend(body)  # a shell block's commands count as the section's words
        index = end + 1
    return blocks


BLOCKS = readme_blocks(README.read_text(encoding="utf-8"))


# -- the reader itself ------------------------------------------------------------------------------------------


def test_every_python_fence_of_the_readme_is_a_block():
    fences = re.findall(r"^```(?:python|py)\s*$", README.read_text(encoding="utf-8"), flags=re.MULTILINE)
    assert len(BLOCKS) == len(fences) > 5


def test_opt_outs_are_rare_and_say_why():
    opted_out = [(str(block), block.opt_out) for block in BLOCKS if block.opt_out is not None]
    print(f"README blocks: {len(BLOCKS)}, opted out: {len(opted_out)} {opted_out}")
    assert all(why for _, why in opted_out), opted_out
    assert len(opted_out) <= MAX_OPT_OUTS, opted_out


SAMPLE = """\
# Title

## Plain
```python
print(1)
```

## Pages
After `make update-spec SOURCE=tests/fixtures/pages/profiles-update.md`:

```sh
make update-spec SOURCE=tests/fixtures/pages/audiences-view.md
```

<!-- readme-test: skip: it reads the user's own file -->
```python
open("mine.json")
```

```python
import pytest

def test_x():
    pass
```

## Vendoring
    make vendor DEST=../app/src PACKAGE=batch_client

```python
import batch_client
```
"""


def test_the_reader_finds_each_blocks_section_pages_vendoring_and_opt_out():
    plain, mine, tests, vendored = readme_blocks(SAMPLE)
    assert (plain.line, plain.code, plain.pages, plain.opt_out, plain.is_pytest) == (5, "print(1)\n", (), None, False)
    assert (mine.section, mine.pages) == ("Pages", ("profiles-update", "audiences-view"))
    assert mine.opt_out == "it reads the user's own file"
    assert (tests.pages, tests.opt_out, tests.is_pytest) == (("profiles-update", "audiences-view"), None, True)
    assert (vendored.pages, vendored.vendored) == ((), ("batch_client",))


# -- running each block -----------------------------------------------------------------------------------------


@pytest.fixture(scope="session")
def fixture_package() -> Path:
    """The package regenerated with every fixture page (only if a block needs pages: generation takes a while)."""
    return regenerated(FIXTURE_PAGES)


def package_for(block: Block, request: pytest.FixtureRequest) -> Path:
    unknown = sorted(set(block.pages) - set(FIXTURE_PAGES))
    assert not unknown, f"{block}: no fixture page {unknown} in tests/fixtures/pages"
    return request.getfixturevalue("fixture_package") if block.pages else ROOT / "generated"


def vendor_copies(block: Block, package_root: Path, where: Path) -> None:
    if str(ROOT / "tools") not in sys.path:
        sys.path.insert(0, str(ROOT / "tools"))
    import vendor

    for name in block.vendored:
        vendor.vendor(where, name, generated=package_root / "batch_rest_generated")


def plugin_options() -> list[str]:
    """Load the package's pytest plugin unless an installed distribution's entry point already does."""
    installed = any(ep.name == "batch_rest" for ep in importlib.metadata.entry_points(group="pytest11"))
    return [] if installed else ["-p", "batch_rest.testing.pytest_plugin"]


@pytest.mark.timeout(BLOCK_TIMEOUT * 3)
@pytest.mark.parametrize("block", BLOCKS, ids=str)
def test_the_block_runs_as_written(block: Block, request: pytest.FixtureRequest, tmp_path: Path) -> None:
    if block.opt_out is not None:
        pytest.skip(f"{block} opted out (readme-test: skip): {block.opt_out}")
    done, where = run_block(block, package_for(block, request), tmp_path)
    output = f"{where}\n--- stdout\n{done.stdout[-4000:]}\n--- stderr\n{done.stderr[-4000:]}"
    assert done.returncode == 0, output
    if block.is_pytest:
        tests = sum(1 for line in block.code.splitlines() if re.match(r"(async )?def test_", line))
        assert re.search(rf"\b{tests} passed\b", done.stdout), output
        assert not re.search(r"\b(skipped|xfailed|xpassed|deselected)\b", done.stdout), output
    else:
        report = json.loads(done.stdout.rpartition(_REPORT)[2])
        print(f"{where}: ok, {report['requests']} requests to the environment's fake server")


def test_a_block_with_top_level_await_runs_and_a_failing_block_fails_naming_its_readme_line(tmp_path: Path) -> None:
    awaiting = """\
# readme
```python
import batch_rest

async with batch_rest.AsyncBatchClient() as client:
    page = await client.segments.list_page(limit=3)
assert len(page) == 3
```

```python
import batch_rest

with batch_rest.BatchClient() as client:
    assert client.segments.list_page(limit=3).has_more is False, "the fake server has 250"
```
"""
    good, bad = readme_blocks(awaiting)
    done, _ = run_block(good, ROOT / "generated", tmp_path / "good")
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout.rpartition(_REPORT)[2]) == {"requests": 1}
    done, _ = run_block(bad, ROOT / "generated", tmp_path / "bad")
    assert done.returncode == 1
    assert 'File "README.md", line 14, in <module>' in done.stderr
    assert "AssertionError: the fake server has 250" in done.stderr


def run_block(block: Block, package_root: Path, tmp_path: Path) -> tuple[subprocess.CompletedProcess[str], str]:
    """Run `block` in a subprocess (see the module docstring); its outcome, and where it ran."""
    extra_path = []
    if block.vendored:
        vendor_copies(block, package_root, tmp_path / "vendored")
        extra_path.append(str(tmp_path / "vendored"))
    env = environment(package_root)
    env["PYTHONPATH"] = ":".join([*extra_path, env["PYTHONPATH"]])
    for name in _USER_SETTINGS:
        env.pop(name, None)  # a developer's own settings must not point a block at Batch
    work = tmp_path / "work"  # the block's current folder: whatever it writes stays out of the repository
    work.mkdir(parents=True)
    if block.is_pytest:
        script = work / f"test_readme_line_{block.line}.py"
        script.write_text("\n" * (block.line - 1) + block.code, encoding="utf-8")
        command = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", *plugin_options(), script.name]
    else:
        script = work / "block.py"
        script.write_text(block.code, encoding="utf-8")
        command = [sys.executable, str(RUNNER), str(script), str(block.line)]
    done = subprocess.run(
        command, cwd=work, env=env, capture_output=True, text=True, timeout=BLOCK_TIMEOUT, check=False
    )
    where = f"{block} ({block.section}; {'pages ' + ', '.join(block.pages) if block.pages else 'shipped package'})"
    return done, where
