"""Shared by the bulk checks (check_bulk*.py): items of each chunkable fixture operation, a thread-safe scripted
server for httpx.MockTransport, clients on a fake clock, and what every bulk result must satisfy."""

from __future__ import annotations

import asyncio
import json
import threading
from collections import Counter
from collections.abc import AsyncIterator, Callable, Iterable
from typing import Any

import httpx
import pytest
from conftest import KEY, PROJECT

import batch_rest
from batch_rest import _seam
from batch_rest.testing._samples import Samples

OPERATIONS = _seam.OPERATIONS
BULK = sorted(name for name, facts in OPERATIONS.items() if facts["bulk"])
SAMPLES = Samples(_seam.document(), seed=5)

# A valid item per chunkable fixture operation, unique by index; an invalid one, and what its error says.
_ITEMS: dict[str, Callable[[int], dict[str, Any]]] = {
    "profiles_update": lambda i: {"identifiers": {"custom_id": f"u-{i}"}, "attributes": {"n": i}},
    "profiles_mass_update": lambda i: {"identifiers": {"custom_id": f"u-{i}"}, "attributes": {"n": i}},
    "catalogs_items_edit": lambda i: {"id": f"sku-{i}", "action": "upsert", "attributes": {"n": i}},
    "audiences_update": lambda i: {"id": f"u-{i}", "action": "add"},
}
_BAD: dict[str, tuple[dict[str, Any], type[Exception], str]] = {
    "profiles_update": ({"identifiers": {"custom_id": 7}}, TypeError, "identifiers.custom_id: must be string"),
    "profiles_mass_update": ({"identifiers": {}}, ValueError, "identifiers: the required property 'custom_id'"),
    "catalogs_items_edit": ({"id": "x", "action": "explode"}, ValueError, "action: must be one of"),
    "audiences_update": ({"action": "add"}, ValueError, "the required property 'id' is missing"),
}
BODIES: dict[str, dict[str, Any]] = {"catalogs_items_edit": {"name": "shop"}, "audiences_update": {"name": "vip"}}


def each(names: list[str]) -> Callable[[Any], Any]:
    """Parametrize a test over `names` (as `name`); not collected at all where there are none (a package without
    chunkable operations), rather than skipped. The names are recorded as the operations the test exercises."""

    def decorate(test: Any) -> Any:
        if not names:
            return None
        test.operations = tuple(names)
        return pytest.mark.parametrize("name", names)(test)

    return decorate


def any_bulk(test: Any) -> Any:
    """Collect `test` only where the package has a chunkable operation (it draws one of BULK itself)."""
    if not BULK:
        return None
    test.operations = tuple(BULK)
    return test


def item(name: str, index: int) -> dict[str, Any]:
    assert name in _ITEMS, f"a new chunkable fixture operation: give {name} its items in _bulk_support.py"
    return _ITEMS[name](index)


def bad_item(name: str) -> tuple[dict[str, Any], type[Exception], str]:
    return _BAD[name]


def key(value: Any) -> str:
    return json.dumps(value, sort_keys=True)


def array_of(name: str) -> str | None:
    return OPERATIONS[name]["bulk"]["array"]


def items_of(name: str, body: Any) -> list[Any]:
    """The items of a request body of `name`."""
    array = array_of(name)
    return body if array is None else body[array]


def success(name: str) -> httpx.Response:
    status = min(int(s) for s in OPERATIONS[name]["results"])
    schema = OPERATIONS[name]["results"][str(status)]["schema"]
    return httpx.Response(status, json=SAMPLES.value(schema) if schema else None)


def error(status: int, **headers: str) -> httpx.Response:
    return httpx.Response(status, json={"error_code": "ERR", "error_message": "went wrong"}, headers=headers)


def bulk_method(client: Any, name: str) -> Any:
    facts = OPERATIONS[name]
    return getattr(getattr(client, facts["resource"]), f"bulk_{facts['action']}")


def result_model(name: str) -> type:
    status = min(int(s) for s in OPERATIONS[name]["results"])
    return _seam._import(OPERATIONS[name]["results"][str(status)]["model"])  # type: ignore[no-any-return]


class Server:
    """A thread-safe MockTransport handler. `decide(number, items)` (number: 1 for the first request) gives the
    answer: an httpx.Response or an exception to raise. Every request is recorded with its items and answer."""

    def __init__(self, name: str, decide: Callable[[int, list[Any]], Any] | None = None) -> None:
        self.name, self._lock = name, threading.Lock()
        self.decide = decide or (lambda number, items: success(name))
        self.calls: list[tuple[list[Any], Any, dict[str, Any]]] = []  # (items, answer, the body's other fields)

    def __call__(self, request: httpx.Request) -> httpx.Response:
        body = json.loads(request.content)
        items = items_of(self.name, body)
        rest = {} if array_of(self.name) is None else {k: v for k, v in body.items() if k != array_of(self.name)}
        with self._lock:
            number = len(self.calls) + 1
            answer = self.decide(number, items)
            self.calls.append((items, answer, rest))
        if isinstance(answer, Exception):
            raise answer
        return answer  # type: ignore[no-any-return]

    def arrived(self, accepted_only: bool = True) -> Counter[str]:
        """How many times each item arrived in a request answered with a parseable success (or in any request)."""
        found: Counter[str] = Counter()
        for items, answer, _ in self.calls:
            if not accepted_only or (isinstance(answer, httpx.Response) and answer.is_success):
                found.update(key(i) for i in items)
        return found


class FakeTime:
    """The clock of a bulk call, advanced only by its sleeps: pacing and backoffs cost no real time."""

    def __init__(self) -> None:
        self.now = 1000.0
        self.slept: list[float] = []

    def clock(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds

    async def async_sleep(self, seconds: float) -> None:
        self.sleep(seconds)


def client(kind: str, server: Server, time: FakeTime | None = None, **kwargs: Any) -> Any:
    """A BatchClient or AsyncBatchClient over `server`; on a fake clock when `time` is given."""
    transport = httpx.MockTransport(server)
    if kind == "sync":
        made: Any = batch_rest.BatchClient(KEY, PROJECT, http_client=httpx.Client(transport=transport), **kwargs)
    else:
        made = batch_rest.AsyncBatchClient(KEY, PROJECT, http_client=httpx.AsyncClient(transport=transport), **kwargs)
    made._random = lambda: 0.0
    if time is not None:
        made._clock = time.clock
        made._sleep = time.sleep if kind == "sync" else time.async_sleep
    return made


async def _agen(items: Iterable[Any]) -> AsyncIterator[Any]:
    for value in items:
        yield value


def run(kind: str, made: Any, name: str, items: Iterable[Any], *, async_input: bool = False, **kwargs: Any) -> Any:
    """The bulk call of `name` on `made` (with its body= when it takes one), awaited on the async client."""
    if name in BODIES:
        kwargs.setdefault("body", BODIES[name])
    if kind == "sync":
        return bulk_method(made, name)(items, **kwargs)
    source = _agen(items) if async_input else items
    return asyncio.run(bulk_method(made, name)(source, **kwargs))


def check_accounted(result: Any, read: int) -> None:
    """Every item read ends in exactly one outcome; the failures hold exactly the items not accepted."""
    assert isinstance(result, batch_rest.BulkResult)
    assert result.accepted + result.rejected + result.unknown + result.skipped == read, result
    for outcome in ("rejected", "unknown"):
        assert sum(len(f.items) for f in result.failures if f.outcome == outcome) == getattr(result, outcome)
    starts = [f.start for f in result.failures]
    assert starts == sorted(starts)
    for failure in result.failures:
        assert isinstance(failure, batch_rest.BulkFailure)
        assert failure.outcome in {"rejected", "unknown"}
        assert isinstance(failure.error, batch_rest.BatchError | TypeError | ValueError), failure.error
