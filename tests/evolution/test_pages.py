"""The merge of Batch's pages into one document, and the patch applied to it (tools/openapi_pages.py), in process.

The pages are the stored segments page and the fixture pages (tests/fixtures/pages: reconstructions written for
tests, not Batch's documents), plus mutated copies made here. The workflows through `make update-spec` are in
test_update_spec.py.
"""

from __future__ import annotations

import copy
import hashlib
import json
import random
import shutil
import sys
from pathlib import Path
from typing import Any

import pytest

REPO = Path(__file__).resolve().parents[2]
FIXTURE_PAGES = REPO / "tests" / "fixtures" / "pages"
SEGMENTS = REPO / "openapi" / "pages" / "segments-list.json"
REAL_PAGE = Path(__file__).resolve().parent / "data" / "segments-list.md"
REAL_PAGE_SHA256 = "302f260320eaff0d7900b7cb73d0d319bd34b2bee43cec227b9efe351f0317c5"  # of its OpenAPI block

sys.path.insert(0, str(REPO / "tools"))
import openapi_pages  # noqa: E402
import update_spec  # noqa: E402
from openapi_pages import PagesError, apply_patch, merge  # noqa: E402

Document = dict[str, Any]


def fixture(name: str) -> Document:
    text = (FIXTURE_PAGES / f"{name}.md").read_text(encoding="utf-8")
    return json.loads(update_spec.extract_document(text, f"{name}.md"))


def segments() -> Document:
    return json.loads(SEGMENTS.read_text(encoding="utf-8"))


def all_pages() -> dict[str, Document]:
    pages = {path.stem: fixture(path.stem) for path in sorted(FIXTURE_PAGES.glob("*.md"))}
    return {**pages, "segments-list": segments()}


PATCH = json.loads((REPO / "openapi" / "batch-api.patch.json").read_text(encoding="utf-8"))
ERROR = "/components/schemas/Error"


def with_version(document: Document, version: str) -> Document:
    document = copy.deepcopy(document)
    document["servers"][0]["variables"]["version"]["default"] = version
    return document


# -- the shipped tree ---------------------------------------------------------------------------------------


def test_the_shipped_tree_is_the_real_segments_page_byte_for_byte() -> None:
    block = update_spec.extract_document(REAL_PAGE.read_text(encoding="utf-8"), REAL_PAGE.name)
    assert hashlib.sha256(block.encode()).hexdigest() == REAL_PAGE_SHA256
    assert SEGMENTS.read_text(encoding="utf-8") == block + "\n"
    store = openapi_pages.load()
    assert list(store.pages) == ["segments-list"]
    assert store.pages["segments-list"].provenance == {
        "url": "https://doc.batch.com/developer/api/cep/segments/list.md",
        "extracted": "2026-11-26",
        "sha256": REAL_PAGE_SHA256,
    }


def test_one_page_merges_to_itself_exactly() -> None:
    merged = merge({"segments-list": segments()}, PATCH)
    assert json.dumps(merged.document) == json.dumps(segments())  # key order included
    assert merged.notes == []


# -- the rules ----------------------------------------------------------------------------------------------


def test_the_merge_of_every_page_validates_as_openapi_3_1_and_does_not_depend_on_order() -> None:
    pages = all_pages()
    merged = merge(pages, PATCH)
    assert openapi_pages.validate(apply_patch(merged.document, PATCH)) == "OpenAPI 3.1.0, valid"
    assert sorted(merged.document["paths"]) == sorted(path for page in pages.values() for path in page["paths"])
    text = json.dumps(merged.document)
    for seed in range(5):
        items = list(pages.items())
        random.Random(seed).shuffle(items)
        assert json.dumps(merge(dict(items), PATCH).document) == text


def test_paths_must_be_disjoint() -> None:
    other = fixture("audiences-list")
    other["paths"]["/segments/list"] = copy.deepcopy(segments()["paths"]["/segments/list"])
    with pytest.raises(PagesError, match=r"/paths/~1segments~1list is on two pages, audiences-list and segments-list"):
        merge({"segments-list": segments(), "audiences-list": other})


def test_identical_components_are_kept_once_and_sections_united() -> None:
    pages = {name: fixture(name) for name in ("audiences-list", "audiences-view", "exports-download")}
    components = merge(pages).document["components"]
    assert sorted(components["schemas"]) == ["Error", "oneAudience"]
    assert sorted(components["responses"]) == ["400", "401", "404", "429", "500", "503"]
    assert components["schemas"]["oneAudience"] == pages["audiences-view"]["components"]["schemas"]["oneAudience"]


def test_tags_are_united_by_name_in_order_of_first_appearance() -> None:
    pages = {"segments-list": segments(), "campaigns-delete": fixture("campaigns-delete")}
    pages |= {"audiences-list": fixture("audiences-list"), "audiences-view": fixture("audiences-view")}
    assert merge(pages).document["tags"] == [{"name": "Audiences"}, {"name": "Campaigns"}]


def test_the_servers_default_is_the_highest_version_and_the_merge_says_so() -> None:
    pages = {"a": with_version(segments(), "2.9"), "b": with_version(fixture("audiences-list"), "2.11")}
    pages["c"] = with_version(fixture("catalogs-list"), "2.10")  # "2.9" > "2.11" > "2.10" as strings
    merged = merge(pages)
    assert merged.document["servers"][0]["variables"]["version"]["default"] == "2.11"
    assert merged.notes == ["servers default version: 2.11, the highest of the pages' (2.9 on a; 2.10 on c)"]


def test_the_fixture_pages_at_2_10_do_not_lower_the_version() -> None:
    pages = {name: fixture(name) for name in ("audiences-create", "exports-download")}
    assert merge(pages).document["servers"][0]["variables"]["version"]["default"] == "2.10"
    merged = merge({**pages, "segments-list": segments()})
    assert merged.document["servers"][0]["variables"]["version"]["default"] == "2.11"
    assert merged.notes == [
        "servers default version: 2.11, the highest of the pages' (2.10 on audiences-create, exports-download)"
    ]


@pytest.mark.parametrize(
    ("edit", "pointer"),
    [
        (lambda d: d["servers"][0].update(url="https://api.batch.com/v{version}"), "/servers"),
        (lambda d: d["servers"][0]["variables"]["version"].update(default="latest"), "/servers/0/variables/version"),
        (lambda d: d["info"].update(title="Batch"), "/info/title"),
        (lambda d: d["security"].append({"other": []}), "/security"),
        (lambda d: d["tags"][0].update(description="Audiences"), "/tags"),
    ],
    ids=["server-url", "unorderable-version", "info-title", "security", "tag"],
)
def test_top_level_members_that_differ_conflict(edit: Any, pointer: str) -> None:
    page = fixture("audiences-view")
    edit(page)
    with pytest.raises(PagesError, match=pointer):
        merge({"audiences-list": fixture("audiences-list"), "audiences-view": page})


@pytest.mark.parametrize(
    ("section", "name", "edit"),
    [
        ("schemas", "Error", lambda c: c["properties"].update(request_id={"type": "string"})),
        ("schemas", "oneAudience", lambda c: c["properties"]["nb_ids"].update(type="string")),
        ("responses", "400", lambda c: c.update(description="Bad request")),
        ("parameters", "HeaderProjectKey", lambda c: c.update(required=False)),
        ("securitySchemes", "rest_key", lambda c: c.update(scheme="basic")),
    ],
)
def test_a_component_that_differs_fails_with_a_readable_diff(section: str, name: str, edit: Any) -> None:
    page = fixture("audiences-view")
    edit(page["components"][section][name])
    with pytest.raises(PagesError) as raised:
        merge({"audiences-list": fixture("audiences-list"), "audiences-view": page})
    message = str(raised.value)
    assert f"/components/{section}/{name} differs between pages audiences-list and audiences-view:" in message
    assert f"--- audiences-list: /components/{section}/{name}" in message
    assert f"+++ audiences-view: /components/{section}/{name}" in message
    assert "1 conflict)" in message


def test_json_equality_decides_what_is_identical() -> None:
    page = fixture("audiences-list")
    schema = page["components"]["schemas"]["Error"]
    page["components"]["schemas"]["Error"] = dict(reversed(schema.items()))  # member order does not count
    assert merge({"a": fixture("audiences-view"), "b": page}).document
    page["components"]["schemas"]["Error"] = {**schema, "deprecated": 1}
    other = fixture("audiences-view")
    other["components"]["schemas"]["Error"] = {**schema, "deprecated": True}  # Python says True == 1; JSON not
    with pytest.raises(PagesError, match=ERROR):
        merge({"a": other, "b": page})


def test_the_patch_resolves_a_conflict_by_writing_the_component() -> None:
    page = fixture("audiences-list")
    page["components"]["schemas"]["Error"]["properties"]["request_id"] = {"type": "string"}
    pages = {"segments-list": segments(), "audiences-list": page}
    resolution = [{"op": "replace", "path": ERROR, "value": page["components"]["schemas"]["Error"]}]
    merged = merge(pages, PATCH + resolution)
    assert merged.notes == [
        f"{ERROR} differs between pages audiences-list and segments-list: patch operation #8 decides it"
    ]
    patched = apply_patch(merged.document, PATCH + resolution)
    assert "request_id" in patched["components"]["schemas"]["Error"]["properties"]


def test_a_patch_edit_inside_a_component_does_not_resolve_its_conflict() -> None:
    page = fixture("audiences-list")
    page["components"]["schemas"]["Error"]["properties"]["request_id"] = {"type": "string"}
    inside = [{"op": "add", "path": f"{ERROR}/properties/request_id", "value": {"type": "string"}}]
    with pytest.raises(PagesError, match=ERROR):
        merge({"segments-list": segments(), "audiences-list": page}, inside)


# -- the patch and the stored pages -------------------------------------------------------------------------


def test_a_failing_patch_operation_is_named_with_what_the_document_holds() -> None:
    document = segments()
    del document["paths"]["/segments/list"]["get"]["parameters"][2]  # `limit`, which the patch corrects
    with pytest.raises(PagesError) as raised:
        apply_patch(document, PATCH)
    assert str(raised.value).splitlines()[:3] == [
        f"batch-api.patch.json no longer applies: operation #5 of {len(PATCH)} fails:",
        f"    {json.dumps(PATCH[4])}",
        "    the document has no '2' at /paths/~1segments~1list/get/parameters (it has: a list of 2)",
    ]
    document = segments()
    document["paths"]["/segments/list"]["get"]["parameters"][2]["name"] = "size"
    with pytest.raises(PagesError, match=r'operation #5 .*\n.*\n    the document holds "size" there'):
        apply_patch(document, PATCH)


@pytest.fixture
def openapi_copy(tmp_path: Path) -> Path:
    folder = tmp_path / "openapi"
    shutil.copytree(REPO / "openapi", folder)
    return folder


def test_a_page_edited_by_hand_is_refused(openapi_copy: Path) -> None:
    page = openapi_copy / "pages" / "segments-list.json"
    page.write_text(page.read_text(encoding="utf-8").replace('"2.11"', '"2.12"'), encoding="utf-8")
    with pytest.raises(PagesError, match="segments-list.json is not the page its provenance describes"):
        openapi_pages.load(openapi_copy)


def test_pages_and_their_provenance_must_match(openapi_copy: Path) -> None:
    shutil.copy2(openapi_copy / "pages" / "segments-list.json", openapi_copy / "pages" / "copy.json")
    with pytest.raises(PagesError, match="copy.json not in pages.json"):
        openapi_pages.load(openapi_copy)
    (openapi_copy / "pages" / "copy.json").unlink()
    (openapi_copy / "pages" / "segments-list.json").unlink()
    with pytest.raises(PagesError, match="pages.json lists segments-list, missing from"):
        openapi_pages.load(openapi_copy)


def test_page_names_come_from_the_first_path() -> None:
    assert openapi_pages.page_name(segments()) == "segments-list"
    assert openapi_pages.page_name({"paths": {"/catalogs/items/edit": {}, "/a/{id}": {}}}) == "a-id"


# -- whole documents ----------------------------------------------------------------------------------------
# Built here from the fixture pages (our reconstructions, test data), stored as openapi/update-spec would.


def store_whole(folder: Path, file: str, data: bytes, *, drop_segments: bool = False) -> None:
    """Put a whole document in folder/pages with its provenance, as update-spec stores one."""
    (folder / "pages" / file).write_bytes(data)
    records = json.loads((folder / "pages.json").read_text(encoding="utf-8"))
    if drop_segments:
        (folder / "pages" / "segments-list.json").unlink()
        del records["segments-list"]
    name = Path(file).stem
    records[name] = {"url": None, "file": file, "extracted": "2026-12-01", "sha256": hashlib.sha256(data).hexdigest()}
    (folder / "pages.json").write_text(json.dumps(records, indent=2) + "\n", encoding="utf-8")


def with_yaml_traps(document: Document) -> Document:
    """The document with values YAML 1.1 would misread, were they left unquoted."""
    document = copy.deepcopy(document)
    document["info"]["x-released"] = "2026-11-26"
    schema = document["components"]["schemas"]["oneAudience"]["properties"]["indexing_state"]
    schema["x-switch"] = ["on", "off", "yes", "NO"]
    return document


def unquoted(text: str) -> str:
    for value in ("2026-11-26", "on", "off", "yes", "NO"):
        text = text.replace(f"'{value}'", value)
    return text


def test_a_yaml_document_gives_what_the_same_document_in_json_gives(tmp_path: Path) -> None:
    import yaml

    document = with_yaml_traps(merge(all_pages()).document)
    text = unquoted(yaml.safe_dump(document, sort_keys=False))
    assert "x-released: 2026-11-26\n" in text
    assert "- on\n" in text
    sources = {}
    as_json = "\ufeff" + json.dumps(document)  # a byte order mark, which a JSON parser refuses, is not the document's
    for file, data in [("batch-api.yaml", text.encode()), ("batch-api.json", as_json.encode())]:
        folder = tmp_path / file
        shutil.copytree(REPO / "openapi", folder)
        store_whole(folder, file, data, drop_segments=True)
        store = openapi_pages.load(folder)
        assert list(store.pages) == ["batch-api"]
        assert store.pages["batch-api"].whole
        sources[file] = openapi_pages.source_document(store)
    from_yaml, from_json = sources["batch-api.yaml"], sources["batch-api.json"]
    assert json.dumps(from_yaml.document) == json.dumps(from_json.document)  # key order and JSON types included
    assert from_yaml.document["info"]["x-released"] == "2026-11-26"


def test_a_whole_document_is_checked_byte_for_byte(openapi_copy: Path) -> None:
    document = merge({"audiences-view": fixture("audiences-view")}).document
    data = b"# our reconstruction\r\n" + json.dumps(document, indent=1).replace("\n", "\r\n").encode()
    store_whole(openapi_copy, "audiences.yaml", data)
    page = openapi_pages.load(openapi_copy).pages["audiences"]
    assert (page.whole, page.file, page.operations) == (True, "audiences.yaml", ["GET /audiences/view"])
    assert page.text.encode() == data  # line endings included
    (openapi_copy / "pages" / "audiences.yaml").write_bytes(data.replace(b"\r\n", b"\n"))  # the same YAML
    with pytest.raises(PagesError, match="audiences.yaml is not the page its provenance describes"):
        openapi_pages.load(openapi_copy)


def test_a_whole_document_file_must_carry_its_name(openapi_copy: Path) -> None:
    store_whole(openapi_copy, "batch-api.yaml", b"openapi: 3.1.0\n")
    shutil.copy2(openapi_copy / "pages" / "batch-api.yaml", openapi_copy / "pages" / "batch-api.json")
    with pytest.raises(PagesError, match=r"batch-api.json not in pages.json"):
        openapi_pages.load(openapi_copy)
    (openapi_copy / "pages" / "batch-api.json").unlink()
    records = json.loads((openapi_copy / "pages.json").read_text(encoding="utf-8"))
    records["batch-api"]["file"] = "../elsewhere.yaml"
    (openapi_copy / "pages.json").write_text(json.dumps(records), encoding="utf-8")
    with pytest.raises(PagesError, match=r"batch-api's file is '../elsewhere.yaml'; it must be batch-api.json, .yaml"):
        openapi_pages.load(openapi_copy)


def test_a_stored_yaml_document_json_cannot_hold_is_refused_with_the_line(openapi_copy: Path) -> None:
    store_whole(openapi_copy, "batch-api.yaml", b"openapi: 3.1.0\ninfo: {released: !!timestamp 2026-11-26}\n")
    with pytest.raises(PagesError, match=r"batch-api.yaml is not a JSON-compatible YAML document: line 2, column"):
        openapi_pages.load(openapi_copy)
