"""Bulk calls against the fake server over loopback sockets, sync and async: what arrives (server.requests: every
accepted item exactly once, in chunks of the right size, body= fields in each), faults on the wire, an interrupted
run resumed from its checkpoint, and the README's Bulk examples run as written."""

from __future__ import annotations

import asyncio
import inspect
import json
import re
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from _bulk_support import BODIES, BULK, array_of, bulk_method, each, item, items_of, key
from conftest import needs

import batch_rest
from batch_rest._retry import RetryPolicy
from batch_rest.testing import FakeBatchServer, Fault

pytestmark = pytest.mark.timeout(120)
FAST = {"items_per_second": 1e9, "requests_per_second": 1e9}  # no client-side pace: about what arrives, not when
README = Path(__file__).resolve().parents[3] / "README.md"


def make_client(kind: str, server: FakeBatchServer, **kwargs: Any) -> Any:
    cls = batch_rest.BatchClient if kind == "sync" else batch_rest.AsyncBatchClient
    made = cls(server.api_key, server.project_key, base_url=server.url, timeout=10, **kwargs)
    made._retry_policy = RetryPolicy(max_retries=made._retry_policy.max_retries, initial_backoff=0.01, max_backoff=0.05)
    return made


def bulk(kind: str, server: FakeBatchServer, name: str, items: Any, client_kwargs: Any = None, **kwargs: Any) -> Any:
    if name in BODIES:
        kwargs.setdefault("body", BODIES[name])
    made = make_client(kind, server, **(client_kwargs or {}))
    if kind == "sync":
        with made:
            return bulk_method(made, name)(items, **kwargs)

    async def main() -> Any:
        async with made:
            return await bulk_method(made, name)(items, **kwargs)

    return asyncio.run(main())


def arrivals(server: FakeBatchServer, name: str, *, answered: bool = True) -> Counter[str]:
    """How many times each item reached the server in a request it answered normally (or in any request)."""
    found: Counter[str] = Counter()
    for request in server.requests:
        if request.operation == name and (request.fault is None or not answered):
            found.update(key(i) for i in items_of(name, json.loads(request.body)))
    return found


@each(BULK)
def test_every_accepted_item_arrives_exactly_once(kind, name):
    count = 2 * 57 + 5
    with FakeBatchServer() as server:
        result = bulk(kind, server, name, (item(name, i) for i in range(count)), chunk_size=57, **FAST)
    assert (result.accepted, result.rejected, result.unknown, result.ok) == (count, 0, 0, True)
    assert arrivals(server, name) == {key(item(name, i)): 1 for i in range(count)}
    bodies = [json.loads(r.body) for r in server.requests]
    assert sorted(len(items_of(name, b)) for b in bodies) == [5, 57, 57]
    if name in BODIES:
        assert all({k: v for k, v in b.items() if k != array_of(name)} == BODIES[name] for b in bodies)
    assert all(r.headers["x-batch-project"] == server.project_key for r in server.requests)


@needs("profiles_update")
def test_invalid_items_never_reach_the_server(kind):
    name = "profiles_update"
    items: list[Any] = [item(name, i) for i in range(300)]
    for index in (0, 150, 299):
        items[index] = {"identifiers": {"custom_id": None}}
    with FakeBatchServer() as server:
        result = bulk(kind, server, name, items, **FAST)
    assert (result.accepted, result.rejected) == (297, 3)
    assert [f.start for f in result.failures] == [0, 150, 299]
    assert arrivals(server, name) == {key(v): 1 for n, v in enumerate(items) if n not in (0, 150, 299)}
    assert all(r.fault is None for r in server.requests)  # the server refused nothing: it never saw them


@needs("profiles_update")
def test_faults_on_the_wire(kind):
    name = "profiles_update"
    with FakeBatchServer() as server:
        server.inject(Fault.rate_limit(), times=2, operation=name)  # Batch sends no Retry-After
        server.inject(Fault.service_unavailable(), operation=name)
        server.inject(Fault.server_error(), operation=name)
        server.inject(Fault.drop_mid_body(), operation=name)
        result = bulk(kind, server, name, [item(name, i) for i in range(1000)], chunk_size=50, max_in_flight=1,
                      client_kwargs={"max_retries": 3}, **FAST)  # fmt: skip
    faults = [(r.fault, json.loads(r.body)[0]) for r in server.requests]
    assert [fault for fault, _ in faults[:5]] == [
        "rate_limit", "rate_limit", "service_unavailable", "server_error", "drop_mid_body"
    ]  # fmt: skip
    maybe_applied = {fault: first for fault, first in faults if fault in {"server_error", "drop_mid_body"}}
    starts = {fault: int(first["identifiers"]["custom_id"][2:]) for fault, first in maybe_applied.items()}
    assert (result.accepted, result.unknown, result.rate_limited) == (900, 100, 2)  # the 500's and the drop's
    assert [(f.start, f.outcome) for f in result.failures] == sorted(
        (start, "unknown") for start in starts.values()
    )  # fmt: skip
    errors = {f.start: f.error for f in result.failures}
    assert isinstance(errors[starts["server_error"]], batch_rest.ServerError)
    assert isinstance(errors[starts["drop_mid_body"]], batch_rest.BatchConnectionError)
    unknown = {key(i) for f in result.failures for i in f.items}
    arrived = arrivals(server, name, answered=False)
    assert all(arrived[k] == 1 for k in unknown)  # what may have been applied was never sent again
    # the rest arrived, answered, exactly once: the chunk that got the 429s and the 503 too
    everything = {key(item(name, i)) for i in range(1000)}
    assert arrivals(server, name) == dict.fromkeys(everything - unknown, 1)


@needs("profiles_update")
def test_idempotent_resends_what_may_have_been_applied(kind):
    name = "profiles_update"
    with FakeBatchServer() as server:
        server.inject(Fault.server_error(), operation=name)
        server.inject(Fault.drop_before_response(), operation=name)
        result = bulk(kind, server, name, [item(name, i) for i in range(300)], idempotent=True, max_in_flight=1,
                      client_kwargs={"max_retries": 3}, **FAST)  # fmt: skip
    assert (result.accepted, result.unknown, result.requests) == (300, 0, 4)
    assert arrivals(server, name) == {key(item(name, i)): 1 for i in range(300)}


@needs("profiles_update")
def test_a_wrong_key_stops_the_run(kind):
    name = "profiles_update"
    with FakeBatchServer(api_key="the-right-key") as server:
        made = batch_rest.BatchClient if kind == "sync" else batch_rest.AsyncBatchClient
        client = made("a-wrong-key", server.project_key, base_url=server.url)
        edits = (item(name, i) for i in range(1_000_000))
        method = client.profiles.bulk_update
        result = method(edits, **FAST) if kind == "sync" else asyncio.run(method(edits, **FAST))
    assert isinstance(result.stopped, batch_rest.AuthenticationError)
    assert len(server.requests) <= 4  # max_in_flight: not 5,000 refused calls
    assert result.rejected == result.accepted + result.rejected + result.unknown <= 6 * 200
    assert "a-wrong-key" not in repr(result)
    assert "a-wrong-key" not in str(result.failures)


@each(BULK)
def test_an_interrupted_run_resumes_from_its_checkpoint(kind, name, tmp_path):
    checkpoint, count = tmp_path / "run.checkpoint", 400
    items = [item(name, i) for i in range(count)]
    seen = []

    def interrupt(progress: batch_rest.BulkProgress) -> None:
        seen.append(progress)
        if len(seen) == 4:
            raise KeyboardInterrupt  # Ctrl-C, while chunks are in flight

    with FakeBatchServer() as server:
        with pytest.raises(KeyboardInterrupt):
            bulk(kind, server, name, items, chunk_size=20, max_in_flight=3, checkpoint=checkpoint,
                 on_progress=interrupt, **FAST)  # fmt: skip
        first = sum(arrivals(server, name).values())
        result = bulk(kind, server, name, items, chunk_size=20, max_in_flight=3, checkpoint=checkpoint, **FAST)
    both = arrivals(server, name)
    assert set(both) == {key(i) for i in items}  # every item arrived
    assert sum(count - 1 for count in both.values()) <= 3 * 20  # at most the chunks in flight went twice
    assert result.accepted + result.skipped == count
    assert result.ok
    assert result.skipped >= 4 * 20  # what the first run settled before the interrupt
    assert first < count


# -- the README ---------------------------------------------------------------------------------------------


def readme_blocks(section: str) -> list[str]:
    text = README.read_text(encoding="utf-8")
    start = text.index(f"\n## {section}\n")
    end = text.find("\n## ", start + 1)
    return re.findall(r"```python\n(.*?)```", text[start : end if end != -1 else None], flags=re.S)


@needs("profiles_update")
def test_the_readme_bulk_examples_run_as_written(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    blocks = readme_blocks("Bulk")
    assert len(blocks) >= 3
    for block in blocks:
        if "def test_" in block:  # a user's test: defined, then run with the pytest plugin's fixtures
            namespace: dict[str, Any] = {}
            exec(compile(block, "README.md", "exec"), namespace)
            tests = [function for name, function in namespace.items() if name.startswith("test_")]
            assert tests
            for function in tests:
                with FakeBatchServer() as server, make_client("sync", server) as client:
                    fixtures = {"batch_server": server, "batch_client": client}
                    function(**{p: fixtures[p] for p in inspect.signature(function).parameters})
        else:
            exec(compile(block, "README.md", "exec"), {"__name__": "__readme__"})
