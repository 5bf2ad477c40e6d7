"""openapi/limits.json, the facts Batch documents in prose only, and what `make generate` makes of them
(tools/emit_layer.py: each operation's `bulk` and `limits` facts in _operations.py).

Generated from the shipped pages plus fixture pages (tests/fixtures/pages: our reconstructions, test data), by the
same tools/generate.py as `make generate`.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
LIMITS = REPO / "openapi" / "limits.json"
sys.path.insert(0, str(REPO / "tests"))
sys.path.insert(0, str(REPO / "tools"))
from emit_layer import EmitError, read_limits  # noqa: E402
from fixtures.regen import FIXTURE_PAGES, page_document, regenerated  # noqa: E402


def operations(package_root: Path) -> dict[str, dict]:
    code = "import json, batch_rest_generated._operations as o; print(json.dumps(o.OPERATIONS))"
    result = subprocess.run(
        [sys.executable, "-c", code], env={"PYTHONPATH": str(package_root)}, capture_output=True, text=True, check=True
    )
    return json.loads(result.stdout)


def test_every_fact_of_the_shipped_file_names_its_page_and_quote():
    data = json.loads(LIMITS.read_text(encoding="utf-8"))
    facts = [fact for path, entry in data.items() if not path.startswith("$") for fact in entry.values()]
    assert facts
    for fact in facts:
        assert fact["page"].startswith("https://doc.batch.com/developer/api/cep/"), fact
        assert fact["quote"].strip(), fact


def test_the_documented_chunking_and_rates_reach_the_generated_operations():
    found = operations(regenerated(FIXTURE_PAGES))
    assert found["profiles_update"]["bulk"] == {
        "array": None,
        "item_schema": "#/components/schemas/EditProfile",
        "item_models": ["models.edit_profile:EditProfile"],
        "max_items": 200,
        "body_required": [],
    }
    assert found["profiles_update"]["limits"] == {
        "items_per_second": 300,
        "items_burst": 1000,
        "requests_per_second": None,
        "requests_burst": None,
    }
    assert (
        found["profiles_mass_update"]["bulk"]["max_items"],
        found["profiles_mass_update"]["limits"]["items_per_second"],
    ) == (10000, 10000)
    assert found["catalogs_items_edit"]["bulk"]["array"] == "items"
    assert found["catalogs_items_edit"]["bulk"]["body_required"] == ["name"]  # its bulk method requires body=
    assert found["catalogs_items_edit"]["bulk"]["max_items"] == 200
    assert found["catalogs_items_edit"]["limits"]["requests_per_second"] == 5
    assert (found["audiences_update"]["bulk"]["array"], found["audiences_update"]["limits"]) == ("ids", None)
    # Every call of /audiences/replace replaces the whole audience: never chunked, whatever its maxItems.
    assert found["audiences_replace"]["bulk"] is None
    assert found["catalogs_list"]["bulk"] is None
    assert found["catalogs_list"]["limits"]["requests_per_second"] == 5
    assert all(found[name]["bulk"] is None for name in ("audiences_create", "profiles_export", "segments_list"))


def test_paths_the_document_lacks_are_ignored():
    shipped = operations(REPO / "generated")
    assert list(shipped) == ["segments_list"]
    assert (shipped["segments_list"]["bulk"], shipped["segments_list"]["limits"]) == (None, None)


@pytest.mark.parametrize(
    ("entry", "message"),
    [
        ({"split": {"along": "body", "page": "p"}}, "split needs 'along', 'page' and 'quote'"),
        ({"items_per_secnd": {"value": 3, "page": "p", "quote": "q"}}, "unknown fact 'items_per_secnd'"),
        ({"items_per_second": {"value": -1, "page": "p", "quote": "q"}}, "items_per_second value -1 is not valid"),
        ({"items_burst": {"value": True, "page": "p", "quote": "q"}}, "items_burst value True is not valid"),
        ({"split": {"along": "", "page": "p", "quote": "q"}}, "split along '' is not valid"),
    ],
)
def test_a_malformed_fact_is_refused_by_name(tmp_path, entry, message):
    path = tmp_path / "limits.json"
    path.write_text(json.dumps({"/profiles/update": entry}), encoding="utf-8")
    with pytest.raises(EmitError, match=message):
        read_limits(path)


@pytest.mark.parametrize(
    ("along", "message"),
    [
        ("edits", "is split along 'edits', but the body is not one object with that property"),
        ("name", "is split along 'name', but that is not an array"),
    ],
)
def test_generation_refuses_a_split_the_document_cannot_take(tmp_path, along, message):
    limits = tmp_path / "limits.json"
    limits.write_text(
        json.dumps({"/audiences/update": {"split": {"along": along, "page": "p", "quote": "q"}}}), encoding="utf-8"
    )
    page = tmp_path / "audiences-update.json"
    page.write_text(page_document("audiences-update") + "\n", encoding="utf-8")
    command = [sys.executable, str(REPO / "tools" / "generate.py"), "--output", str(tmp_path / "out")]
    command += ["--page", str(REPO / "openapi" / "pages" / "segments-list.json"), "--page", str(page)]
    result = subprocess.run([*command, "--limits", str(limits)], cwd=REPO, capture_output=True, text=True, check=False)
    assert result.returncode != 0
    assert message in result.stderr
    assert not (tmp_path / "out").exists()
