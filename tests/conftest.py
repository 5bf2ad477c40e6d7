"""Shared test setup.

The fake-server fixtures (batch_server, batch_client, async_batch_client) come from the package's pytest plugin,
which pytest loads through the `pytest11` entry point when the package is installed. The spec-evolution runs
import the package from a folder instead, so the plugin is loaded here in that case.
"""

import importlib.metadata
import importlib.util
import os
import tempfile

# Hypothesis keeps state in ./.hypothesis unless told otherwise; the work tree stays clean.
os.environ.setdefault("HYPOTHESIS_STORAGE_DIRECTORY", os.path.join(tempfile.gettempdir(), "batch-rest-hypothesis"))

from hypothesis import settings

# Where the package is not importable at all (tests/packaging only drives builds and virtualenvs in subprocesses),
# there is no plugin to load.
if importlib.util.find_spec("batch_rest") is not None and not any(
    ep.name == "batch_rest" for ep in importlib.metadata.entry_points(group="pytest11")
):
    pytest_plugins = ["batch_rest.testing.pytest_plugin"]

# No example database on disk: CI starts from a clean clone, and nothing should be left in the work tree.
settings.register_profile("default", database=None, deadline=None)
settings.load_profile("default")
