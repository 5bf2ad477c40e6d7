"""tools/update_spec.py (`make update-spec SOURCE=...`), run on a temporary copy of the repository's files.

data/segments-list.md is Batch's docs page for GET /segments/list as fetched on 2026-11-26
(https://doc.batch.com/developer/api/cep/segments/list.md): its OpenAPI block, two other fenced blocks (a
response example, an HTTP snippet) and prose. `page_with` swaps in another document, so that the tests feed
the tool a realistic page whatever the committed document is.
"""

from __future__ import annotations

import hashlib
import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from mutations import new_item_field, new_list_endpoint, version_bump

REPO = Path(__file__).resolve().parents[2]
PAGE = Path(__file__).resolve().parent / "data" / "segments-list.md"
PAGE_SHA256 = "302f260320eaff0d7900b7cb73d0d319bd34b2bee43cec227b9efe351f0317c5"  # of its OpenAPI block

pytestmark = pytest.mark.timeout(120)

sys.path.insert(0, str(REPO / "tools"))
import update_spec  # noqa: E402


@pytest.fixture
def repo(tmp_path):
    """The files update_spec reads and writes, copied: tools/, generator-config.yaml, openapi/, generated/."""
    root = tmp_path / "repo"
    (root / "tools").mkdir(parents=True)
    for name in ("generate.py", "update_spec.py"):
        shutil.copy2(REPO / "tools" / name, root / "tools" / name)
    shutil.copy2(REPO / "generator-config.yaml", root)
    shutil.copytree(REPO / "openapi", root / "openapi")
    shutil.copytree(
        REPO / "generated" / "batch_rest_generated",
        root / "generated" / "batch_rest_generated",
        ignore=shutil.ignore_patterns("__pycache__"),
    )
    return root


def snapshot(root):
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def run(root, source):
    return subprocess.run(
        [sys.executable, str(root / "tools" / "update_spec.py"), str(source)],
        cwd=root,
        capture_output=True,
        text=True,
        timeout=100,
        check=False,
    )


def committed_text():
    return (REPO / "openapi" / "batch-api.upstream.json").read_text(encoding="utf-8").rstrip("\n")


def page_with(document_text):
    """The docs page with `document_text` in place of its OpenAPI block."""
    page = PAGE.read_text(encoding="utf-8")
    (original,) = [b for _, b in update_spec.fenced_blocks(page) if '"openapi"' in b]
    return page.replace(original, document_text)


def compact(document):
    return json.dumps(document, separators=(",", ":"), ensure_ascii=False)


def changes(stdout):
    lines = stdout.splitlines()
    return [line.strip() for line in lines[lines.index("changes:") + 1 :] if line.startswith("  ")]


def test_the_page_block_is_extracted_verbatim():
    text = update_spec.extract_document(PAGE.read_text(encoding="utf-8"), PAGE.name)
    assert hashlib.sha256(text.encode()).hexdigest() == PAGE_SHA256
    assert json.loads(text)["openapi"] == "3.1.0"


def test_the_page_of_the_committed_document_gives_no_changes(repo, tmp_path):
    source = tmp_path / "list.md"
    source.write_text(page_with(committed_text()), encoding="utf-8")
    before = snapshot(repo)
    result = run(repo, source)
    assert result.returncode == 0, result.stderr
    assert "no changes" in result.stdout
    assert "\nchanges:" not in result.stdout
    assert snapshot(repo) == before


def test_a_bumped_version_and_a_new_field_are_reported_exactly(repo, tmp_path):
    document = json.loads(committed_text())
    version_bump(document)
    new_item_field(document)
    text = compact(document)
    source = tmp_path / "list.md"
    source.write_text(page_with(text), encoding="utf-8")
    result = run(repo, source)
    assert result.returncode == 0, result.stdout + result.stderr
    assert changes(result.stdout) == [
        "servers default version: 2.11 -> 2.12",
        "info.version: 2.9 -> 2.10",
        "model OneSegment: + audience_size: int | Unset",
        "generated files changed: _server.py, models/one_segment.py",
    ]
    assert "add a CHANGELOG.md entry" in result.stdout
    # the page's block, verbatim, plus a newline; the provenance follows it; generated/ is what make generate writes
    assert (repo / "openapi" / "batch-api.upstream.json").read_text(encoding="utf-8") == text + "\n"
    assert hashlib.sha256(text.encode()).hexdigest() in (repo / "openapi" / "README.md").read_text(encoding="utf-8")
    check = subprocess.run(
        [sys.executable, str(repo / "tools" / "generate.py"), "--check"],
        capture_output=True,
        text=True,
        timeout=100,
        check=False,
    )
    assert check.returncode == 0, check.stdout + check.stderr


def test_a_json_file_with_a_new_endpoint(repo, tmp_path):
    document = json.loads(committed_text())
    new_list_endpoint(document)
    source = tmp_path / "batch.json"
    source.write_text(json.dumps(document, indent=2), encoding="utf-8")
    result = run(repo, source)
    assert result.returncode == 0, result.stdout + result.stderr
    summary = changes(result.stdout)
    assert "operations added: audiences/audiences_list" in summary
    assert "models added: AudiencesListResponse200, OneAudience" in summary
    assert "servers default version: 2.11 (unchanged)" in summary
    assert not any(line.startswith(("model OneSegment", "operation segments/")) for line in summary)
    assert (repo / "generated" / "batch_rest_generated" / "api" / "audiences" / "audiences_list.py").exists()


def test_when_the_patch_no_longer_applies_nothing_changes(repo, tmp_path):
    document = json.loads(committed_text())
    del document["paths"]["/segments/list"]["get"]["parameters"][2]  # `limit`, which the patch corrects
    source = tmp_path / "batch.json"
    source.write_text(compact(document), encoding="utf-8")
    before = snapshot(repo)
    result = run(repo, source)
    assert result.returncode == 1
    assert "batch-api.patch.json no longer applies" in result.stderr
    assert "still holds the previous document" in result.stderr
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
def test_pages_without_one_openapi_document_are_refused(repo, tmp_path, page, message):
    source = tmp_path / "page.md"
    source.write_text(page, encoding="utf-8")
    before = snapshot(repo)
    result = run(repo, source)
    assert result.returncode == 1
    assert message in result.stderr
    assert snapshot(repo) == before


def test_fenced_blocks_follow_markdown_rules():
    text = "````json\n{\n```\n}\n````\n  ~~~ json\n  [1]\n  ~~~\n```\nunclosed"
    assert update_spec.fenced_blocks(text) == [("json", "{\n```\n}"), ("json", "[1]"), ("", "unclosed")]
