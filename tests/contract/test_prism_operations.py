"""Every fixture operation through the real client against Stoplight Prism serving the merged document.

The package is regenerated from the shipped pages plus every fixture page (tests/fixtures/regen.py), Prism
serves that package's openapi.json (the merged, patched document the client was generated from), and
checks/check_prism_operations.py runs in a subprocess importing that package: each operation is called, sync and
async, with valid arguments, and Prism must find nothing wrong with the request (no `sl-violations` header) and
answer a documented success that the client parses into the operation's result type. The negative control sends
a request the document does not allow, to show that Prism's validation is on and the check would see it.
"""

from __future__ import annotations

import re

import pytest
from conftest import prism_problem, run_prism, setup
from fixtures.regen import regenerated, run_checks

pytestmark = pytest.mark.timeout(300)

CHECK = "tests/contract/checks/check_prism_operations.py"


@pytest.fixture(scope="module")
def prism_for_operations(tmp_path_factory):
    problem = prism_problem()
    if problem is not None:
        if setup.in_ci():
            pytest.fail(f"CI=true and the contract check cannot run: {problem}", pytrace=False)
        pytest.skip(f"CONTRACT CHECKS SKIPPED: {problem}")
    package_root = regenerated()
    document = package_root / "batch_rest_generated" / "openapi.json"
    with run_prism("operations", document, tmp_path_factory.mktemp("prism-operations")) as prism:
        yield package_root, prism


def test_every_operation_passes_prism_request_validation(prism_for_operations, tmp_path):
    package_root, prism = prism_for_operations
    returncode, output = run_checks(package_root, [CHECK], tmp_path, timeout=240, env={"PRISM_URL": prism.url})
    assert returncode == 0, f"{output}\nPrism's log:\n{prism.output()}"
    passed = re.search(r"\b(\d+) passed\b", output)
    assert passed, output
    assert int(passed[1]) >= 20, output  # 11 operations, sync and async, and the negative control
