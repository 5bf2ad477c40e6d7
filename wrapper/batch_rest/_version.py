"""The client's version, in a module of its own that imports nothing: `batch-rest --version` reads it without
loading httpx (test_wheel.py checks it against pyproject.toml)."""

__version__ = "0.2.0"
