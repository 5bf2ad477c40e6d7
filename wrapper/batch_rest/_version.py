"""The client's version, in a module of its own that imports nothing: `batch-rest --version` reads it without
loading httpx (batch_rest._client, which imports httpx, holds the same string: test_cli_unit.py checks that the
two and pyproject.toml agree)."""

__version__ = "0.2.0"
