"""The unit tests' shared fixture: most of them run once per client."""

import pytest


@pytest.fixture(params=["sync", "async"])
def kind(request):
    """Which client a test drives: they share one plan and differ only in I/O, so both must behave the same."""
    return request.param
