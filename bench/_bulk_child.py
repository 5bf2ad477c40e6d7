"""Benchmarks 8 to 11 (bulk calls), run in a subprocess importing a package regenerated with the chunkable fixture
pages (tests/fixtures/regen.py, as benchmark 7 does): the shipped document has no chunkable operation. Each mode
prints one JSON object.

    python bench/_bulk_child.py cpu --items 20000 --rounds 15 [--minimal-edits]
    python bench/_bulk_child.py rate --base-url URL --api-key K --project-key P --operation profiles_update \\
        --items 200000 [--items-per-second 20000] [--chunk-size 200] [--async]
    python bench/_bulk_child.py rss --items 1000000 [--async]

- cpu (10): the CPU of `client.profiles.bulk_update(items)` against the bare generated call sending the same chunks
  of 200 one after the other (`profiles_update.sync_detailed` / `asyncio_detailed` over slices of the models: the
  loop a user writes by hand), both over an in-memory transport (httpx.MockTransport answering 202), so that only
  the client's CPU counts. Items are benchmark 7's edits, as models and as plain dicts (checked against the
  schema); the bulk calls run with 1 call in flight (sequential, as the bare loop) and 4 (the default), unpaced
  (`items_per_second=math.inf`: the documented 300 edits/s would make this a benchmark of waiting). Then the
  sync calls with 4 in flight again, every thread on one CPU (as benchmark 4 does): on a small VM a thread woken
  on the other CPU costs tens of µs.
- rate (8, 9): one bulk call to a fake server that bench/run.py started in another process; prints the call's
  items/s (wall clock, the whole call), requests and 429s.
- rss (11): peak RSS growth (ru_maxrss) while one bulk call streams edits from a generator, as plain dicts, to an
  in-memory transport that keeps nothing; after a warm-up call of 20,000 edits (the bulk modules' imports, the
  item schema compiled, allocator pools); the peak before the warm-up is reported too.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import json
import math
import time
from collections.abc import Callable, Iterator
from typing import Any

import httpx
from _post_child import ANSWER, edit
from _rss_child import _hwm_kb, _maxrss_kb, _rss_now_kb
from _timing import interleaved, one_cpu

from batch_rest import AsyncBatchClient, BatchClient, BulkResult
from batch_rest_generated import AuthenticatedClient
from batch_rest_generated.api.profiles import profiles_update
from batch_rest_generated.models import EditProfile

API_KEY, PROJECT_KEY, BASE_URL = "bench-key", "bench-project", "https://api.batch.com/2.11"
CHUNK = 200  # profiles/update's maxItems: the bulk call's chunks, and the bare loop's
UNPACED = math.inf
WARMUP_ITEMS = 20_000


def _answer(request: httpx.Request) -> httpx.Response:
    return httpx.Response(202, headers={"Content-Type": "application/json"}, content=ANSWER)


# -- cpu -----------------------------------------------------------------------------------------------------


def _check_bulk(items: int) -> Callable[[str, Any], None]:
    def check(name: str, result: Any) -> None:
        if isinstance(result, BulkResult):
            expected = (items, True, math.ceil(items / CHUNK))
            if (result.accepted, result.ok, result.requests) != expected:
                raise AssertionError(f"{name}: {result!r}, expected {expected}")
        elif result != math.ceil(items / CHUNK):
            raise AssertionError(f"{name}: {result} chunks answered 202, expected {math.ceil(items / CHUNK)}")

    return check


def minimal_edit(index: int) -> dict[str, Any]:
    """The smallest useful profile edit: a custom_id and one attribute (what the bulk checks send)."""
    return {"identifiers": {"custom_id": f"u-{index}"}, "attributes": {"n": index}}


def cpu(items: int, rounds: int, *, minimal: bool = False) -> dict[str, Any]:
    dicts = [(minimal_edit if minimal else edit)(i) for i in range(items)]
    models = [EditProfile.from_dict(d) for d in dicts]
    transport = httpx.MockTransport(_answer)
    headers = {"Authorization": f"Bearer {API_KEY}"}
    generated = AuthenticatedClient(base_url=BASE_URL, token=API_KEY)
    generated.set_httpx_client(httpx.Client(transport=transport, base_url=BASE_URL, headers=headers))
    generated.set_async_httpx_client(httpx.AsyncClient(transport=transport, base_url=BASE_URL, headers=headers))
    client = BatchClient(API_KEY, PROJECT_KEY, base_url=BASE_URL, http_client=httpx.Client(transport=transport))
    aclient = AsyncBatchClient(
        API_KEY, PROJECT_KEY, base_url=BASE_URL, http_client=httpx.AsyncClient(transport=transport)
    )

    def bare() -> int:
        answered = 0
        for start in range(0, items, CHUNK):
            response = profiles_update.sync_detailed(
                client=generated, body=models[start : start + CHUNK], x_batch_project=PROJECT_KEY
            )
            answered += response.status_code == 202
        return answered

    async def bare_async() -> int:
        answered = 0
        for start in range(0, items, CHUNK):
            response = await profiles_update.asyncio_detailed(
                client=generated, body=models[start : start + CHUNK], x_batch_project=PROJECT_KEY
            )
            answered += response.status_code == 202
        return answered

    def bulk(source: list[Any], in_flight: int) -> Callable[[], BulkResult[Any]]:
        return lambda: client.profiles.bulk_update(source, max_in_flight=in_flight, items_per_second=UNPACED)

    loop = asyncio.new_event_loop()

    def abulk(source: list[Any], in_flight: int) -> Callable[[], BulkResult[Any]]:
        return lambda: loop.run_until_complete(
            aclient.profiles.bulk_update(source, max_in_flight=in_flight, items_per_second=UNPACED)
        )

    check = _check_bulk(items)
    try:
        sync_times = interleaved({
            "bare": bare,
            "models, 1 in flight": bulk(models, 1),
            "models, 4 in flight": bulk(models, 4),
            "dicts, 1 in flight": bulk(dicts, 1),
            "dicts, 4 in flight": bulk(dicts, 4),
        }, rounds=rounds, check=check, label="10 sync").cpu  # fmt: skip
        async_times = interleaved({
            "bare": lambda: loop.run_until_complete(bare_async()),
            "models, 1 in flight": abulk(models, 1),
            "models, 4 in flight": abulk(models, 4),
            "dicts, 1 in flight": abulk(dicts, 1),
            "dicts, 4 in flight": abulk(dicts, 4),
        }, rounds=rounds, check=check, label="10 async").cpu  # fmt: skip
        pinned_times: dict[str, list[float]] = {}
        with one_cpu() as pinned:  # the worker threads too: they inherit the mask of the thread that starts them
            if pinned:
                pinned_times = interleaved({
                    "bare": bare,
                    "models, 4 in flight": bulk(models, 4),
                    "dicts, 4 in flight": bulk(dicts, 4),
                }, rounds=rounds, check=check, label="10 sync, one CPU").cpu  # fmt: skip
    finally:
        loop.close()
    body = httpx.Request("POST", BASE_URL, json=dicts[:CHUNK]).content
    return {"sync": sync_times, "async": async_times, "pinned": pinned_times, "cpu": pinned, "items": items,
            "chunk": CHUNK, "chunk_bytes": len(body), "edit": "minimal" if minimal else "benchmark 7's"}  # fmt: skip


# -- rate ----------------------------------------------------------------------------------------------------


def _items(operation: str, count: int) -> Iterator[dict[str, Any]]:
    if operation == "audiences_update":
        return ({"action": "add", "id": f"user-{n}"} for n in range(count))
    return (edit(n) for n in range(count))


def _method(client: Any, operation: str) -> Any:
    resource, _, action = operation.partition("_")
    return getattr(getattr(client, resource), f"bulk_{action}")


def _summary(result: BulkResult[Any], seconds: float) -> dict[str, Any]:
    return {
        "accepted": result.accepted,
        "rejected": result.rejected,
        "unknown": result.unknown,
        "requests": result.requests,
        "rate_limited": result.rate_limited,
        "ok": result.ok,
        "seconds": seconds,
    }


def rate(args: argparse.Namespace) -> dict[str, Any]:
    kwargs: dict[str, Any] = {}
    if args.items_per_second is not None:
        kwargs["items_per_second"] = args.items_per_second
    if args.chunk_size is not None:
        kwargs["chunk_size"] = args.chunk_size
    if args.operation == "audiences_update":
        kwargs["body"] = {"name": "bench"}
    items = _items(args.operation, args.items)
    if args.use_async:

        async def call() -> tuple[BulkResult[Any], float]:
            async with AsyncBatchClient(args.api_key, args.project_key, base_url=args.base_url) as client:
                started = time.perf_counter()
                result = await _method(client, args.operation)(items, **kwargs)
                return result, time.perf_counter() - started

        result, seconds = asyncio.run(call())
    else:
        with BatchClient(args.api_key, args.project_key, base_url=args.base_url) as client:
            started = time.perf_counter()
            result = _method(client, args.operation)(items, **kwargs)
            seconds = time.perf_counter() - started
    return _summary(result, seconds)


# -- rss -----------------------------------------------------------------------------------------------------


def _before() -> dict[str, int]:
    gc.collect()
    return {"before_kb": _maxrss_kb(), "rss_before_kb": _rss_now_kb(), "hwm_before_kb": _hwm_kb()}


def _rss_sync(items: int) -> dict[str, Any]:
    http = httpx.Client(transport=httpx.MockTransport(_answer))
    with BatchClient(API_KEY, PROJECT_KEY, base_url=BASE_URL, http_client=http) as client:
        cold = _maxrss_kb()
        client.profiles.bulk_update(_items("profiles_update", WARMUP_ITEMS), items_per_second=UNPACED)
        before = _before() | {"cold_kb": cold}
        started = time.perf_counter()
        result = client.profiles.bulk_update(_items("profiles_update", items), items_per_second=UNPACED)
        return before | _summary(result, time.perf_counter() - started)


async def _rss_async(items: int) -> dict[str, Any]:
    http = httpx.AsyncClient(transport=httpx.MockTransport(_answer))
    async with AsyncBatchClient(API_KEY, PROJECT_KEY, base_url=BASE_URL, http_client=http) as client:
        cold = _maxrss_kb()
        await client.profiles.bulk_update(_items("profiles_update", WARMUP_ITEMS), items_per_second=UNPACED)
        before = _before() | {"cold_kb": cold}
        started = time.perf_counter()
        result = await client.profiles.bulk_update(_items("profiles_update", items), items_per_second=UNPACED)
        return before | _summary(result, time.perf_counter() - started)


def rss(items: int, use_async: bool) -> dict[str, Any]:
    found = asyncio.run(_rss_async(items)) if use_async else _rss_sync(items)
    return found | {"after_kb": _maxrss_kb(), "rss_after_kb": _rss_now_kb(), "hwm_after_kb": _hwm_kb()}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("mode", choices=["cpu", "rate", "rss"])
    parser.add_argument("--items", type=int, required=True)
    parser.add_argument("--rounds", type=int, default=15)
    parser.add_argument("--async", dest="use_async", action="store_true")
    parser.add_argument("--base-url")
    parser.add_argument("--api-key")
    parser.add_argument("--project-key")
    parser.add_argument("--operation", default="profiles_update")
    parser.add_argument("--items-per-second", type=float)
    parser.add_argument("--chunk-size", type=int)
    parser.add_argument("--minimal-edits", action="store_true", help="cpu: minimal_edit() rather than benchmark 7's")
    args = parser.parse_args()
    if args.mode == "cpu":
        found = cpu(args.items, args.rounds, minimal=args.minimal_edits)
    elif args.mode == "rate":
        found = rate(args)
    else:
        found = rss(args.items, args.use_async)
    print(json.dumps(found))


if __name__ == "__main__":
    main()
