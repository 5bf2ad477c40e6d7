"""Test helpers: a fake Batch API over real HTTP on loopback, and a pytest plugin with fixtures for it.

    from batch_rest.testing import FakeBatchServer, Fault, RateLimit

The names load on first use, so that the pytest plugin (`batch_rest.testing.pytest_plugin`, loaded in every
pytest session where the package is installed) does not import the server before a test asks for it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from ._server import DEMO_API_KEY, DEMO_PROJECT_KEY, FakeBatchServer, Fault, RateLimit, RecordedRequest

__all__ = ["DEMO_API_KEY", "DEMO_PROJECT_KEY", "FakeBatchServer", "Fault", "RateLimit", "RecordedRequest"]


def __getattr__(name: str) -> object:
    if name in __all__:
        from . import _server  # noqa: PLC0415 - see the docstring

        return getattr(_server, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
