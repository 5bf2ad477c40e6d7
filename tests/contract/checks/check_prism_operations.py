"""Run by tests/contract/test_prism_operations.py, in a subprocess importing the regenerated package, with
PRISM_URL pointing at Prism serving that package's document."""

from __future__ import annotations

import asyncio
import json
import os

import httpx
import pytest
from fixtures.calls import call

import batch_rest
from batch_rest import _seam
from batch_rest.testing._samples import Samples

PRISM_URL = os.environ.get("PRISM_URL", "")
KEY, PROJECT = "contract-test-key", "contract-test-project"
SAMPLES = Samples(_seam.document(), seed=3)
OPERATIONS = sorted(_seam.OPERATIONS)

pytestmark = pytest.mark.skipif(not PRISM_URL, reason="run by tests/contract/test_prism_operations.py")


def expected(name: str, result: object) -> bool:
    facts = _seam.OPERATIONS[name]
    if facts["paging"]:
        return isinstance(result, batch_rest.Page)
    kinds = {r["kind"] for r in facts["results"].values()}
    models = tuple(r.model for r in _seam.operation(name).results.values() if r.model is not None)
    return (
        ("none" in kinds and result is None)
        or ("location" in kinds and isinstance(result, str))
        or isinstance(result, models)
    )


@pytest.mark.parametrize("name", OPERATIONS)
@pytest.mark.parametrize("kind", ["sync", "async"])
def test_the_request_is_valid_and_the_answer_parses(kind, name):
    if kind == "sync":
        with batch_rest.BatchClient(KEY, PROJECT, base_url=PRISM_URL, max_retries=0) as client:
            raw = call(client, name, SAMPLES, raw=True)
    else:

        async def main():
            async with batch_rest.AsyncBatchClient(KEY, PROJECT, base_url=PRISM_URL, max_retries=0) as client:
                return await call(client, name, SAMPLES, raw=True)

        raw = asyncio.run(main())
    # Prism reports violations of the request and of its own response; the response ones are the document's
    # (exports/view requires `requested_at`, which it never describes: Prism's own answer cannot have it).
    violations = json.loads(raw.headers.get("sl-violations", "[]"))
    assert [v for v in violations if v["location"][0] == "request"] == [], violations
    assert str(raw.status_code) in _seam.OPERATIONS[name]["results"], raw.status_code
    result = raw.parse()
    assert expected(name, result), (name, result)


def test_the_negative_control_prism_sees_a_request_the_document_refuses():
    name = next(n for n in OPERATIONS if _seam.OPERATIONS[n]["body"] and _seam.OPERATIONS[n]["method"] == "POST")
    path = PRISM_URL + _seam.OPERATIONS[name]["path"]
    response = httpx.post(path, json={"unexpected": [1, 2]}, headers={"Authorization": f"Bearer {KEY}",
                          "X-Batch-Project": PROJECT}, trust_env=False)  # fmt: skip
    assert response.status_code in {400, 422} or "sl-violations" in response.headers, response.text
