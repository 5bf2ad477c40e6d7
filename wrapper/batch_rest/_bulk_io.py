"""The bulk drivers: thin shells doing the I/O around the pure core (_bulk.BulkCore), one per client.

client.profiles.bulk_update(items, ...) ──► run_sync / run_async
    _setup      every argument checked, the checkpoint opened: TypeError / ValueError before any request
    loop        core.next_send ──► start the attempt: on a worker thread (BatchClient, max_in_flight of them)
                                   or a task (AsyncBatchClient). With max_in_flight=1 (and on the async
                                   client a plain iterable) it is sent in place, the input read ahead first
                                   as it is while a worker's call is in flight: there is nothing else to do
                                   meanwhile, and a worker costs two wake-ups a call (benchmark 10).
                                   An attempt is the client's own request path
                                   (_build_request + _plan) with its retries off, so that errors are the
                                   client's BatchErrors and the core decides retries, pauses and outcomes
                core.wants ──► read that many items (on the async client, from an async iterable too)
                wait for an answer, or for the pacer ──► core.settle ──► checkpoint lines, then on_progress
    Ctrl-C, cancellation, an exception from the input or on_progress: what was settled is in the checkpoint,
    what was in flight is not (a resumed run sends it again); the exception propagates.
"""

from __future__ import annotations

import asyncio
import itertools
import math
import queue
import threading
from collections.abc import AsyncIterable, AsyncIterator, Iterable, Iterator, Mapping
from typing import TYPE_CHECKING, Any

from . import _seam
from ._bulk import Attempt, BulkCore, BulkOptions, BulkPlan, BulkResult, ItemsRejected
from ._bulk_checkpoint import CheckpointFile, call_fingerprint
from ._retry import RetryPolicy
from .errors import BatchError

if TYPE_CHECKING:
    from ._client import AsyncBatchClient, BatchClient, Plan, _ClientBase
    from ._resource import RequestOptions

MAX_IN_FLIGHT = 100  # httpx's default pool: more would wait for a connection
_NO_RETRIES = RetryPolicy(max_retries=0)
_Answer = tuple[Attempt, object, Exception | None]


class _Run:
    """One bulk call, checked and ready: the core, how to send an attempt, where settled items are recorded."""

    def __init__(
        self,
        client: _ClientBase,
        name: str,
        args: Mapping[str, object],
        options: RequestOptions,
        bulk: BulkOptions,
    ) -> None:
        operation = _seam.bulk_operation(name)
        chunk_size = _chunk_size(bulk.chunk_size, operation.max_items, name)
        max_in_flight = _whole(bulk.max_in_flight, "max_in_flight", MAX_IN_FLIGHT)
        items_rate, requests_rate = (_rate(value, what) for value, what in
                                     ((bulk.items_per_second, "items_per_second"),
                                      (bulk.requests_per_second, "requests_per_second")))  # fmt: skip
        if bulk.on_progress is not None and not callable(bulk.on_progress):
            raise TypeError(f"on_progress must be callable, not {type(bulk.on_progress).__name__}")
        policy, idempotent = client._retries(operation.operation, options)
        rest = operation.rest_body(args.get("body"))
        params = {key: value for key, value in args.items() if key != "body"}
        template = operation.template_kwargs(params, client._settings.project_key)
        client._build_request({**template, "json": operation.body_json(rest, [], [])}, options)  # options checked now
        limits = operation.limits
        self.plan = BulkPlan(
            chunk_size=chunk_size,
            max_in_flight=max_in_flight,
            # Given, or documented; math.inf: no pace of the client's own (429s still slow it down).
            items_per_second=_pace(items_rate, limits.get("items_per_second")),
            items_burst=limits.get("items_burst") if items_rate is None else None,
            requests_per_second=_pace(requests_rate, limits.get("requests_per_second")),
            requests_burst=limits.get("requests_burst") if requests_rate is None else None,
            policy=policy,
            idempotent=idempotent,
        )
        self.checkpoint = None
        if bulk.checkpoint is not None:
            fingerprint = call_fingerprint(name, {"body": rest, "params": params})
            self.checkpoint = CheckpointFile(bulk.checkpoint, name, fingerprint)
        self.clock = client._clock
        self.core: BulkCore[Any] = BulkCore(
            self.plan,
            operation.prepare,
            self.clock(),
            prepare_batch=operation.prepare_batch,
            settled=self.checkpoint.settled if self.checkpoint else (),
            jitter=client._random,
        )
        self._on_progress = bulk.on_progress

        def plan(attempt: Attempt) -> Plan[Any]:
            body = operation.body_json(rest, attempt.chunk.payload, attempt.chunk.indices)
            request = client._build_request({**template, "json": body}, options)
            parse = operation.operation.parse
            return client._plan(request, operation.operation, parse, _NO_RETRIES, idempotent=idempotent, raw=False)

        self.attempt_plan = plan

    def sends(self) -> tuple[list[Attempt], float | None]:
        """The attempts that may start now, and then the seconds before the next may (None: after an answer)."""
        started: list[Attempt] = []
        while isinstance(step := self.core.next_send(self.clock()), Attempt):
            started.append(step)
        return started, step

    def read(self, source: Iterator[object], wanted: int) -> None:
        batch = list(itertools.islice(source, wanted))
        self.feed(batch, len(batch) < wanted)

    def read_ahead(self, source: Iterator[object]) -> None:
        """Read as far ahead as the core wants."""
        while wanted := self.core.wants():
            self.read(source, wanted)

    def feed(self, batch: list[object], ended: bool) -> None:
        self.core.feed(batch)
        if ended:
            self.core.end_of_input()
        if self.core.records:  # items rejected alone: recorded, and shown, without waiting for an answer
            self.report()

    def settle(self, answers: Iterable[_Answer]) -> None:
        for attempt, result, error in answers:
            if error is not None and not isinstance(error, BatchError | ItemsRejected):
                raise error  # not an outcome the client documents: a bug, not to be hidden as a failure
            self.core.settle(attempt, result, error, self.clock())
        self.report()

    def report(self) -> None:
        """on_progress, then settled items to the checkpoint: what on_progress writes of the failures is on disk
        before the checkpoint says that they are settled (if it raises, close() still records them)."""
        if self._on_progress is not None:
            self._on_progress(self.core.progress(self.clock()))
        if self.checkpoint is not None and self.core.records:
            self.checkpoint.append(self.core.records)
        self.core.records.clear()

    def close(self) -> None:
        try:
            if self.checkpoint is not None and self.core.records:
                self.checkpoint.append(self.core.records)  # settled, even when an exception stops the run
                self.core.records.clear()
        finally:
            if self.checkpoint is not None:
                self.checkpoint.close()


def _chunk_size(value: object, max_items: int | None, name: str) -> int:
    if value is None:
        if max_items is None:
            raise ValueError(f"chunk_size is required: {name}'s document gives its array no maxItems")
        return max_items
    return _whole(value, "chunk_size", max_items)


def _whole(value: object, name: str, most: int | None) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(f"{name} must be an int, not {type(value).__name__}")
    if not 1 <= value <= (most or value):
        bound = " (the document's maxItems)" if name == "chunk_size" else ""
        raise ValueError(f"{name} must be from 1 to {most}{bound}, got {value}" if most else f"{name} must be >= 1")
    return value


def _rate(value: object, name: str) -> float | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise TypeError(f"{name} must be a number, not {type(value).__name__}")
    if not value > 0 or math.isnan(value):
        raise ValueError(f"{name} must be > 0 (math.inf: no pace of the client's own), got {value}")
    return float(value)


def _pace(given: float | None, documented: float | None) -> float | None:
    if given is None:
        return documented
    return None if math.isinf(given) else given


def _check_items(items: object, *, async_ok: bool) -> None:
    if isinstance(items, str | bytes | bytearray | Mapping) or not (
        isinstance(items, Iterable) or (async_ok and isinstance(items, AsyncIterable))
    ):
        kind = "an iterable or an async iterable" if async_ok else "an iterable"
        raise TypeError(f"items must be {kind} of items, not {type(items).__name__}")


# -- BatchClient: worker threads ----------------------------------------------------------------------------


def run_sync(
    client: BatchClient,
    name: str,
    items: Iterable[object],
    *,
    args: Mapping[str, object],
    options: RequestOptions,
    bulk: BulkOptions,
) -> BulkResult[Any]:
    _check_items(items, async_ok=False)
    run = _Run(client, name, args, options, bulk)
    core, source = run.core, iter(items)
    jobs: queue.SimpleQueue[Attempt | None] = queue.SimpleQueue()
    answers: queue.SimpleQueue[_Answer] = queue.SimpleQueue()
    workers: list[threading.Thread] = []

    def answer(attempt: Attempt) -> _Answer:
        try:
            return attempt, client._run(run.attempt_plan(attempt)), None
        except Exception as error:  # noqa: BLE001 - handed to the core, which re-raises what is not a BatchError
            return attempt, None, error

    def work() -> None:
        while (attempt := jobs.get()) is not None:
            answers.put(answer(attempt))

    # One call at a time: sent from this thread, which has nothing else to do meanwhile (no worker to wake twice).
    in_place = run.plan.max_in_flight == 1

    try:
        while not core.done:
            if not answers.empty():  # answers first: the checkpoint and on_progress keep up with them
                run.settle(_drain(answers))
            started, wait = run.sends()
            if in_place and started:
                run.read_ahead(source)  # what a worker's run reads while the call is in flight
                run.settle([answer(started[0])])
                continue
            for attempt in started:
                if len(workers) < core.in_flight:
                    workers.append(threading.Thread(target=work, name=f"batch-rest bulk {name}", daemon=True))
                    workers[-1].start()
                jobs.put(attempt)
            if wanted := core.wants():
                run.read(source, wanted)
                continue
            if core.in_flight:
                try:
                    first = answers.get(timeout=wait)
                except queue.Empty:
                    continue
                run.settle([first, *_drain(answers)])
            elif wait is not None:
                client._sleep(wait)
            elif not core.done:  # nothing in flight, to send or to read, yet not done: a bug, which must not spin
                raise RuntimeError(f"bulk {name}: the run stalled")
        run.report()
    finally:
        for _ in workers:
            jobs.put(None)
        run.close()
    return core.result()


def _drain(answers: queue.SimpleQueue[_Answer]) -> list[_Answer]:
    found = []
    while True:
        try:
            found.append(answers.get_nowait())
        except queue.Empty:
            return found


# -- AsyncBatchClient: tasks --------------------------------------------------------------------------------


async def run_async(
    client: AsyncBatchClient,
    name: str,
    items: Iterable[object] | AsyncIterable[object],
    *,
    args: Mapping[str, object],
    options: RequestOptions,
    bulk: BulkOptions,
) -> BulkResult[Any]:
    _check_items(items, async_ok=True)
    run = _Run(client, name, args, options, bulk)
    core = run.core
    source = aiter(items) if isinstance(items, AsyncIterable) else iter(items)
    tasks: dict[asyncio.Future[Any], Attempt] = {}
    reading: asyncio.Future[tuple[list[object], bool]] | None = None  # an async input is read while answers come
    # One call at a time from a plain iterable: nothing to do while it is in flight, so it is awaited in place.
    in_place = source if run.plan.max_in_flight == 1 and not isinstance(source, AsyncIterator) else None
    try:
        while not core.done:
            started, wait = run.sends()
            if in_place is not None and started:
                run.read_ahead(in_place)  # what a task's run reads while the call is in flight
                run.settle([await _answer_of(client, run, started[0])])
                continue
            for attempt in started:
                tasks[asyncio.ensure_future(_send(client, run, attempt))] = attempt
            if reading is None and (wanted := core.wants()):
                if not isinstance(source, AsyncIterator):
                    run.read(source, wanted)
                    continue
                reading = asyncio.ensure_future(_read_async(source, wanted))
            waiting = {*tasks, *([reading] if reading is not None else [])}
            if waiting:
                done, _ = await asyncio.wait(waiting, timeout=wait, return_when=asyncio.FIRST_COMPLETED)
                if reading is not None and reading in done:
                    batch, ended = reading.result()
                    reading = None
                    run.feed(batch, ended)
                if answers := [_answer(tasks.pop(task), task) for task in done if task in tasks]:
                    run.settle(answers)
            elif wait is not None:
                await client._sleep(wait)
            else:  # nothing in flight, to send or to read, yet not done: a bug, which must not spin forever
                raise RuntimeError(f"bulk {name}: the run stalled")
        run.report()
    finally:
        pending = [*tasks, *([reading] if reading is not None else [])]
        for task in pending:
            task.cancel()  # cancelled or interrupted: what is in flight stays unrecorded
        if pending:
            await asyncio.wait(pending)
        run.close()
    return core.result()


async def _send(client: AsyncBatchClient, run: _Run, attempt: Attempt) -> Any:
    return await client._run(run.attempt_plan(attempt))  # the request is built in the task: its errors are its answer


async def _answer_of(client: AsyncBatchClient, run: _Run, attempt: Attempt) -> _Answer:
    try:
        return attempt, await _send(client, run, attempt), None
    except Exception as error:  # noqa: BLE001 - handed to the core, which re-raises what is not a BatchError
        return attempt, None, error


async def _read_async(source: AsyncIterator[object], wanted: int) -> tuple[list[object], bool]:
    batch: list[object] = []
    for _ in range(wanted):
        try:
            batch.append(await anext(source))
        except StopAsyncIteration:
            return batch, True
    return batch, False


def _answer(attempt: Attempt, task: asyncio.Future[Any]) -> _Answer:
    error = task.exception()
    if error is not None and not isinstance(error, Exception):
        raise error  # KeyboardInterrupt, SystemExit: not an answer
    return attempt, None if error is not None else task.result(), error
