"""Shared by the check modules, which tests/operations/test_operations.py runs in a subprocess against a package
regenerated from the shipped pages plus fixture pages (tests/fixtures/regen.py).

Every run first proves that the package under test is the regenerated one and that the wrapper comes from the
repository's sources, unedited. A check about one operation is collected only when the package has it
(`@needs("profiles_update")`): each fixture page is also regenerated alone with the shipped pages.
"""

from __future__ import annotations

import asyncio
import json
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest
from fixtures.checks import _no_environment_overrides, _regenerated_package_is_under_test, kind

import batch_rest
from batch_rest import _seam

__all__ = ["_no_environment_overrides", "_regenerated_package_is_under_test", "kind"]

KEY, PROJECT = "sk-operations-5e1d0a", "proj-operations"


def needs(*operations: str) -> Callable[[Any], Any]:
    """Keep the decorated test only when the package under test has these operations (else: not collected).

    The operations are recorded on the test, and the run reports which operations its tests exercised
    (pytest_collection_finish), so that test_operations.py can tell that each page's checks really ran.
    """

    def decorate(test: Any) -> Any:
        if not all(name in _seam.OPERATIONS for name in operations):
            return None
        test.operations = operations
        return test

    return decorate


def pytest_collection_finish(session: pytest.Session) -> None:
    report = os.environ.get("BATCH_OPERATIONS_REPORT")
    if report:
        exercised = {op for item in session.items for op in getattr(getattr(item, "function", None), "operations", ())}
        Path(report).write_text(json.dumps(sorted(exercised)), encoding="utf-8")


class Scripted:
    """An httpx MockTransport handler: answers (responses, exceptions, or callables of the request) in order,
    the last one repeated; records every request."""

    def __init__(self, *answers: Any) -> None:
        self.answers = list(answers)
        self.requests: list[httpx.Request] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        answer = self.answers.pop(0) if len(self.answers) > 1 else self.answers[0]
        if isinstance(answer, Exception):
            raise answer
        return answer(request) if callable(answer) else answer


class Clients:
    """Runs a call on the sync or the async client, over a Scripted transport, sleeping nowhere."""

    def __init__(self, kind: str) -> None:
        self.kind = kind
        self.sleeps: list[float] = []

    def client(self, script: Scripted, **kwargs: Any) -> Any:
        transport = httpx.MockTransport(script)
        if self.kind == "sync":
            client = batch_rest.BatchClient(KEY, PROJECT, http_client=httpx.Client(transport=transport), **kwargs)
            client._sleep = self.sleeps.append
        else:
            http = httpx.AsyncClient(transport=transport)
            client = batch_rest.AsyncBatchClient(KEY, PROJECT, http_client=http, **kwargs)

            async def record(seconds: float) -> None:
                self.sleeps.append(seconds)

            client._sleep = record
        client._random = lambda: 0.0
        return client

    def run(self, script: Scripted, call: Callable[[Any], Any], **kwargs: Any) -> Any:
        """`call(client)`'s result: awaited for the async client, and a pager drained into a list."""
        client = self.client(script, **kwargs)
        if self.kind == "sync":
            result = call(client)
            return list(result) if isinstance(result, batch_rest.Pager) else result

        async def main() -> Any:
            result = call(client)
            if isinstance(result, batch_rest.AsyncPager):
                return [item async for item in result]
            return await result

        return asyncio.run(main())


@pytest.fixture
def clients(kind):
    return Clients(kind)


def json_response(status: int, body: Any = None, **headers: str) -> httpx.Response:
    return (
        httpx.Response(status, json=body, headers=headers)
        if body is not None
        else httpx.Response(status, headers=headers)
    )


def batch_error(status: int, code: str = "ERR", message: str = "went wrong") -> httpx.Response:
    return httpx.Response(status, json={"error_code": code, "error_message": message})
