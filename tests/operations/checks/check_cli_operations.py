"""`batch-rest <resource> <action>` for every operation of the generated package this runs with.

tests/operations/test_operations.py runs this module (with every checks/check_*.py) in a subprocess importing a
package regenerated from the shipped pages plus each fixture page alone, and plus all of them (tests/fixtures).
Nothing here names an operation: the commands, their options, the requests they must send and the answers they
get all come from `_seam.OPERATIONS` and the API document, so a new page is covered as soon as it exists.

The CLI runs as a real subprocess (`python -m batch_rest`), mostly against `ExampleServer`, a loopback server of
this module that answers every operation of the document with an example built from the operation's response
schema (a 307 with a Location for a redirect, no body for a 204, two pages for a cursor list) and records what it
was sent, so that each test knows exactly what the CLI must print. The last test runs every operation against
the fake server (batch_rest.testing.FakeBatchServer) as well.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import uuid
from collections.abc import Iterator, Mapping
from datetime import datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest

from batch_rest import _schema, _seam

OPERATIONS = _seam.OPERATIONS
NAMES = sorted(OPERATIONS)
WITH_BODY = [name for name in NAMES if OPERATIONS[name]["body"]]
LISTS = [name for name in NAMES if OPERATIONS[name]["paging"]]
NOT_LISTS = [name for name in NAMES if not OPERATIONS[name]["paging"]]
WITH_REQUIRED_PARAMS = [name for name in NAMES if any(p["required"] for p in OPERATIONS[name]["params"])]
API_KEY = f"canary-{uuid.uuid4().hex}"
PROJECT_KEY = "project-cli"
LOCATION = "https://files.example.com/exports/file_1.csv?signature=a%2Fb"
CURSOR = "c3RhcnQ+/page=2"  # base64-like: +, / and = must survive the query string

pytestmark = pytest.mark.timeout(60)


# -- examples from the document ------------------------------------------------------------------------------


def schema_at(pointer: str) -> Mapping[str, Any]:
    return _schema.schema_at(_seam.document(), pointer)


def resolved(schema: Mapping[str, Any]) -> Mapping[str, Any]:
    return schema_at(schema["$ref"]) if "$ref" in schema else schema


def example(schema: Mapping[str, Any], salt: str = "") -> Any:
    """A value of `schema`: its own example when it has one, else the simplest value that fits.

    `salt` is appended to free-text strings, so that the items of a list differ from one another.
    """
    schema = resolved(schema)
    if "example" in schema:
        value = schema["example"]
        free_text = isinstance(value, str) and not ({"enum", "format", "pattern"} & schema.keys())
        return value + salt if free_text and not value[:4].isdigit() else value
    if "const" in schema:
        return schema["const"]
    if "enum" in schema:
        return schema["enum"][0]
    for combined in ("anyOf", "oneOf"):
        if combined in schema:
            return example(schema[combined][0], salt)
    if "allOf" in schema:
        return {k: v for part in schema["allOf"] for k, v in example(part, salt).items()}
    kinds = schema.get("type", "object" if "properties" in schema else "string")
    kind = next(k for k in ([kinds] if isinstance(kinds, str) else kinds) if k != "null")
    if kind == "object":
        value = {name: example(sub, salt) for name, sub in schema.get("properties", {}).items()}
        return value | {name: "x" for name in schema.get("required", []) if name not in value}
    if kind == "array":
        return [example(schema.get("items", {}), salt) for _ in range(max(1, schema.get("minItems", 1)))]
    if kind == "integer":
        return max(1, schema.get("minimum", 1))
    if kind == "number":
        return 1.5
    if kind == "boolean":
        return True
    formats = {"date-time": "2026-01-02T03:04:05Z", "date": "2026-01-02"}
    return formats.get(schema.get("format", ""), "text" + salt)


def success(facts: Mapping[str, Any]) -> tuple[int, Mapping[str, Any]]:
    """The operation's documented success status and result."""
    status = min(int(s) for s in facts["results"] if 200 <= int(s) < 400)
    return status, facts["results"][str(status)]


def page(facts: Mapping[str, Any], first: bool) -> dict[str, Any]:
    """Two pages of the list: two items, then one."""
    item = schema_at(facts["paging"]["item_schema"])
    indexes = [0, 1] if first else [2]
    return {facts["paging"]["items_key"]: [example(item, f"-{i}") for i in indexes], "has_more": first,
            **({"next_from": CURSOR, "count": 3} if first else {})}  # fmt: skip


def listed(facts: Mapping[str, Any]) -> list[Any]:
    return (
        page(facts, first=True)[facts["paging"]["items_key"]] + page(facts, first=False)[facts["paging"]["items_key"]]
    )


def option(param: Mapping[str, Any]) -> str:
    return "--" + param["name"].rstrip("_").replace("_", "-")


def param_value(param: Mapping[str, Any]) -> str:
    value = example(schema_at(param["schema"]))
    return json.dumps(value) if isinstance(value, bool | dict | list) else str(value)


def request_args(facts: Mapping[str, Any]) -> list[str]:
    """Every parameter (a list's cursor and limit aside) with an example value, and the body's example."""
    paging = facts["paging"] or {}
    args = [facts["resource"], facts["action"]]
    for param in facts["params"]:
        if param["name"] not in (paging.get("cursor_param"), paging.get("limit_param")):
            args += [option(param), param_value(param)]
    if facts["body"]:
        args += ["--body", json.dumps(example(schema_at(facts["body"]["schema"])))]
    return args


# -- the server ----------------------------------------------------------------------------------------------


class ExampleServer(ThreadingHTTPServer):
    """Answers every operation of the document with its example; `requests` holds what it was sent."""

    daemon_threads = True

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.requests: list[dict[str, Any]] = []
        self.answer: tuple[int, dict[str, str], bytes] | None = None  # set by a test: the next answer, verbatim

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}/{_seam.DEFAULT_API_VERSION}"


class _Handler(BaseHTTPRequestHandler):
    server: ExampleServer

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def do_GET(self) -> None:
        self._serve()

    def do_POST(self) -> None:
        self._serve()

    def _serve(self) -> None:
        url = urlsplit(self.path)
        length = int(self.headers.get("Content-Length") or 0)
        body = json.loads(self.rfile.read(length)) if length else None
        query = parse_qs(url.query, keep_blank_values=True)
        path = url.path.removeprefix(f"/{_seam.DEFAULT_API_VERSION}")
        self.server.requests.append({"method": self.command, "path": path, "query": query, "body": body,
                                     "headers": dict(self.headers)})  # fmt: skip
        if self.server.answer is not None:
            status, headers, content = self.server.answer
        else:
            status, headers, content = self._example(path, query)
        self.send_response(status)
        for name, value in {"Content-Length": str(len(content)), **headers}.items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(content)

    def _example(self, path: str, query: Mapping[str, list[str]]) -> tuple[int, dict[str, str], bytes]:
        facts = next(f for f in OPERATIONS.values() if f["path"] == path and f["method"] == self.command)
        json_type = {"Content-Type": "application/json"}
        if facts["paging"]:
            cursor = query.get(facts["paging"]["cursor_param"].rstrip("_"), [None])[0]
            return 200, json_type, json.dumps(page(facts, first=cursor is None)).encode()
        status, result = success(facts)
        if result["kind"] == "location":
            return status, {"Location": LOCATION}, b""
        if result["kind"] == "none":
            return status, {}, b""
        return status, json_type, json.dumps(example(schema_at(result["schema"]))).encode()


@pytest.fixture(scope="module")
def server() -> Iterator[ExampleServer]:
    httpd = ExampleServer()
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield httpd
    httpd.shutdown()
    httpd.server_close()


@pytest.fixture(autouse=True)
def fresh(server: ExampleServer) -> None:
    server.requests.clear()
    server.answer = None


def cli(*args: str, server: ExampleServer | None = None, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("BATCH_")}
    if server is not None:
        env |= {"BATCH_BASE_URL": server.url, "BATCH_REST_API_KEY": API_KEY, "BATCH_PROJECT_KEY": PROJECT_KEY}
    result = subprocess.run([sys.executable, "-m", "batch_rest", *args], input=stdin, env=env,
                            capture_output=True, text=True, timeout=30, check=False)  # fmt: skip
    assert API_KEY not in result.stdout + result.stderr
    assert "Traceback" not in result.stderr
    return result


def same_json(got: Any, sent: Any) -> bool:
    """Equal, date-times compared as instants (the models write `Z` as `+00:00`)."""
    if isinstance(got, dict) and isinstance(sent, dict):
        return got.keys() == sent.keys() and all(same_json(got[k], sent[k]) for k in got)
    if isinstance(got, list) and isinstance(sent, list):
        return len(got) == len(sent) and all(map(same_json, got, sent))
    if isinstance(got, str) and isinstance(sent, str) and got != sent:
        try:
            return datetime.fromisoformat(got) == datetime.fromisoformat(sent)
        except ValueError:
            return False
    return bool(got == sent) and type(got) is type(sent)


# -- the tests -----------------------------------------------------------------------------------------------


def for_each(names: list[str]) -> Any:
    """Parametrize a test over these operations; no test at all when the package has none (rather than a skip)."""

    def decorate(test: Any) -> Any:
        return pytest.mark.parametrize("name", names)(test) if names else None

    return decorate


def test_every_resource_is_a_command_listing_its_actions():
    top = cli("--help")
    assert top.returncode == 0
    for facts in OPERATIONS.values():
        resource = cli(facts["resource"], "--help")
        assert facts["resource"] in top.stdout
        assert facts["action"] in resource.stdout


@for_each(NAMES)
def test_help_shows_the_description_each_parameter_and_the_body(name):
    facts = OPERATIONS[name]
    result = cli(facts["resource"], facts["action"], "--help")
    assert result.returncode == 0, result.stderr
    text = " ".join(result.stdout.split())
    assert " ".join(facts["description"].split()) in text
    assert f"{facts['method']} {facts['path']}" in text
    paging = facts["paging"] or {}
    for param in facts["params"]:
        if param["name"] in (paging.get("cursor_param"), paging.get("limit_param")):
            continue
        assert option(param) in text
        assert " ".join((param["description"] or "").split()) in text
    assert ("--body JSON|@FILE|-" in text) == bool(facts["body"])
    for listing_option in ("--format", "--max-items", "--page-size", "--start-cursor"):
        assert (listing_option in text) == bool(paging)


@for_each(NAMES)
def test_each_operation_sends_its_request_and_prints_its_result(server, name):
    facts = OPERATIONS[name]
    args = request_args(facts)
    result = cli(*args, *(["--format", "jsonl", "--page-size", "2"] if facts["paging"] else []), server=server)
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""

    # The request: method, path, every parameter under its API name, the project key, the body as given.
    first = server.requests[0]
    assert (first["method"], first["path"]) == (facts["method"], facts["path"])
    assert first["headers"]["X-Batch-Project"] == PROJECT_KEY
    for param in facts["params"]:
        if param["in"] == "query" and option(param) in args:
            assert first["query"][param["api_name"]] == [args[args.index(option(param)) + 1]]
    if facts["body"]:
        assert first["body"] == json.loads(args[args.index("--body") + 1])

    # The result, printed.
    if facts["paging"]:
        cursor_name = facts["paging"]["cursor_param"].rstrip("_")
        assert [r["query"].get(cursor_name) for r in server.requests] == [None, [CURSOR]]
        rows = [json.loads(line) for line in result.stdout.splitlines()]
        assert same_json(rows, listed(facts))
        return
    assert len(server.requests) == 1
    _, outcome = success(facts)
    if outcome["kind"] == "location":
        assert result.stdout == LOCATION + "\n"
    elif outcome["kind"] == "none":
        assert result.stdout == ""
    else:
        assert same_json(json.loads(result.stdout), example(schema_at(outcome["schema"])))


@for_each(WITH_BODY)
@pytest.mark.parametrize("how", ["file", "stdin"])
def test_the_body_can_come_from_a_file_or_stdin(server, tmp_path: Path, name, how):
    facts = OPERATIONS[name]
    args = request_args(facts)
    body = args.pop(args.index("--body") + 1)
    file = tmp_path / "body.json"
    file.write_text(body, encoding="utf-8")
    args.insert(args.index("--body") + 1, f"@{file}" if how == "file" else "-")
    result = cli(*args, server=server, stdin=body if how == "stdin" else None)
    assert result.returncode == 0, result.stderr
    assert server.requests[0]["body"] == json.loads(body)


@for_each(WITH_BODY)
@pytest.mark.parametrize(
    ("body", "words"),
    [("{not json", ["--body", "not valid JSON"]), ("@/nonexistent/edits.json", ["--body", "cannot read"]),
     ("wrong-type", ["--body"])],
)  # fmt: skip
def test_a_bad_body_exits_2_with_the_commands_usage_before_any_request(server, name, body, words):
    facts = OPERATIONS[name]
    args = request_args(facts)
    if body == "wrong-type":  # an array where the document wants an object, or the reverse
        body = "{}" if facts["body"]["array"] else "[]"
    args[args.index("--body") + 1] = body
    result = cli(*args, server=server)
    assert result.returncode == 2
    assert f"usage: batch-rest {facts['resource']} {facts['action']}" in result.stderr
    for word in words:
        assert word in result.stderr.splitlines()[-1]
    assert server.requests == []


@for_each(WITH_REQUIRED_PARAMS)
def test_a_missing_required_parameter_exits_2(server, name):
    facts = OPERATIONS[name]
    required = next(p for p in facts["params"] if p["required"])
    args = request_args(facts)
    del args[args.index(option(required)) : args.index(option(required)) + 2]
    result = cli(*args, server=server)
    assert result.returncode == 2
    assert option(required) in result.stderr
    assert f"usage: batch-rest {facts['resource']} {facts['action']}" in result.stderr
    assert server.requests == []


@for_each(NOT_LISTS)
def test_an_api_error_exits_4_and_names_the_operations_options(server, name):
    facts = OPERATIONS[name]
    server.answer = (404, {"Content-Type": "application/json"},
                     json.dumps({"error_code": "NOT_FOUND", "error_message": "no such thing"}).encode())  # fmt: skip
    result = cli(*request_args(facts), "--max-retries", "0", server=server)
    assert result.returncode == 4
    (line,) = result.stderr.splitlines()
    for word in ("404", "NOT_FOUND", "no such thing", "after 1 attempt;"):
        assert word in line
    asked = [option(p) for p in facts["params"]] + (["--body"] if facts["body"] else [])
    for word in asked or ["--base-url"]:
        assert word in line


@for_each(LISTS)
def test_lists_take_every_listing_option(server, name):
    facts = OPERATIONS[name]
    result = cli(*request_args(facts), "--format", "csv", "--max-items", "1", server=server)
    assert result.returncode == 0, result.stderr
    header, *rows = result.stdout.splitlines()
    assert len(rows) == 1
    documented = list(schema_at(facts["paging"]["item_schema"]).get("properties", {}))
    assert header.split(",")[: len(documented)] == documented
    limit = facts["paging"]["limit_param"]
    assert [r["query"].get(limit) for r in server.requests] == [["1"]]

    again = cli(*request_args(facts), "--start-cursor", CURSOR, "--format", "json", server=server)
    assert again.returncode == 0, again.stderr
    assert same_json(json.loads(again.stdout), listed(facts)[2:])


@for_each(NAMES)
def test_each_operation_against_the_fake_server(name):
    # batch_rest.testing's FakeBatchServer serves every operation of the document: the CLI must take its answers.
    from batch_rest.testing import FakeBatchServer

    facts = OPERATIONS[name]
    with FakeBatchServer(5, api_key=API_KEY, project_key=PROJECT_KEY) as fake:
        result = cli(*request_args(facts), *(["--format", "jsonl"] if facts["paging"] else []), server=fake)
        sent = [(r.method, r.path) for r in fake.requests]
    assert result.returncode == 0, result.stderr
    assert (facts["method"], f"/{_seam.DEFAULT_API_VERSION}{facts['path']}") in sent
    kind = success(facts)[1]["kind"]
    if facts["paging"]:
        rows = [json.loads(line) for line in result.stdout.splitlines()]
        assert rows
        assert all(isinstance(row, dict) for row in rows)
    elif kind == "location":
        (url,) = result.stdout.splitlines()
        assert url.startswith(("http://", "https://"))
    elif kind == "none":
        assert result.stdout == ""
    else:
        assert isinstance(json.loads(result.stdout), dict | list)


NOT_IDEMPOTENT = [name for name in NAMES if not OPERATIONS[name]["idempotent"]]


@for_each(NOT_IDEMPOTENT)
@pytest.mark.parametrize("idempotent", [False, True])
def test_idempotent_opts_a_post_into_retries_after_a_500(name, idempotent):
    from batch_rest.testing import FakeBatchServer, Fault

    facts = OPERATIONS[name]
    with FakeBatchServer(5, api_key=API_KEY, project_key=PROJECT_KEY) as fake:
        fake.inject(Fault.server_error(), operation=name)
        extra = ["--idempotent"] if idempotent else []
        result = cli(*request_args(facts), *extra, "--max-retries", "2", server=fake)
        sent = [r for r in fake.requests if r.operation == name]
    if idempotent:
        assert (result.returncode, len(sent)) == (0, 2), result.stderr
    else:
        assert (result.returncode, len(sent)) == (4, 1), result.stderr
        assert "after 1 attempt" in result.stderr
