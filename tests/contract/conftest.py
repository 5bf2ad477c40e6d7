"""Stoplight Prism serving the vendored API description, for the contract tests.

    prism_servers  (session)  starts one `prism mock` per document on first use, stops them all at the end
    prism          a Prism for each document: "upstream" (openapi/pages/*.json merged, verbatim when there is one
                   page) and "patched" (the same with openapi/batch-api.patch.json applied, what the client is
                   generated from)
    upstream_prism / patched_prism   one of them

Prism serves the document's paths at the root (its `servers` entry, https://api.batch.com/{version}, is only
checked when a request carries `?__server=`), so the client's base_url is the bare http://127.0.0.1:<port>.
Prism runs without `--errors`: an invalid request still gets a response, with an `sl-violations` header.

Without Prism (tests/contract/node_modules, installed by install_prism.py) the tests skip, loudly; with CI=true
they fail instead.
"""

from __future__ import annotations

import contextlib
import copy
import json
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import install_prism as setup
import pytest

ROOT = setup.HERE.parent.parent
sys.path.insert(0, str(ROOT / "tools"))
import openapi_pages  # noqa: E402 - the merge of openapi/pages/*.json (standard library only)

PATCH_NAME = openapi_pages.PATCH_FILE
DOCUMENTS = ("upstream", "patched")

START_TIMEOUT = 30.0  # seconds for Prism to answer its first request
STOP_TIMEOUT = 5.0
START_ATTEMPTS = 3  # the free port may be taken between finding it and Prism binding it
API_KEY = "contract-test-key"
PROJECT_KEY = "contract-test-project"

_skip_reason: str | None = None


# --- RFC 6902, as much of it as batch-api.patch.json uses ------------------------------------------------------


class PatchError(ValueError):
    pass


def _pointer(path: str) -> list[str]:
    if not path.startswith("/"):
        raise PatchError(f"unsupported JSON pointer {path!r} (the whole document cannot be patched here)")
    return [token.replace("~1", "/").replace("~0", "~") for token in path[1:].split("/")]


def _index(container: list[Any], token: str, path: str, *, append: bool = False) -> int:
    if append and token == "-":
        return len(container)
    if not token.isdigit() or (token != "0" and token.startswith("0")):
        raise PatchError(f"{path}: {token!r} is not an array index")
    index = int(token)
    if index > len(container) - (0 if append else 1):
        raise PatchError(f"{path}: index {index} is out of range")
    return index


def _child(value: Any, token: str, path: str) -> Any:
    if isinstance(value, list):
        return value[_index(value, token, path)]
    if isinstance(value, dict) and token in value:
        return value[token]
    raise PatchError(f"{path}: {token!r} does not exist")


def _same_json(a: Any, b: Any) -> bool:
    if isinstance(a, bool) or isinstance(b, bool):
        return type(a) is type(b) and a == b
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(_same_json(a[k], b[k]) for k in a)
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(_same_json(x, y) for x, y in zip(a, b, strict=True))
    if isinstance(a, int | float) and isinstance(b, int | float):
        return a == b
    return type(a) is type(b) and a == b


def apply_json_patch(document: Any, operations: list[dict[str, Any]]) -> Any:
    """RFC 6902 `add`, `replace` and `test` (all batch-api.patch.json uses); anything else raises PatchError."""
    result = copy.deepcopy(document)
    for operation in operations:
        op, path = operation.get("op"), operation.get("path", "")
        *parents, last = _pointer(path)
        parent = result
        for token in parents:
            parent = _child(parent, token, path)
        if op == "test":
            if not _same_json(_child(parent, last, path), operation["value"]):
                raise PatchError(f"test failed at {path}: {_child(parent, last, path)!r} != {operation['value']!r}")
        elif op in {"add", "replace"}:
            value = copy.deepcopy(operation["value"])
            if op == "replace":
                _child(parent, last, path)  # must exist
            if isinstance(parent, list):
                index = _index(parent, last, path, append=op == "add")
                if op == "add":
                    parent.insert(index, value)
                else:
                    parent[index] = value
            elif isinstance(parent, dict):
                parent[last] = value
            else:
                raise PatchError(f"{path}: the parent is neither an object nor an array")
        else:
            raise PatchError(f"unsupported JSON Patch operation {op!r}: extend apply_json_patch in {__file__}")
    return result


def upstream_document() -> Any:
    return openapi_pages.upstream_document()[0]


def patched_document() -> Any:
    upstream, patch = openapi_pages.upstream_document()
    try:
        return apply_json_patch(upstream, patch)
    except PatchError as exc:
        raise PatchError(f"{PATCH_NAME} no longer applies to the merged pages: {exc}") from None


# --- Prism, the process --------------------------------------------------------------------------------------------


@dataclass
class Prism:
    """One running `prism mock`."""

    document: str  # "upstream" or "patched"
    document_path: Path
    url: str  # http://127.0.0.1:<port>, no trailing slash
    log_path: Path
    command: list[str]
    process: subprocess.Popen[bytes]

    def output(self, last_chars: int = 6000) -> str:
        try:
            text = self.log_path.read_text(encoding="utf-8", errors="replace")
        except OSError as exc:
            return f"(no output: {exc})"
        return text if len(text) <= last_chars else "...\n" + text[-last_chars:]


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _stop(process: subprocess.Popen[bytes]) -> None:
    """Terminate Prism's whole process group (it runs in its own session), then reap it."""
    if os.name == "nt":  # pragma: no cover - no process groups; Prism does not fork without -m anyway
        process.kill()
        process.wait(STOP_TIMEOUT)
        return
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGTERM)
    with contextlib.suppress(subprocess.TimeoutExpired):
        process.wait(STOP_TIMEOUT)
    # Whatever is left in the group (the leader, if SIGTERM was not enough, or anything it started).
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGKILL)
    process.wait(STOP_TIMEOUT)


def _probe(url: str) -> httpx.Response | None:
    try:
        return httpx.get(
            f"{url}/segments/list",
            headers={"Authorization": f"Bearer {API_KEY}", "X-Batch-Project": PROJECT_KEY},
            timeout=2.0,
            trust_env=False,
        )
    except httpx.TransportError:
        return None


def _launch(document: str, document_path: Path, workdir: Path) -> Prism:
    port = _free_port()
    log_path = workdir / f"prism-{document}-{port}.log"
    command = [str(setup.PRISM_BIN), "mock", str(document_path), "-h", "127.0.0.1", "-p", str(port)]
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            command,
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            cwd=setup.HERE,
            env={**os.environ, "FORCE_COLOR": "0", "NO_COLOR": "1"},
            start_new_session=True,  # its own process group, so that _stop reaches anything it starts
        )
    return Prism(document, document_path, f"http://127.0.0.1:{port}", log_path, command, process)


def _not_ready(prism: Prism) -> str | None:
    """Wait until Prism answers a valid request with a clean 200; otherwise say what happened."""
    deadline = time.monotonic() + START_TIMEOUT
    while prism.process.poll() is None and time.monotonic() < deadline:
        response = _probe(prism.url)
        if response is None:
            time.sleep(0.1)
        elif response.status_code == 200 and "sl-violations" not in response.headers:
            return None
        else:
            return f"answered a valid request with {response.status_code} {dict(response.headers)} {response.text!r}"
    if prism.process.poll() is not None:
        return f"exited with status {prism.process.returncode}"
    return f"did not answer within {START_TIMEOUT:.0f} s"


@contextlib.contextmanager
def run_prism(document: str, document_path: Path, workdir: Path) -> Iterator[Prism]:
    """`prism mock <document_path>` on a free loopback port, once it answers requests; stopped on exit."""
    failures, started = [], None
    for attempt in range(1, START_ATTEMPTS + 1):
        prism = _launch(document, document_path, workdir)
        try:
            why = _not_ready(prism)
        except BaseException:
            _stop(prism.process)
            raise
        if why is None:
            started = prism
            break
        _stop(prism.process)
        failures.append(f"attempt {attempt}: `{' '.join(prism.command)}` {why}. Its output:\n{prism.output()}")
        if "EADDRINUSE" not in prism.output():
            break
    if started is None:
        raise RuntimeError("Stoplight Prism did not start:\n\n" + "\n\n".join(failures))
    try:
        yield started
    finally:
        _stop(started.process)


class PrismServers:
    """One Prism per document, started on first use and stopped with the session."""

    def __init__(self, workdir: Path, stack: contextlib.ExitStack) -> None:
        self._workdir, self._stack = workdir, stack
        self._running: dict[str, Prism] = {}
        self._failed: dict[str, str] = {}  # a Prism that did not start is not tried again by every test

    def get(self, document: str) -> Prism:
        if document in self._failed:
            pytest.fail(self._failed[document], pytrace=False)
        if document not in self._running:
            if document not in DOCUMENTS:
                raise ValueError(f"unknown document {document!r}; known: {', '.join(DOCUMENTS)}")
            path = self._workdir / f"batch-api.{document}.json"
            content = patched_document() if document == "patched" else upstream_document()
            path.write_text(json.dumps(content, indent=1), encoding="utf-8")
            try:
                self._running[document] = self._stack.enter_context(run_prism(document, path, self._workdir))
            except RuntimeError as exc:
                self._failed[document] = str(exc)
                raise
        return self._running[document]


# --- availability, fixtures, reporting -----------------------------------------------------------------------------


def prism_problem() -> str | None:
    """Why Prism cannot run here, or None."""
    if not setup.PRISM_BIN.exists():
        return f"Stoplight Prism is not installed ({setup.PRISM_BIN} is missing; run python {setup.__file__})"
    node = setup.node_problem(need_npm=False)
    if node is not None:
        return f"Stoplight Prism cannot run: {node}"
    return None


@pytest.fixture(scope="session")
def prism_servers(tmp_path_factory: pytest.TempPathFactory) -> Iterator[PrismServers]:
    global _skip_reason
    problem = prism_problem()
    if problem is not None:
        if setup.in_ci():
            pytest.fail(f"CI=true and the contract check cannot run: {problem}", pytrace=False)
        _skip_reason = problem
        pytest.skip(f"CONTRACT CHECKS SKIPPED: {problem}")
    installed, pinned = setup.installed_version(), setup.pinned_version()
    if installed != pinned:
        pytest.fail(
            f"tests/contract/node_modules holds {setup.PRISM_PACKAGE} {installed}, package.json pins {pinned}: "
            f"run python {setup.__file__}",
            pytrace=False,
        )
    with contextlib.ExitStack() as stack:
        yield PrismServers(tmp_path_factory.mktemp("prism"), stack)


@pytest.fixture(params=DOCUMENTS)
def prism(request: pytest.FixtureRequest, prism_servers: PrismServers) -> Prism:
    return prism_servers.get(request.param)


@pytest.fixture
def upstream_prism(prism_servers: PrismServers) -> Prism:
    return prism_servers.get("upstream")


@pytest.fixture
def patched_prism(prism_servers: PrismServers) -> Prism:
    return prism_servers.get("patched")


def pytest_report_header(config: pytest.Config) -> str:
    problem = prism_problem()
    if problem is not None:
        return f"contract: {problem} ({'a failure: CI=true' if setup.in_ci() else 'the tests will be SKIPPED'})"
    return f"contract: Stoplight Prism {setup.installed_version()} ({setup.PRISM_BIN})"


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    if _skip_reason is not None:
        terminalreporter.write_sep("!", "THE CONTRACT CHECKS AGAINST STOPLIGHT PRISM WERE SKIPPED", red=True, bold=True)
        terminalreporter.write_line(_skip_reason, red=True)
        terminalreporter.write_line("Install Node.js 20.19+ with npm, then: tox run -e contract", red=True)
