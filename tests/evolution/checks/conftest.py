"""Shared by the check modules (run by tests/evolution/test_spec_evolution.py in a subprocess).

Every check run first proves that the package under test is the regenerated one and that the wrapper comes
from the repository's sources, unmodified: otherwise a check could pass against the committed package.
"""

import os
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[3]


@pytest.fixture(autouse=True, scope="session")
def _regenerated_package_is_under_test():
    expected = os.environ.get("BATCH_EVOLUTION_PACKAGE")
    if expected is None:
        pytest.skip("check modules run through tests/evolution/test_spec_evolution.py (BATCH_EVOLUTION_PACKAGE)")
    import batch_rest
    import batch_rest_generated

    assert Path(batch_rest_generated.__file__).resolve().is_relative_to(Path(expected).resolve())
    assert Path(batch_rest.__file__).resolve().is_relative_to(REPO / "wrapper")


@pytest.fixture(autouse=True)
def _no_environment_overrides(monkeypatch):
    for name in ("BATCH_API_VERSION", "BATCH_BASE_URL", "BATCH_REST_LOG"):
        monkeypatch.delenv(name, raising=False)


@pytest.fixture(params=["sync", "async"])
def kind(request):
    return request.param
