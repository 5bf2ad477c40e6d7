"""Bulk calls of a chunkable operation, as pure decisions over plain data: no sockets, threads or clock of its own.

    items ──► BulkCore.feed(batch)      each item: already accounted for by a checkpoint (skipped), or prepared by
                │                       the seam (a plain one checked: an invalid one is rejected alone, never sent),
                │                       then chunked; wants() keeps at most max_in_flight + 2 chunks read ahead
                ▼
    BulkCore.next_send(now) ──► Attempt   send it: one request through the client's path, its retries off
                │            ├► seconds   nothing may go before then (Pacer: token buckets of items/s and requests/s,
                │            │            and the pause after a 429)
                │            └► None      wait for an answer
                ▼
    BulkCore.settle(attempt, result, error, now)
                ├─ 2xx ─► accepted: the parsed result; the pace climbs back (additive increase)
                ├─ 429 ─► every worker pauses, the pace drops (multiplicative decrease), the chunk goes again
                ├─ 400 ─► the chunk is split in two and both halves sent, until the bad items are alone
                ├─ retried as the single-call rule says (_retry.retry_delay): 503, connection failures, ...
                └─ rejected (not applied: safe to send again) or unknown (may have been applied): outcome_of()
    BulkCore.records ──► the checkpoint;   BulkCore.progress(now) ──► BulkProgress;   BulkCore.result() ──► BulkResult

A 401, 403 or 404, or a failure by which the server says it did nothing (429, 503, no connection) persisting
through the retries, would be the answer to every chunk: the run stops reading; what was read and not sent is
rejected with that error, and a resumed run sends it again. The drivers (_bulk_io: threads for BatchClient, tasks
for AsyncBatchClient) only read, send, wait and write the checkpoint.
"""

from __future__ import annotations

import math
import os
import random
from collections import deque
from collections.abc import Callable, Iterable, Sequence
from typing import Generic, Literal, TypeVar

from attrs import define, field, frozen

from ._retry import Failure, RetryPolicy, retry_delay
from .errors import APIError, BatchConnectionError, BatchError, ClientClosedError

__all__ = ["BulkFailure", "BulkOptions", "BulkPlan", "BulkProgress", "BulkResult", "ItemsRejected", "outcome_of"]

R = TypeVar("R")
Outcome = Literal["rejected", "unknown"]

DECREASE = 0.8  # the pace after a 429, as a share of the pace before it
CLIMB_SECONDS = 2.0  # how long the pace takes to climb back to where it was before a 429
RATE_WINDOW = 1.0  # seconds over which rates are measured
PACE_MARGIN = 0.98  # the pace under a known limit: the server's bucket gains 2 % to absorb the network's jitter
CATCH_UP = 0.02  # seconds of the pace a late send may catch up on (a thread or the event loop woke up late)
STOPS_THE_RUN = frozenset({401, 403, 404})  # the key or the target is wrong: every chunk would get the same answer
_ONCE = RetryPolicy(max_retries=1)


@frozen
class BulkOptions:
    """A bulk call's own options (the request options are RequestOptions): see the README's Bulk section."""

    chunk_size: int | None = None
    max_in_flight: int = 4
    items_per_second: float | None = None
    requests_per_second: float | None = None
    on_progress: Callable[[BulkProgress], object] | None = None
    checkpoint: str | os.PathLike[str] | None = None


class ItemsRejected(TypeError):
    """Items of a chunk that could not be made into its request (`errors`: by position in the chunk); nothing was
    sent. The chunk goes again without them, and they are rejected alone."""

    def __init__(self, errors: dict[int, Exception]) -> None:
        super().__init__(f"{len(errors)} items cannot be sent")
        self.errors = errors


@frozen
class BulkFailure:
    """Items that were not accepted. `start`: the input index of the first; `items`: the items themselves, as given;
    `error`: why (a BatchError, or the TypeError / ValueError of the check made before sending); `outcome`:
    "rejected" (not applied, safe to send again) or "unknown" (may have been applied)."""

    start: int
    items: tuple[object, ...] = field(repr=lambda items: f"<{len(items)} items>")
    error: Exception
    outcome: Outcome


@frozen(repr=False)
class BulkResult(Generic[R]):
    """What a bulk call did with every item it read: accepted + rejected + unknown + skipped items read.

    `failures` hold the items not accepted (input order), `results` the parsed answer of each accepted chunk (input
    order); `skipped`: items a checkpoint already accounted for; `stopped`: the error that made the run stop before
    the end of the input (the items left unread are still in the iterable), or None.
    """

    accepted: int
    rejected: int
    unknown: int
    failures: tuple[BulkFailure, ...]
    results: tuple[R, ...]
    skipped: int = 0
    stopped: BatchError | None = None
    requests: int = 0
    rate_limited: int = 0  # 429s

    @property
    def read(self) -> int:
        """Items taken from the input: all of them, unless the run stopped (`stopped`)."""
        return self.accepted + self.rejected + self.unknown + self.skipped

    @property
    def ok(self) -> bool:
        """Every item read was accepted (or already accounted for), and the input was read to its end."""
        return self.rejected == self.unknown == 0 and self.stopped is None

    def __repr__(self) -> str:
        stopped = f", stopped by {type(self.stopped).__name__}" if self.stopped is not None else ""
        return (
            f"<BulkResult accepted={self.accepted} rejected={self.rejected} unknown={self.unknown} "
            f"skipped={self.skipped}, {len(self.failures)} failures, {self.requests} requests{stopped}>"
        )


@frozen
class BulkProgress:
    """Where a bulk call stands, handed to `on_progress` after every answer."""

    read: int  # items taken from the input, skipped ones included
    accepted: int
    rejected: int
    unknown: int
    skipped: int
    in_flight: int  # items being sent
    rate: float  # items accepted per second, over the last second
    rate_limited: int  # 429s so far
    requests: int
    elapsed: float  # seconds
    # The failures settled since the previous BulkProgress (each failure is handed over once), so that they can be
    # written out as they happen; all of them are in the result's failures too.
    failures: tuple[BulkFailure, ...] = ()


@frozen
class BulkPlan:
    """The call's settings, checked. A pace of None is unknown: no pacing until a 429 shows where the limit is."""

    chunk_size: int
    max_in_flight: int
    items_per_second: float | None
    items_burst: float | None
    requests_per_second: float | None
    requests_burst: float | None
    policy: RetryPolicy
    idempotent: bool


def failure_of(error: Exception) -> Failure | None:
    """The single-call rule's view of an attempt's error; None for what it never retries (a malformed answer)."""
    if isinstance(error, APIError):
        return Failure(error.status_code, error.retry_after)
    if isinstance(error, BatchConnectionError):
        return Failure(None, sent=error.request_sent)
    return None


def _not_acted_on(failure: Failure) -> bool:
    # The single-call rule retries a POST only when the server provably did nothing: ask it rather than copy it.
    once = Failure(failure.status, None, sent=failure.sent)
    return retry_delay(_ONCE, once, retries_done=0, idempotent=False, jitter=0.0) is not None


def outcome_of(error: Exception) -> Outcome:
    """ "rejected" when the chunk was provably not applied (a check failed before sending, a 4xx, a failure by which
    the server says it did nothing, the client closed); "unknown" when it may have been (a 5xx but 503, a timeout or
    a dropped connection after sending, a success whose answer cannot be read)."""
    if not isinstance(error, BatchError) or isinstance(error, ClientClosedError):
        return "rejected"
    if isinstance(error, APIError) and 400 <= error.status_code < 500:
        return "rejected"
    failure = failure_of(error)
    return "rejected" if failure is not None and _not_acted_on(failure) else "unknown"


def stops_the_run(error: Exception) -> bool:
    """Whether every other chunk would fail the same way: the key or target is wrong, or the server is unavailable."""
    if isinstance(error, ClientClosedError):
        return True
    if isinstance(error, APIError) and error.status_code in STOPS_THE_RUN:
        return True
    failure = failure_of(error)
    return failure is not None and _not_acted_on(failure)


# -- pacing -------------------------------------------------------------------------------------------------


@define
class _Bucket:
    """`rate` tokens a second, at most `capacity` saved up."""

    rate: float
    capacity: float
    tokens: float
    stamp: float

    def refill(self, now: float) -> None:
        self.tokens = min(self.capacity, self.tokens + max(0.0, now - self.stamp) * self.rate)
        self.stamp = max(self.stamp, now)

    def wait(self, amount: float, now: float) -> float:
        self.refill(now)
        return max(0.0, amount - self.tokens) / self.rate


@define
class Pacer:
    """When the next chunk may go: token buckets for items/s and requests/s (None: no pace known), a pause after a
    429, and AIMD: each 429 lowers the pace, each accepted item raises it again, up to the known limit if any."""

    items: _Bucket | None
    requests: _Bucket | None
    ceilings: tuple[float, float]  # items/s, requests/s the pace never climbs above (math.inf: none known)
    chunk_size: int
    paused_until: float = -math.inf
    generation: int = 0  # decreases so far: a 429 to an attempt sent before the last one is its echo
    _sent: deque[tuple[float, int]] = field(factory=deque)  # (when, items) over the last second
    _last_429: float | None = None
    _accepted: list[int] = field(factory=lambda: [0, 0])  # items, requests accepted since the last 429

    @classmethod
    def start(cls, plan: BulkPlan, now: float) -> Pacer:
        # Just under a known limit. Full buckets, but never more than the documented burst, or than one chunk (one
        # request) where none is documented; room for CATCH_UP more, so that waking up late loses no pace.
        def bucket(rate: float | None, burst: float | None, least: float) -> _Bucket | None:
            if rate is None:
                return None
            full = max(least, burst or 0.0)
            return _Bucket(rate * PACE_MARGIN, full + rate * PACE_MARGIN * CATCH_UP, full, now)

        items = bucket(plan.items_per_second, plan.items_burst, plan.chunk_size)
        requests = bucket(plan.requests_per_second, plan.requests_burst, 1.0)
        ceilings = (
            (plan.items_per_second or math.inf) * PACE_MARGIN,
            (plan.requests_per_second or math.inf) * PACE_MARGIN,
        )
        return cls(items, requests, ceilings, plan.chunk_size)

    def delay(self, items: int, now: float) -> float:
        """Seconds before `items` items in one request may go (0: now)."""
        wait = self.paused_until - now
        if self.items is not None:
            wait = max(wait, self.items.wait(items, now))
        if self.requests is not None:
            wait = max(wait, self.requests.wait(1, now))
        return wait if wait > 1e-6 else 0.0  # a microsecond early is nothing; waiting a float's rounding error, forever

    def take(self, items: int, now: float) -> None:
        for bucket, amount in ((self.items, items), (self.requests, 1)):
            if bucket is not None:
                bucket.refill(now)
                bucket.tokens -= amount
        self._sent.append((now, items))
        while self._sent[0][0] < now - RATE_WINDOW:
            self._sent.popleft()

    def throttled(self, now: float, *, retry_after: float | None, rule_delay: float, stall: int) -> None:
        """A 429 to an attempt sent at the current pace: lower the pace and pause every worker.

        The server's bucket was empty at the last 429 and is again: what it accepted in between is at least what it
        allows. A pace far above that (none was known) comes down to just above it in one step, not in ten.
        """
        if self.items is None and self.requests is None:  # no pace yet: start under the rate that was too fast
            span = min(max(now - self._sent[0][0], 0.05), RATE_WINDOW) if self._sent else RATE_WINDOW
            self.items = _Bucket(sum(n for _, n in self._sent) / span * DECREASE, self.chunk_size, 0.0, now)
        span = now - self._last_429 if self._last_429 is not None else 0.0
        for bucket, floor, accepted in (
            (self.items, self.chunk_size, self._accepted[0]),
            (self.requests, 1, self._accepted[1]),
        ):
            if bucket is not None:
                bucket.refill(now)
                rate = bucket.rate * DECREASE
                if span > 0 and accepted:  # at least what the server took, at most a decrease over it
                    rate = min(rate, accepted / span / DECREASE)
                bucket.rate, bucket.tokens = max(rate, floor / 60), 0.0  # no burst after the pause
        if retry_after is not None:
            pause = retry_after
        elif stall == 1:  # Batch documents no Retry-After: a chunk's worth of the new pace, then the rule's backoff
            refill = self.chunk_size / self.items.rate if self.items is not None else 1 / self.requests.rate  # type: ignore[union-attr]
            pause = min(refill, rule_delay)
        else:
            pause = rule_delay
        self.paused_until = max(self.paused_until, now + pause)
        self.generation += 1
        self._last_429, self._accepted = now, [0, 0]

    def echo(self, now: float, retry_after: float | None) -> None:
        """A 429 to an attempt sent before the pace came down: only a longer Retry-After adds anything."""
        if retry_after is not None:
            self.paused_until = max(self.paused_until, now + retry_after)

    def accepted(self, items: int) -> None:
        # Additive increase, clocked by acceptances: at rate r, r * (1 - DECREASE) / CLIMB_SECONDS more a second.
        self._accepted[0] += items
        self._accepted[1] += 1
        step = (1 - DECREASE) / CLIMB_SECONDS
        if self.items is not None:
            self.items.rate = min(self.ceilings[0], self.items.rate + step * items)
        if self.requests is not None:
            self.requests.rate = min(self.ceilings[1], self.requests.rate + step)


# -- chunks -------------------------------------------------------------------------------------------------


@define(eq=False)
class _Family:
    """The parts of a chunk that got a 400, while it is bisected: the calls it may still cost, and how it went."""

    budget: int
    open: int = 1
    accepted: bool = False


@define(eq=False)
class Chunk:
    """Items to send in one request: their input indices (a range while they are consecutive), the items as given,
    and their JSON."""

    indices: Sequence[int] = field(factory=list)
    items: list[object] = field(factory=list)
    payload: list[object] = field(factory=list)
    retries: int = 0
    not_before: float = -math.inf
    family: _Family | None = None

    @property
    def start(self) -> int:
        return self.indices[0]

    def __len__(self) -> int:
        return len(self.indices)

    def halves(self, family: _Family) -> tuple[Chunk, Chunk]:
        middle = len(self) // 2
        first, second = slice(None, middle), slice(middle, None)
        return (
            Chunk(self.indices[first], self.items[first], self.payload[first], family=family),
            Chunk(self.indices[second], self.items[second], self.payload[second], family=family),
        )


@frozen(eq=False)
class Attempt:
    """One request for `chunk`, sent at pacer generation `generation`."""

    chunk: Chunk
    generation: int


class _Skipper:
    """Whether an input index is accounted for by a checkpoint; asked in increasing order of index."""

    def __init__(self, ranges: Iterable[tuple[int, int]]) -> None:
        self._ranges = sorted(ranges)
        self._at = 0

    def any(self, start: int, stop: int) -> bool:
        """Whether any of the indices start..stop-1 is accounted for."""
        ranges = self._ranges
        while self._at < len(ranges) and ranges[self._at][1] <= start:
            self._at += 1
        return self._at < len(ranges) and ranges[self._at][0] < stop

    def __call__(self, index: int) -> bool:
        return self.any(index, index + 1)


# -- the run ------------------------------------------------------------------------------------------------


class BulkCore(Generic[R]):
    """Every decision of one bulk call. `prepare(item, index)` is the item's JSON, or TypeError / ValueError;
    `prepare_batch(items, start)`, when given, does the same for consecutive items at once (faster)."""

    def __init__(
        self,
        plan: BulkPlan,
        prepare: Callable[[object, int], object],
        now: float,
        *,
        prepare_batch: Callable[[Sequence[object], int], list[object]] | None = None,
        settled: Iterable[tuple[int, int]] = (),
        jitter: Callable[[], float] = random.random,
    ) -> None:
        self.plan, self._prepare, self._jitter = plan, prepare, jitter
        self._prepare_batch = prepare_batch or (
            lambda batch, start: [prepare(x, i) for i, x in enumerate(batch, start)]
        )
        self.pacer = Pacer.start(plan, now)
        self._skip = _Skipper(settled)
        self._started = now
        self._forming = Chunk()
        self._ready: deque[Chunk] = deque()  # to send; a chunk to send again goes first
        self._read = 0  # items taken from the input
        self.in_flight = self._in_flight_items = 0
        self._ended = False
        self.stopped: BatchError | None = None
        self.accepted = self.rejected = self.unknown = self.skipped = self.requests = self.rate_limited = 0
        self._stall = 0  # 429s that lowered the pace since the last accepted chunk
        self._bisect, self._barren = True, 0
        self._results: list[tuple[int, R]] = []
        self._failures: list[BulkFailure] = []
        self._reported = 0  # failures handed over by progress()
        self._accepted_log: deque[tuple[float, int]] = deque()
        self.records: list[tuple[str, Sequence[int]]] = []  # ("a" | "r" | "u", indices) settled, for the checkpoint

    @property
    def _open(self) -> int:
        """Items read and not settled yet: every item read ends accepted, rejected, unknown or skipped."""
        return self._read - self.accepted - self.rejected - self.unknown - self.skipped

    @property
    def done(self) -> bool:
        return (self._ended or self.stopped is not None) and self._open == 0

    # -- reading ----------------------------------------------------------------------------------------------

    def wants(self) -> int:
        """How many items to read now: 0 once max_in_flight + 2 chunks' worth are read and not settled."""
        if self._ended or self.stopped is not None:
            return 0
        room = (self.plan.max_in_flight + 2) * self.plan.chunk_size - self._open
        return min(room, self.plan.chunk_size) if room > 0 else 0

    def feed(self, batch: Sequence[object]) -> None:
        """The next items of the input, in order."""
        start, prepare = self._read, self._prepare
        self._read += len(batch)
        if not self._skip.any(start, self._read):
            try:  # the common case: nothing to skip, nothing invalid
                self._chunk(range(start, self._read), list(batch), self._prepare_batch(batch, start))
                return
            except (TypeError, ValueError):
                pass  # the same again, item by item
        kept: tuple[list[int], list[object], list[object]] = ([], [], [])
        for index, item in enumerate(batch, start):
            if self._skip(index):
                self.skipped += 1
                continue
            try:
                value = prepare(item, index)
            except (TypeError, ValueError) as error:  # rejected alone: the others chunk on without it
                self.rejected += 1
                self._failures.append(BulkFailure(index, (item,), error, "rejected"))
                self.records.append(("r", [index]))
                continue
            kept[0].append(index)
            kept[1].append(item)
            kept[2].append(value)
        self._chunk(*kept)

    def _chunk(self, indices: Sequence[int], items: list[object], payload: list[object]) -> None:
        """Add checked items to the chunk being formed, which goes to the ready ones each time it is full."""
        size, done = self.plan.chunk_size, 0
        if len(indices) == size and not self._forming.indices:  # the common case: one whole chunk, taken as it is
            self._ready.append(Chunk(indices, items, payload))
            return
        while done < len(indices):
            forming = self._forming
            take = slice(done, done + size - len(forming))
            forming.indices = [*forming.indices, *indices[take]]
            forming.items += items[take]
            forming.payload += payload[take]
            done += take.stop - take.start
            if len(forming) == size:
                self._ready.append(forming)
                self._forming = Chunk()

    def end_of_input(self) -> None:
        self._ended = True
        if self._forming.indices:
            self._ready.append(self._forming)
            self._forming = Chunk()

    # -- sending ----------------------------------------------------------------------------------------------

    def next_send(self, now: float) -> Attempt | float | None:
        """An attempt to start now, or the seconds before one may start, or None (wait for an answer or input)."""
        if self.stopped is not None or self.in_flight >= self.plan.max_in_flight or not self._ready:
            return None
        chunk = self._ready[0]
        if chunk.not_before > now:  # waiting out a retry's backoff (rare): the first other chunk that may go
            other = next((c for c in self._ready if c.not_before <= now), None)
            if other is None:
                return min(c.not_before for c in self._ready) - now
            chunk = other
        wait = self.pacer.delay(len(chunk), now)
        if wait > 0:
            return wait
        if chunk is self._ready[0]:
            self._ready.popleft()
        else:
            self._ready.remove(chunk)
        self.pacer.take(len(chunk), now)
        self.in_flight += 1
        self._in_flight_items += len(chunk)
        self.requests += 1
        return Attempt(chunk, self.pacer.generation)

    def settle(self, attempt: Attempt, result: R | None, error: Exception | None, now: float) -> None:
        """The answer to `attempt`: its parsed result, or the error its one request ended in."""
        chunk = attempt.chunk
        self.in_flight -= 1
        self._in_flight_items -= len(chunk)
        if error is None:
            self._accept(chunk, result, now)  # type: ignore[arg-type]
            return
        if isinstance(error, ItemsRejected):
            kept = self._drop(chunk, error.errors)
            if kept is not None and self.stopped is not None:
                self._fail(kept, self.stopped, "rejected")
            elif kept is not None:
                self._ready.appendleft(kept)
            return
        if self.stopped is not None:  # stopping: nothing is sent again
            self._fail(chunk, error, outcome_of(error))
            return
        if isinstance(error, APIError) and error.status_code == 429:
            self._throttled(attempt, error, now)
            return
        if isinstance(error, APIError) and error.status_code == 400 and self._split(chunk):
            return
        failure = failure_of(error)
        delay = None if failure is None else self._retry_delay(failure, chunk.retries)
        if delay is not None:
            chunk.retries += 1
            chunk.not_before = now + delay
            self._ready.appendleft(chunk)
            return
        self._fail(chunk, error, outcome_of(error))
        if stops_the_run(error):
            self._stop(error)  # type: ignore[arg-type]

    def _throttled(self, attempt: Attempt, error: APIError, now: float) -> None:
        self.rate_limited += 1
        if attempt.generation < self.pacer.generation:
            self.pacer.echo(now, error.retry_after)
            self._ready.appendleft(attempt.chunk)
            return
        # 429s lower the pace rather than count against the chunk; the rule's budget counts those since the last
        # accepted chunk, so that a server refusing everything ends the run after max_retries backoffs.
        self._stall += 1
        delay = self._retry_delay(Failure(429, error.retry_after), self._stall - 1)
        if delay is None:
            self._fail(attempt.chunk, error, "rejected")
            self._stop(error)
            return
        self.pacer.throttled(now, retry_after=error.retry_after, rule_delay=delay, stall=self._stall)
        self._ready.appendleft(attempt.chunk)

    def _drop(self, chunk: Chunk, errors: dict[int, Exception]) -> Chunk | None:
        """Reject alone the items of `chunk` its request could not hold: the others, to send again (or None).
        Nothing was sent."""
        self.requests -= 1
        indices: list[int] = []
        kept = Chunk(indices, retries=chunk.retries, family=chunk.family)
        for position, (index, item, value) in enumerate(zip(chunk.indices, chunk.items, chunk.payload, strict=True)):
            if position in errors:
                self.rejected += 1
                self._failures.append(BulkFailure(index, (item,), errors[position], "rejected"))
                self.records.append(("r", [index]))
            else:
                indices.append(index)
                kept.items.append(item)
                kept.payload.append(value)
        if len(kept) == len(chunk):  # nothing named: a bug of the seam, which must not loop
            raise RuntimeError("a chunk's request could not be built, but no item was named")
        if kept.indices:
            return kept
        self._settled_part(chunk, accepted=False)
        return None

    def _retry_delay(self, failure: Failure, retries_done: int) -> float | None:
        plan = self.plan
        return retry_delay(
            plan.policy, failure, retries_done=retries_done, idempotent=plan.idempotent, jitter=self._jitter()
        )

    def _split(self, chunk: Chunk) -> bool:
        """Send the halves of a chunk that got a 400 (which applies nothing), to find the items it is about: about
        2 log2(n) calls for one bad item. After two chunks whose every part was refused, the 400 is not about
        items (the body= fields, say): later 400s reject their chunk whole."""
        if len(chunk) < 2 or not self._bisect:
            return False
        family = chunk.family or _Family(budget=4 * math.ceil(math.log2(len(chunk))))
        if family.budget < 2:
            return False
        family.budget -= 2
        family.open += 1
        first, second = chunk.halves(family)
        self._ready.extendleft((second, first))
        return True

    def _settled_part(self, chunk: Chunk, accepted: bool) -> None:
        family = chunk.family
        if family is None:
            return
        family.open -= 1
        family.accepted |= accepted
        if family.open == 0:
            self._barren = 0 if family.accepted else self._barren + 1
            self._bisect = self._barren < 2

    def _accept(self, chunk: Chunk, result: R, now: float) -> None:
        count = len(chunk)
        self.accepted += count
        self._stall = 0
        self._results.append((chunk.start, result))
        self.records.append(("a", chunk.indices))
        self.pacer.accepted(count)
        self._accepted_log.append((now, count))
        self._settled_part(chunk, accepted=True)

    def _fail(self, chunk: Chunk, error: Exception, outcome: Outcome) -> None:
        count = len(chunk)
        if outcome == "unknown":
            self.unknown += count
        else:
            self.rejected += count
        self._failures.append(BulkFailure(chunk.start, tuple(chunk.items), error, outcome))
        if outcome == "unknown" or not stops_the_run(error):  # else a resumed run sends them again
            self.records.append((outcome[0], chunk.indices))
        self._settled_part(chunk, accepted=False)

    def _stop(self, error: BatchError) -> None:
        """Stop reading; what was read and not sent is rejected with `error` (and sent again by a resumed run)."""
        if self.stopped is None:
            self.stopped = error
        if self._forming.indices:
            self._ready.append(self._forming)
            self._forming = Chunk()
        while self._ready:
            self._fail(self._ready.popleft(), error, "rejected")

    # -- reporting --------------------------------------------------------------------------------------------

    def progress(self, now: float) -> BulkProgress:
        log = self._accepted_log
        while log and log[0][0] < now - RATE_WINDOW:
            log.popleft()
        span = min(RATE_WINDOW, max(now - self._started, 1e-3))
        failures, self._reported = tuple(self._failures[self._reported :]), len(self._failures)
        return BulkProgress(
            read=self._read,
            accepted=self.accepted,
            rejected=self.rejected,
            unknown=self.unknown,
            skipped=self.skipped,
            in_flight=self._in_flight_items,
            rate=sum(n for _, n in log) / span,
            rate_limited=self.rate_limited,
            requests=self.requests,
            elapsed=now - self._started,
            failures=failures,
        )

    def result(self) -> BulkResult[R]:
        return BulkResult(
            accepted=self.accepted,
            rejected=self.rejected,
            unknown=self.unknown,
            failures=tuple(sorted(self._failures, key=lambda f: f.start)),
            results=tuple(r for _, r in sorted(self._results, key=lambda pair: pair[0])),
            skipped=self.skipped,
            stopped=self.stopped,
            requests=self.requests,
            rate_limited=self.rate_limited,
        )
