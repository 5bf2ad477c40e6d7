"""`make update-spec` / `make remove-spec` (tools/update_spec.py), run on a temporary copy of the repository's files.

data/segments-list.md is Batch's docs page for GET /segments/list as fetched on 2026-11-26
(https://doc.batch.com/developer/api/cep/segments/list.md): its OpenAPI block, two other fenced blocks (a
response example, an HTTP snippet) and prose. tests/fixtures/pages/ holds reconstructions of Batch's other pages
written for tests (not Batch's documents). `page_with` swaps another document into the real page, so that the
tool is fed realistic pages whatever the stored one is.

Sources by address are served from a real HTTP server on 127.0.0.1 (loopback.py): nothing is downloaded from
the internet. Whole documents (YAML, or JSON of many operations) are built at test time by merging fixture
pages, and labelled as our reconstructions.

Each test starts from the shipped openapi/ and a generated/ freshly generated from it (not the committed one, so
that these tests judge update-spec, not drift: the `generated` tox environment judges that).
"""

from __future__ import annotations

import ast
import copy
import hashlib
import json
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml
from loopback import Answer, serve
from mutations import new_item_field, version_bump

REPO = Path(__file__).resolve().parents[2]
PAGE = Path(__file__).resolve().parent / "data" / "segments-list.md"
FIXTURE_PAGES = REPO / "tests" / "fixtures" / "pages"
PACKAGE = Path("generated", "batch_rest_generated")
# The fixture pages in the order the workflow test adds them, and the operation each brings.
FIXTURES = {
    "profiles-update": "profiles/profiles_update",
    "audiences-create": "audiences/audiences_create",
    "audiences-view": "audiences/audiences_view",
    "exports-download": "exports/exports_download",
    "campaigns-delete": "campaigns/campaigns_delete",
    "catalogs-list": "catalogs/catalogs_list",
    "audiences-list": "audiences/audiences_list",
    "catalogs-create": "catalogs/catalogs_create",
    "profiles-export": "profiles/profiles_export",
    "exports-view": "exports/exports_view",
}

pytestmark = pytest.mark.timeout(300)

sys.path.insert(0, str(REPO / "tools"))
import update_spec  # noqa: E402


@pytest.fixture(scope="module")
def shipped(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The files update_spec reads and writes, copied once: tools/, generator-config.yaml, openapi/, and
    generated/ as generate.py writes it from them."""
    root = tmp_path_factory.mktemp("shipped") / "repo"
    shutil.copytree(REPO / "tools", root / "tools", ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copytree(REPO / "openapi", root / "openapi")
    shutil.copy2(REPO / "generator-config.yaml", root)
    generate = [sys.executable, str(root / "tools" / "generate.py")]
    result = subprocess.run(generate, cwd=root, capture_output=True, text=True, timeout=120, check=False)
    assert result.returncode == 0, result.stdout + result.stderr
    return root


@pytest.fixture
def repo(shipped: Path, tmp_path: Path) -> Path:
    root = tmp_path / "repo"
    shutil.copytree(shipped, root)
    return root


def snapshot(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def run(root: Path, *args: str | Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, str(root / "tools" / "update_spec.py"), *map(str, args)],
        cwd=root,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def add(root: Path, source: str | Path, *args: str) -> str:
    result = run(root, source, *args)
    assert result.returncode == 0, result.stdout + result.stderr
    return result.stdout


def check_generated(root: Path) -> None:
    command = [sys.executable, str(root / "tools" / "generate.py"), "--check"]
    result = subprocess.run(command, cwd=root, capture_output=True, text=True, timeout=120, check=False)
    assert result.returncode == 0, result.stdout + result.stderr


def stored_text() -> str:
    return (REPO / "openapi" / "pages" / "segments-list.json").read_text(encoding="utf-8").rstrip("\n")


def fixture(name: str) -> dict[str, Any]:
    return json.loads(update_spec.extract_document((FIXTURE_PAGES / f"{name}.md").read_text(encoding="utf-8"), name))


def page_with(document_text: str) -> str:
    """The real docs page with `document_text` in place of its OpenAPI block."""
    page = PAGE.read_text(encoding="utf-8")
    (original,) = [b for _, b in update_spec.fenced_blocks(page) if '"openapi"' in b]
    return page.replace(original, document_text)


def compact(document: dict[str, Any]) -> str:
    return json.dumps(document, separators=(",", ":"), ensure_ascii=False)


def write(path: Path, document: dict[str, Any]) -> Path:
    path.write_text(compact(document), encoding="utf-8")
    return path


def changes(stdout: str) -> list[str]:
    lines = stdout.splitlines()
    return [line.strip() for line in lines[lines.index("changes:") + 1 :] if line.startswith("  ")]


def operations(root: Path) -> list[str]:
    api = root / PACKAGE / "api"
    return sorted(f"{p.parent.name}/{p.stem}" for p in api.glob("*/*.py") if p.name != "__init__.py")


def client_operations(root: Path) -> list[str]:
    """The operations the client offers: the keys of OPERATIONS in the generated _operations.py."""
    tree = ast.parse((root / PACKAGE / "_operations.py").read_text(encoding="utf-8"))
    for node in tree.body:
        target = node.targets[0] if isinstance(node, ast.Assign) else getattr(node, "target", None)
        if isinstance(target, ast.Name) and target.id == "OPERATIONS":
            return list(ast.literal_eval(node.value))  # type: ignore[attr-defined]
    raise AssertionError("no OPERATIONS in _operations.py")


def test_the_page_block_is_extracted_verbatim() -> None:
    text = update_spec.extract_document(PAGE.read_text(encoding="utf-8"), PAGE.name)
    assert text == stored_text()
    assert json.loads(text)["openapi"] == "3.1.0"


def test_the_page_of_the_stored_document_gives_no_changes(repo: Path, tmp_path: Path) -> None:
    source = tmp_path / "list.md"
    source.write_text(page_with(stored_text()), encoding="utf-8")
    before = snapshot(repo)
    stdout = add(repo, source)
    assert "no changes: openapi/pages/segments-list.json already holds this page" in stdout
    assert "\nchanges:" not in stdout
    assert snapshot(repo) == before


def test_every_fixture_page_is_added_one_by_one(repo: Path) -> None:
    for count, (name, operation) in enumerate(FIXTURES.items(), 2):
        stdout = add(repo, FIXTURE_PAGES / f"{name}.md")
        assert f"page: adds page {name}; paths: /{name.replace('-', '/')}" in stdout
        assert f"regenerated generated/batch_rest_generated from {count} pages: " in stdout
        assert f"operations added: {operation}" in changes(stdout)
        assert "servers default version: 2.11 (unchanged)" in changes(stdout)
        assert "run `make test`" in stdout
        assert (repo / "openapi" / "pages" / f"{name}.json").read_text(encoding="utf-8") == json.dumps(
            fixture(name), separators=(",", ":"), ensure_ascii=False
        ) + "\n"
    assert "merge: servers default version: 2.11, the highest of the pages' (2.10 on audiences-create, " in stdout
    assert operations(repo) == sorted([*FIXTURES.values(), "segments/segments_list"])
    assert sorted(client_operations(repo)) == sorted(op.split("/")[1] for op in operations(repo))
    provenance = json.loads((repo / "openapi" / "pages.json").read_text(encoding="utf-8"))
    assert sorted(provenance) == sorted([*FIXTURES, "segments-list"])
    assert provenance["exports-view"]["url"] == "https://doc.batch.com/developer/api/cep/exports/view.md"
    assert '"version": "2.11"' in (repo / PACKAGE / "_server.py").read_text(encoding="utf-8")
    check_generated(repo)


def test_a_page_with_the_same_paths_replaces_the_stored_one(repo: Path, tmp_path: Path) -> None:
    document = json.loads(stored_text())
    version_bump(document)
    new_item_field(document)
    text = compact(document)
    source = tmp_path / "list.md"
    source.write_text(page_with(text), encoding="utf-8")
    stdout = add(repo, source)
    assert "page: replaces page segments-list (its paths: /segments/list); paths: /segments/list" in stdout
    assert changes(stdout)[:3] == [
        "servers default version: 2.11 -> 2.12",
        "info.version: 2.9 -> 2.10",
        "model OneSegment: + audience_size: int | None",
    ]
    assert changes(stdout)[3].startswith("generated files changed: _server.py, ")
    assert "add a CHANGELOG.md entry" in stdout
    # the page's block, verbatim, plus a newline, under the stored name; its provenance follows it
    assert (repo / "openapi" / "pages" / "segments-list.json").read_text(encoding="utf-8") == text + "\n"
    provenance = json.loads((repo / "openapi" / "pages.json").read_text(encoding="utf-8"))["segments-list"]
    assert provenance["sha256"] == hashlib.sha256(text.encode()).hexdigest()
    assert provenance["url"] == "https://doc.batch.com/developer/api/cep/segments/list.md"  # named by the page
    check_generated(repo)


def test_a_replacing_page_may_bring_a_new_path_and_its_address(repo: Path, tmp_path: Path) -> None:
    document = json.loads(stored_text())
    view = copy.deepcopy(document["paths"]["/segments/list"])
    view["get"]["operationId"] = "segments_view"
    document["paths"]["/segments/view"] = view
    address = "https://doc.batch.com/developer/api/cep/segments.md"
    source = tmp_path / "segments.md"  # a docs page is a page, whatever it holds (a JSON file of two: a document)
    source.write_text(page_with(compact(document)), encoding="utf-8")
    stdout = add(repo, source, "--url", address)
    assert "page: replaces page segments-list" in stdout
    assert "operations added: segments/segments_view" in changes(stdout)
    assert json.loads((repo / "openapi" / "pages.json").read_text(encoding="utf-8"))["segments-list"]["url"] == address
    assert sorted(p.name for p in (repo / "openapi" / "pages").iterdir()) == ["segments-list.json"]


def test_a_page_overlapping_two_stored_pages_is_refused(repo: Path, tmp_path: Path) -> None:
    add(repo, FIXTURE_PAGES / "audiences-list.md")
    document = json.loads(stored_text())  # /segments/list and /audiences/list, each on its own stored page
    document["paths"] |= fixture("audiences-list")["paths"]
    document["components"]["schemas"] |= fixture("audiences-list")["components"]["schemas"]
    source = tmp_path / "audiences.md"
    source.write_text(page_with(compact(document)), encoding="utf-8")
    before = snapshot(repo)
    result = run(repo, source)
    assert result.returncode == 1
    assert result.stderr.startswith("update-spec: refused, nothing changed: the page's paths are on 2 stored pages")
    assert "audiences-list has /audiences/list; segments-list has /segments/list" in result.stderr
    assert snapshot(repo) == before


def _error_differs(document: dict[str, Any]) -> dict[str, Any]:
    document["components"]["schemas"]["Error"]["properties"]["request_id"] = {"type": "string"}
    return document


def test_a_page_whose_shared_error_schema_differs_is_refused_with_a_diff(repo: Path, tmp_path: Path) -> None:
    source = tmp_path / "audiences-list.md"
    page = (FIXTURE_PAGES / "audiences-list.md").read_text(encoding="utf-8")
    block = update_spec.extract_document(page, source.name)
    source.write_text(page.replace(block, compact(_error_differs(json.loads(block)))), encoding="utf-8")
    before = snapshot(repo)
    result = run(repo, source)
    assert result.returncode == 1
    assert result.stderr.splitlines()[:4] == [
        "update-spec: refused, nothing changed: the pages cannot be merged (1 conflict):",
        "  /components/schemas/Error differs between pages audiences-list and segments-list:",
        "    --- audiences-list: /components/schemas/Error",
        "    +++ segments-list: /components/schemas/Error",
    ]
    assert '    -    "request_id": {' in result.stderr
    assert snapshot(repo) == before


@pytest.mark.parametrize(
    ("name", "mutate", "message"),
    [
        ("catalogs-list", lambda d: d["components"]["responses"]["401"].update(description="No"), "responses/401"),
        ("exports-view", lambda d: d["components"]["parameters"]["HeaderProjectKey"].pop("required"), "HeaderProject"),
        ("catalogs-create", lambda d: d["servers"][0].update(url="https://eu.batch.com/{version}"), "/servers"),
        (  # valid alone, not once merged
            "campaigns-delete",
            lambda d: d["paths"]["/campaigns/delete"]["post"].update(operationId="segments_list"),
            "the merged document is not valid OpenAPI 3.1.0: Operation ID 'segments_list'",
        ),
    ],
    ids=["response-401", "project-header", "server-url", "operation-id"],
)
def test_pages_that_cannot_be_merged_leave_everything_as_it_was(
    repo: Path, tmp_path: Path, name: str, mutate: Any, message: str
) -> None:
    document = fixture(name)
    mutate(document)
    before = snapshot(repo)
    result = run(repo, write(tmp_path / f"{name}.json", document))
    assert result.returncode == 1
    assert result.stderr.startswith("update-spec: refused, nothing changed: ")
    assert message in result.stderr
    assert snapshot(repo) == before


def test_the_patch_can_decide_a_component_that_differs(repo: Path, tmp_path: Path) -> None:
    document = _error_differs(fixture("audiences-list"))
    patch_path = repo / "openapi" / "batch-api.patch.json"
    patch = json.loads(patch_path.read_text(encoding="utf-8"))
    patch.append(
        {"op": "replace", "path": "/components/schemas/Error", "value": document["components"]["schemas"]["Error"]}
    )
    patch_path.write_text(json.dumps(patch, indent=1) + "\n", encoding="utf-8")
    stdout = add(repo, write(tmp_path / "audiences-list.json", document))
    assert (
        "merge: /components/schemas/Error differs between pages audiences-list and segments-list: "
        f"patch operation #{len(patch)} decides it"
    ) in stdout
    assert "model Error: + request_id: str | None" in changes(stdout)


def test_a_higher_servers_default_on_a_new_page_becomes_the_clients(repo: Path, tmp_path: Path) -> None:
    document = fixture("catalogs-list")
    document["servers"][0]["variables"]["version"]["default"] = "2.12"
    stdout = add(repo, write(tmp_path / "catalogs.json", document))
    assert "merge: servers default version: 2.12, the highest of the pages' (2.11 on segments-list)" in stdout
    assert "servers default version: 2.11 -> 2.12" in changes(stdout)
    assert "page: adds page catalogs-list" in stdout
    provenance = json.loads((repo / "openapi" / "pages.json").read_text(encoding="utf-8"))["catalogs-list"]
    assert provenance["url"] is None  # a JSON file names no address
    assert "no address (pass URL=<its address>)" in stdout


def test_remove_spec_takes_a_page_out_and_back_to_where_it_was(repo: Path) -> None:
    before = snapshot(repo)
    add(repo, FIXTURE_PAGES / "audiences-view.md")
    result = run(repo, "--remove", "audiences-view")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "page: removes page audiences-view; paths: /audiences/view" in result.stdout
    assert "deleted openapi/pages/audiences-view.json and its provenance" in result.stdout
    summary = changes(result.stdout)
    assert "operations removed: audiences/audiences_view" in summary
    assert any(line.startswith("models removed: ") and "OneAudience" in line for line in summary)
    assert snapshot(repo) == before


@pytest.mark.parametrize(
    ("page", "message"),
    [
        ("segments-list", "segments-list is the only page"),
        ("nope", "there is no page 'nope'; the pages are: segments-list"),
    ],
)
def test_remove_spec_refuses_what_it_cannot_remove(repo: Path, page: str, message: str) -> None:
    before = snapshot(repo)
    result = run(repo, "--remove", page)
    assert result.returncode == 1
    assert result.stderr.startswith(f"remove-spec: refused, nothing changed: {message}")
    assert snapshot(repo) == before


def test_removing_a_page_the_patch_needs_names_the_failing_operation(repo: Path) -> None:
    add(repo, FIXTURE_PAGES / "audiences-list.md")
    before = snapshot(repo)
    result = run(repo, "--remove", "segments-list")
    assert result.returncode == 1
    assert "batch-api.patch.json no longer applies: operation #1 of 7 fails:" in result.stderr
    assert "the document has no 'oneSegment' at /components/schemas (it has: Error, oneAudience)" in result.stderr
    assert snapshot(repo) == before


def test_when_the_patch_no_longer_applies_it_names_the_operation(repo: Path, tmp_path: Path) -> None:
    document = json.loads(stored_text())
    del document["paths"]["/segments/list"]["get"]["parameters"][2]  # `limit`, which the patch corrects
    before = snapshot(repo)
    result = run(repo, write(tmp_path / "batch.json", document))
    assert result.returncode == 1
    assert result.stderr.splitlines()[:3] == [
        "update-spec: refused, nothing changed: batch-api.patch.json no longer applies: operation #5 of 7 fails:",
        '    {"op": "test", "path": "/paths/~1segments~1list/get/parameters/2/name", "value": "limit"}',
        "    the document has no '2' at /paths/~1segments~1list/get/parameters (it has: a list of 2)",
    ]
    assert snapshot(repo) == before


@pytest.mark.parametrize(
    ("page", "message"),
    [
        ('# Page\n\n```json\n{"segments": []}\n```\n', "holds an OpenAPI document"),
        ('```json\n{"openapi": "2.0", "info": {"version": "1"}, "paths": {"/a": {}}}\n```\n', "not an OpenAPI 3.x"),
        ('```json\n{"openapi": "3.1.0", "info": {"version": "1"}, "paths": {"/a": 5}}\n```\n', "not a valid OpenAPI"),
        ('```json\n{"openapi": "3.1.0", "a": 1}\n```\n```json\n{"openapi": "3.1.0", "b": 2}\n```\n', "2 different"),
    ],
)
def test_pages_without_one_openapi_document_are_refused(repo: Path, tmp_path: Path, page: str, message: str) -> None:
    source = tmp_path / "page.md"
    source.write_text(page, encoding="utf-8")
    before = snapshot(repo)
    result = run(repo, source)
    assert result.returncode == 1
    assert message in result.stderr
    assert snapshot(repo) == before


def test_fenced_blocks_follow_markdown_rules() -> None:
    text = "````json\n{\n```\n}\n````\n  ~~~ json\n  [1]\n  ~~~\n```\nunclosed"
    assert update_spec.fenced_blocks(text) == [("json", "{\n```\n}"), ("json", "[1]"), ("", "unclosed")]


# -- sources by address, and whole documents ----------------------------------------------------------------
# The address tests serve the fixture pages from a real HTTP server on 127.0.0.1 (loopback.py). The whole
# documents are built here: fixture pages merged (tools/openapi_pages.merge) and dumped as YAML or JSON. They are
# our reconstructions, labelled as such in their first line; Batch's own document is not reachable from here.

ADDRESS = "/developer/api/cep/profiles/update.md"
DOC_ADDRESS = "https://doc.batch.com/developer/api/cep/profiles/update.md"
RECONSTRUCTION = "# Our reconstruction for tests (tests/fixtures/pages merged), not Batch's document.\n"


def whole(names: list[str], *, with_segments: bool = True) -> dict[str, Any]:
    """The fixture pages `names` (and the stored segments page) merged into one document."""
    pages = {name: fixture(name) for name in names}
    if with_segments:
        pages["segments-list"] = json.loads(stored_text())
    return update_spec.openapi_pages.merge(pages).document


def as_yaml(document: dict[str, Any]) -> str:
    return RECONSTRUCTION + yaml.safe_dump(document, sort_keys=False, allow_unicode=True, width=100)


def provenance(root: Path) -> dict[str, Any]:
    return json.loads((root / "openapi" / "pages.json").read_text(encoding="utf-8"))


def stored_files(root: Path) -> list[str]:
    return sorted(p.name for p in (root / "openapi" / "pages").iterdir())


def refused(root: Path, *args: str | Path) -> str:
    before = snapshot(root)
    result = run(root, *args)
    assert result.returncode == 1, result.stdout
    assert result.stderr.startswith("update-spec: refused, nothing changed: ")
    assert snapshot(root) == before
    return result.stderr


@pytest.mark.parametrize("given", [None, DOC_ADDRESS], ids=["source-address", "url-given"])
def test_a_page_is_taken_from_its_address(repo: Path, given: str | None) -> None:
    page = (FIXTURE_PAGES / "profiles-update.md").read_bytes()
    with serve({ADDRESS: Answer(body=page, headers={"Content-Type": "text/markdown"})}) as server:
        address = server.url(ADDRESS)
        stdout = add(repo, address, *(["--url", given] if given else []))
        assert server.requests == [f"GET {ADDRESS}"]
    assert stdout.startswith(f"source: {address}, {len(page):,} bytes (OpenAPI 3.1.0, valid)\n")
    assert "page: adds page profiles-update; paths: /profiles/update" in stdout
    assert "operations added: profiles/profiles_update" in changes(stdout)
    stored = (repo / "openapi" / "pages" / "profiles-update.json").read_text(encoding="utf-8")
    assert stored == json.dumps(fixture("profiles-update"), separators=(",", ":"), ensure_ascii=False) + "\n"
    assert provenance(repo)["profiles-update"]["url"] == (given or address)
    check_generated(repo)


def test_a_download_that_fails_changes_nothing(repo: Path) -> None:
    with serve({}) as server:
        stderr = refused(repo, server.url(ADDRESS))
    assert f"{server.url(ADDRESS)} answered 404 Not Found, not 200" in stderr
    stderr = refused(repo, "http://doc.batch.com" + ADDRESS)
    assert "plain http is accepted only to a loopback host" in stderr


def test_a_yaml_document_is_stored_verbatim_and_replaces_the_pages_it_covers(repo: Path, tmp_path: Path) -> None:
    add(repo, FIXTURE_PAGES / "audiences-list.md")
    add(repo, FIXTURE_PAGES / "profiles-update.md")
    names = [name for name in FIXTURES if name != "profiles-update"]
    source = tmp_path / "batch-api.yaml"
    source.write_bytes(as_yaml(whole(names)).replace("\n", "\r\n").encode())  # its bytes are kept, CRs included
    stdout = add(repo, source)
    assert stdout.splitlines()[1:4] == [
        "page: whole document batch-api (10 operations on 10 paths) replaces 2 stored pages: "
        "audiences-list (/audiences/list); segments-list (/segments/list)",
        "page: no operation goes away: the document holds every operation of the replaced pages",
        f"wrote openapi/pages/batch-api.yaml ({source.stat().st_size:,} bytes, verbatim) and its provenance in "
        "openapi/pages.json: no address (pass URL=<its address>), extracted "
        f"{provenance(repo)['batch-api']['extracted']}, SHA-256 {hashlib.sha256(source.read_bytes()).hexdigest()}",
    ]
    assert "deleted openapi/pages/audiences-list.json, openapi/pages/segments-list.json" in stdout
    assert "regenerated generated/batch_rest_generated from 2 pages: batch-api, profiles-update" in stdout
    added = sorted(op for name, op in FIXTURES.items() if name not in ("profiles-update", "audiences-list"))
    assert f"operations added: {', '.join(added)}" in changes(stdout)
    assert not any(line.startswith("operations removed") for line in changes(stdout))
    assert (repo / "openapi" / "pages" / "batch-api.yaml").read_bytes() == source.read_bytes()
    assert stored_files(repo) == ["batch-api.yaml", "profiles-update.json"]
    assert provenance(repo)["batch-api"] == {
        "url": None,
        "file": "batch-api.yaml",
        "extracted": provenance(repo)["batch-api"]["extracted"],
        "sha256": hashlib.sha256(source.read_bytes()).hexdigest(),
    }
    assert operations(repo) == sorted([*FIXTURES.values(), "segments/segments_list"])
    check_generated(repo)


def test_a_yaml_document_is_taken_from_its_address(repo: Path) -> None:
    text = as_yaml(whole(["audiences-list", "catalogs-list"])).encode()
    routes = {"/spec/batch-api.yaml": Answer(body=text, headers={"Content-Type": "application/yaml"})}
    with serve(routes) as server:
        stdout = add(repo, server.url("/spec/batch-api.yaml"))
    assert "page: whole document batch-api (3 operations on 3 paths) replaces 1 stored page: segments-list" in stdout
    assert (repo / "openapi" / "pages" / "batch-api.yaml").read_bytes() == text
    assert provenance(repo)["batch-api"]["url"] == server.url("/spec/batch-api.yaml")
    assert "operations added: audiences/audiences_list, catalogs/catalogs_list" in changes(stdout)
    check_generated(repo)


def test_a_json_document_of_many_operations_is_stored_under_its_own_name(repo: Path, tmp_path: Path) -> None:
    text = json.dumps(whole(["catalogs-list", "catalogs-create"], with_segments=False), indent=1)
    source = tmp_path / "Catalogs.JSON"
    source.write_text(text, encoding="utf-8")  # no final newline: kept as it is
    stdout = add(repo, source, "--url", "https://example.com/catalogs.json")
    assert "page: adds whole document catalogs (2 operations on 2 paths)" in stdout
    assert (repo / "openapi" / "pages" / "catalogs.json").read_text(encoding="utf-8") == text
    assert provenance(repo)["catalogs"]["url"] == "https://example.com/catalogs.json"
    assert provenance(repo)["catalogs"]["file"] == "catalogs.json"
    assert stored_files(repo) == ["catalogs.json", "segments-list.json"]
    check_generated(repo)


def test_a_newer_document_replaces_the_stored_one_and_pages_may_not_replace_part_of_it(
    repo: Path, tmp_path: Path
) -> None:
    source = tmp_path / "batch-api.yaml"
    source.write_text(as_yaml(whole(list(FIXTURES))), encoding="utf-8")
    add(repo, source)
    # the same document again: nothing to do
    stdout = add(repo, source)
    assert stdout.splitlines()[1:] == ["no changes: openapi/pages/batch-api.yaml already holds this document"]
    # a newer one, which no longer has /exports/view and moves to API 2.12
    newer = whole([name for name in FIXTURES if name != "exports-view"])
    newer["servers"][0]["variables"]["version"]["default"] = "2.12"
    source.write_text(as_yaml(newer), encoding="utf-8")
    stdout = add(repo, source)
    assert "page: whole document batch-api (10 operations on 10 paths) replaces 1 stored page: batch-api (" in stdout
    assert "page: operations only the replaced pages had, which go away: GET /exports/view" in stdout
    assert "operations removed: exports/exports_view" in changes(stdout)
    assert "servers default version: 2.11 -> 2.12" in changes(stdout)
    # a page for one of its paths would drop the other 9 operations: refused, saying what to do
    stderr = refused(repo, FIXTURE_PAGES / "audiences-list.md")
    assert (
        "the page's paths (/audiences/list) are in batch-api, a whole document of 10 operations, stored as "
        "openapi/pages/batch-api.yaml. A page cannot replace part of a document, which is kept verbatim, and "
        "replacing all of it would drop its 9 other operations. Take the newer whole document instead (make "
        "update-spec SOURCE=<its address>), or remove it (make remove-spec PAGE=batch-api) and add the pages"
    ) in stderr
    # a page for a path the document does not hold is added beside it
    stdout = add(repo, FIXTURE_PAGES / "exports-view.md")
    assert "page: adds page exports-view" in stdout
    assert stored_files(repo) == ["batch-api.yaml", "exports-view.json"]
    check_generated(repo)


def test_a_document_named_like_a_page_it_does_not_replace_is_refused(repo: Path, tmp_path: Path) -> None:
    add(repo, FIXTURE_PAGES / "audiences-list.md")
    source = tmp_path / "audiences-list.yaml"
    source.write_text(as_yaml(whole(["catalogs-list"], with_segments=False)), encoding="utf-8")
    stderr = refused(repo, source)
    assert (
        "the document would be stored as audiences-list, the name of a stored page with none of its paths "
        "(/audiences/list); rename the file"
    ) in stderr


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        (RECONSTRUCTION + "openapi: 3.1.0\ninfo: {version: !!timestamp 2024-01-01}\n", "the tag !!timestamp"),
        (RECONSTRUCTION + "openapi: 3.1.0\ninfo: {version: '1'}\npaths: {}\n", "the document describes no paths"),
        (RECONSTRUCTION + "openapi: 3.1.0\n  bad: indent\n", "is not a YAML document JSON can hold"),
    ],
)
def test_a_yaml_document_that_cannot_be_used_is_refused(repo: Path, tmp_path: Path, text: str, reason: str) -> None:
    source = tmp_path / "batch-api.yaml"
    source.write_text(text, encoding="utf-8")
    assert reason in refused(repo, source)


def test_remove_spec_takes_a_whole_document_out(repo: Path, tmp_path: Path) -> None:
    before = snapshot(repo)
    source = tmp_path / "batch-api.yaml"
    source.write_text(as_yaml(whole(["audiences-view", "exports-download"], with_segments=False)), encoding="utf-8")
    add(repo, source)
    result = run(repo, "--remove", "batch-api")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "page: removes whole document batch-api; paths: /audiences/view, /exports/download" in result.stdout
    assert "deleted openapi/pages/batch-api.yaml and its provenance" in result.stdout
    assert snapshot(repo) == before


def test_a_stored_document_edited_by_hand_fails_check_generated(repo: Path, tmp_path: Path) -> None:
    source = tmp_path / "batch-api.yaml"
    source.write_text(as_yaml(whole(["audiences-view"])), encoding="utf-8")
    add(repo, source)
    stored = repo / "openapi" / "pages" / "batch-api.yaml"
    stored.write_bytes(stored.read_bytes() + b"\n")  # one byte more: the same YAML, not the same document
    command = [sys.executable, str(repo / "tools" / "generate.py"), "--check"]
    result = subprocess.run(command, cwd=repo, capture_output=True, text=True, timeout=120, check=False)
    assert result.returncode == 1
    assert "batch-api.yaml is not the page its provenance describes (SHA-256 differs from pages.json)" in (
        result.stdout + result.stderr
    )
