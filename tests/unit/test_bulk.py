"""The bulk core (batch_rest._bulk): every decision of a bulk call, over plain data and a fake clock.

No sockets, threads or generated operation: items are checked by a `prepare` of the test's own, answers are the
client's error objects, and time is what the test says. The drivers and the typed methods are checked against the
chunkable fixture operations in tests/operations/checks/check_bulk*.py.
"""

from __future__ import annotations

import heapq
import itertools
import math
import pickle
import random
from collections.abc import Callable, Iterator

import httpx
import pytest

from batch_rest._bulk import (
    DECREASE,
    PACE_MARGIN,
    Attempt,
    BulkCore,
    BulkPlan,
    BulkResult,
    ItemsRejected,
    outcome_of,
    stops_the_run,
)
from batch_rest._retry import RetryPolicy
from batch_rest.errors import (
    APIError,
    AuthenticationError,
    BadRequestError,
    BatchConnectionError,
    BatchTimeoutError,
    ClientClosedError,
    MalformedResponseError,
    RateLimitError,
    ServiceUnavailableError,
    error_for_response,
)

POLICY = RetryPolicy(max_retries=3, initial_backoff=0.5, max_backoff=8.0)


def plan(**overrides: object) -> BulkPlan:
    settings: dict[str, object] = {
        "chunk_size": 10,
        "max_in_flight": 4,
        "items_per_second": None,
        "items_burst": None,
        "requests_per_second": None,
        "requests_burst": None,
        "policy": POLICY,
        "idempotent": False,
    }
    return BulkPlan(**{**settings, **overrides})  # type: ignore[arg-type]


def api_error(status: int, retry_after: float | None = None) -> APIError:
    """The error the client makes of such an answer (its own status -> class mapping, its Retry-After reading)."""
    headers = {} if retry_after is None else {"Retry-After": str(retry_after)}
    return error_for_response(
        httpx.Response(status, headers=headers, request=httpx.Request("POST", "https://api.example/x"))
    )


def connection_error(*, sent: bool, timeout: bool = False) -> BatchConnectionError:
    error = (BatchTimeoutError if timeout else BatchConnectionError)("dropped")
    error.request_sent = sent
    return error


def malformed() -> MalformedResponseError:
    return MalformedResponseError("not JSON", status_code=202, method="POST", url="u", body_excerpt="<html>")


def plain(item: object, index: int) -> object:
    """The tests' `prepare`: an int is its own JSON; anything else is refused, naming the item."""
    if isinstance(item, bool) or not isinstance(item, int):
        raise TypeError(f"items[{index}]: must be an int")
    return item


Answer = Callable[[Attempt], tuple[object, Exception | None]]


def accept_all(attempt: Attempt) -> tuple[object, Exception | None]:
    return ("ok", attempt.chunk.start), None


class Run:
    """Drives a core the way the drivers do, with a fake clock: answers come `latency` seconds after sending."""

    def __init__(
        self,
        core_plan: BulkPlan,
        answer: Answer = accept_all,
        *,
        latency: float = 0.01,
        late: float = 0.0,
        **kwargs: object,
    ):
        self.now, self.late = 0.0, late  # late: how much longer than asked each wait lasts (a sleepy thread)
        self.core: BulkCore[object] = BulkCore(core_plan, plain, self.now, jitter=lambda: 0.0, **kwargs)  # type: ignore[arg-type]
        self.answer, self.latency = answer, latency
        self.sent: list[tuple[float, list[int]]] = []  # (when, indices) of every attempt
        self.most_open = 0  # the most items read and not settled at any time
        self.waits: list[float] = []

    def records(self) -> list[tuple[str, list[int]]]:
        """The core's records, their indices as lists (the core keeps a range while they are consecutive)."""
        return [(letter, list(indices)) for letter, indices in self.core.records]

    def go(self, items: Iterator[object] | list[object], *, steps: int = 1_000_000) -> BulkResult[object]:
        source, core, pending = iter(items), self.core, []
        for _ in range(steps):
            if core.done:
                return core.result()
            while wanted := core.wants():
                batch = [item for _, item in zip(range(wanted), source, strict=False)]
                core.feed(batch)
                if len(batch) < wanted:
                    core.end_of_input()
                    break
            step = core.next_send(self.now)
            while isinstance(step, Attempt):
                self.sent.append((self.now, list(step.chunk.indices)))
                heapq.heappush(pending, (self.now + self.latency, len(self.sent), step))
                step = core.next_send(self.now)
            settled = core.accepted + core.rejected + core.unknown + core.skipped
            self.most_open = max(self.most_open, core._read - settled)
            if core.done:
                continue
            if pending and (step is None or pending[0][0] <= self.now + step):
                when, _, attempt = heapq.heappop(pending)
                self.now = max(self.now, when)
                result, error = self.answer(attempt)
                core.settle(attempt, result, error, self.now)
            elif step is not None:
                self.waits.append(step)
                self.now += step + self.late
            else:
                raise AssertionError("the core stalled: nothing in flight, to send or to read")
        raise AssertionError("the run did not end")


def accounted(result: BulkResult[object], read: int) -> None:
    """Each item read ends in exactly one outcome, and the failures hold exactly the items not accepted."""
    assert result.accepted + result.rejected + result.unknown + result.skipped == read
    failed = [item for failure in result.failures for item in failure.items]
    assert len(failed) == result.rejected + result.unknown
    for outcome in ("rejected", "unknown"):
        count = sum(len(f.items) for f in result.failures if f.outcome == outcome)
        assert count == getattr(result, outcome)


# -- chunking ------------------------------------------------------------------------------------------------


def test_items_are_chunked_in_input_order_with_their_indices():
    run = Run(plan(chunk_size=10))
    result = run.go(list(range(45)))
    assert [indices for _, indices in run.sent] == [list(range(s, min(s + 10, 45))) for s in range(0, 45, 10)]
    assert (result.accepted, result.rejected, result.unknown, result.requests) == (45, 0, 0, 5)
    assert list(result.results) == [("ok", start) for start in range(0, 45, 10)]  # one per chunk, input order
    assert result.ok


def test_an_invalid_item_is_rejected_alone_and_the_others_chunk_on_without_it():
    items: list[object] = list(range(25))
    items[3], items[17] = "three", None
    run = Run(plan(chunk_size=10))
    result = run.go(items)
    sent = [i for _, indices in run.sent for i in indices]
    assert sent == [i for i in range(25) if i not in (3, 17)]
    assert [len(indices) for _, indices in run.sent] == [10, 10, 3]  # chunks stay full without them
    assert [(f.start, f.items, f.outcome) for f in result.failures] == [
        (3, ("three",), "rejected"),
        (17, (None,), "rejected"),
    ]
    assert str(result.failures[1].error) == "items[17]: must be an int"
    assert (result.accepted, result.rejected) == (23, 2)
    assert ("r", [17]) in run.records()
    assert not result.ok


def test_items_a_request_cannot_hold_are_rejected_alone_and_the_others_go_again():
    # The seam serialises models when their chunk is sent; one that cannot be is named, nothing is sent.
    def answer(attempt: Attempt) -> tuple[object, Exception | None]:
        if 13 in attempt.chunk.indices:
            position = attempt.chunk.indices.index(13)
            return None, ItemsRejected({position: TypeError("items[13]: cannot be serialised")})
        return accept_all(attempt)

    run = Run(plan(chunk_size=10), answer)
    result = run.go(list(range(30)))
    assert (result.accepted, result.rejected, result.requests) == (29, 1, 3)
    (failure,) = result.failures
    assert (failure.start, failure.items, str(failure.error)) == (13, (13,), "items[13]: cannot be serialised")
    assert [indices for _, indices in run.sent][-1] == [10, 11, 12, 14, 15, 16, 17, 18, 19]


def test_items_a_request_cannot_hold_while_the_run_stops():
    def answer(attempt: Attempt) -> tuple[object, Exception | None]:
        if attempt.chunk.start == 0:
            return None, api_error(401)
        return None, ItemsRejected({0: TypeError("items[10]: cannot be serialised")})

    run = Run(plan(chunk_size=10, max_in_flight=2), answer)
    result = run.go(list(range(100)))
    assert isinstance(result.stopped, AuthenticationError)
    assert [(f.start, len(f.items), type(f.error)) for f in result.failures][:3] == [
        (0, 10, AuthenticationError),
        (10, 1, TypeError),
        (11, 9, AuthenticationError),  # the rest of that chunk: not sent again once the run stops
    ]
    accounted(result, run.core._read)


def test_the_input_is_read_at_most_max_in_flight_plus_two_chunks_ahead():
    consumed = 0

    def edits() -> Iterator[int]:  # a million items: the core must hold a bounded number of them
        nonlocal consumed
        for index in range(1_000_000):
            consumed += 1
            yield index

    run = Run(plan(chunk_size=200, max_in_flight=4), latency=0.05)
    result = run.go(edits())
    assert (consumed, result.accepted) == (1_000_000, 1_000_000)
    assert run.most_open <= (4 + 2) * 200


def test_the_last_partial_chunk_goes_when_the_input_ends():
    run = Run(plan(chunk_size=10))
    result = run.go(list(range(3)))
    assert ([indices for _, indices in run.sent], result.accepted) == ([[0, 1, 2]], 3)


def test_an_empty_input_sends_nothing():
    run = Run(plan())
    result = run.go([])
    assert (result.accepted, result.requests, run.sent, result.ok) == (0, 0, [], True)


# -- pacing --------------------------------------------------------------------------------------------------


def test_the_documented_burst_goes_at_once_then_the_documented_rate():
    # /profiles/update: 300 items/s, burst 1,000; chunks of 200.
    run = Run(plan(chunk_size=200, max_in_flight=10, items_per_second=300, items_burst=1000), latency=0.001)
    run.go(list(range(3000)))
    times = [when for when, _ in run.sent]
    assert times[:5] == [0.0] * 5  # the burst: 1,000 items, no more
    gaps = [b - a for a, b in itertools.pairwise(times[5:])]
    assert times[5] == pytest.approx(200 / (300 * PACE_MARGIN))
    assert all(gap == pytest.approx(200 / (300 * PACE_MARGIN)) for gap in gaps)  # then just under 300 items/s


def test_without_a_documented_burst_only_one_chunk_goes_at_once():
    run = Run(plan(chunk_size=100, max_in_flight=8, items_per_second=1000), latency=0.001)
    run.go(list(range(1000)))
    times = [when for when, _ in run.sent]
    assert times[0] == 0.0
    assert times[1] == pytest.approx(100 / (1000 * PACE_MARGIN))
    achieved = 900 / times[-1]  # the items after the first chunk, over the time they took
    assert achieved == pytest.approx(1000 * PACE_MARGIN)


def test_waking_up_late_loses_no_pace():
    # 100 items every 10 ms; the driver wakes up 3 ms late every time (a busy event loop, a descheduled thread).
    run = Run(plan(chunk_size=100, max_in_flight=4, items_per_second=10_000), latency=0.001, late=0.003)
    run.go(list(range(20_000)))
    times = [when for when, _ in run.sent]
    achieved = (20_000 - 100) / times[-1]
    assert achieved == pytest.approx(10_000 * PACE_MARGIN, rel=0.02)  # not 100 items / 13 ms


def test_requests_per_second_paces_calls_whatever_their_size():
    # /catalogs/items/edit: 5 requests/s and 1,000 items/s; chunks of 20 items, so requests bind.
    run = Run(plan(chunk_size=20, items_per_second=1000, requests_per_second=5), latency=0.001)
    run.go(list(range(200)))
    times = [when for when, _ in run.sent]
    assert [b - a for a, b in itertools.pairwise(times)] == pytest.approx([1 / (5 * PACE_MARGIN)] * 9)


def test_with_no_limit_known_chunks_go_as_fast_as_max_in_flight_allows():
    run = Run(plan(chunk_size=10, max_in_flight=3), latency=0.1)
    run.go(list(range(90)))
    times = [when for when, _ in run.sent]
    assert times == pytest.approx([0.0] * 3 + [0.1] * 3 + [0.2] * 3)


def rate_limited_once(indices: set[int], retry_after: float | None = None) -> Answer:
    """A 429 the first time a chunk starting at one of `indices` is sent."""
    seen: set[int] = set()

    def answer(attempt: Attempt) -> tuple[object, Exception | None]:
        start = attempt.chunk.start
        if start in indices and start not in seen:
            seen.add(start)
            return None, api_error(429, retry_after)
        return accept_all(attempt)

    return answer


def test_a_429_pauses_every_worker_and_lowers_the_pace_which_climbs_back():
    run = Run(plan(chunk_size=100, max_in_flight=4, items_per_second=1000), rate_limited_once({300}), latency=0.01)
    result = run.go(list(range(5000)))
    assert (result.accepted, result.rate_limited, result.requests) == (5000, 1, 51)
    times = {indices[0]: when for when, indices in reversed(run.sent)}  # first sending of each chunk
    limited_at = times[300] + 0.01
    pace = 1000 * PACE_MARGIN
    # Nothing goes for a chunk's worth of the lowered pace, and then at the lowered pace.
    after = sorted(when for when, _ in run.sent if when > limited_at)
    assert after[0] == pytest.approx(limited_at + 100 / (pace * DECREASE), rel=1e-6)
    assert after[1] - after[0] == pytest.approx(100 / (pace * DECREASE + 0.1 * 100), rel=1e-3)  # +1 accepted
    assert run.core.pacer.items is not None
    assert run.core.pacer.items.rate == pytest.approx(pace)  # climbed back to just under the limit, not above


def test_a_429_retry_after_is_honoured_by_every_worker():
    run = Run(plan(chunk_size=10, max_in_flight=4), rate_limited_once({0}, retry_after=7.0), latency=0.01)
    result = run.go(list(range(100)))
    assert result.accepted == 100
    resent = [when for when, indices in run.sent if when > 0.0]
    assert min(resent) == pytest.approx(7.01)  # the 3 others in flight came back fine; nothing left before 7 s


def test_the_429s_of_chunks_already_in_flight_lower_the_pace_once():
    run = Run(plan(chunk_size=10, max_in_flight=4), rate_limited_once({0, 10, 20, 30}))
    pacer = run.core.pacer
    run.go(list(range(40)))
    assert run.core.rate_limited == 4
    assert pacer.generation == 1  # one decrease: the other three were answers to the same burst


def test_with_no_limit_known_the_first_429_sets_a_pace_under_the_rate_that_was_too_fast():
    run = Run(plan(chunk_size=10, max_in_flight=4), rate_limited_once({40}), latency=0.1)
    assert run.core.pacer.items is None
    run.go(list(range(200)))
    items = run.core.pacer.items
    assert items is not None
    # 50 items a 0.1 s round trip... (40 sent in the last 0.1 s, over a floor of 0.05 s), less a fifth, plus climbing
    assert 0 < items.rate < 40 / 0.1 * 1.5


def simulate(limit: float, burst: float, *, given: float | None, seed: int) -> tuple[float, float]:
    """The core against a token-bucket server (`limit` items/s, `burst`), 20 ms round trips with up to 10 ms of
    jitter: the share of the limit it reaches, and the share of requests that got a 429."""
    rnd = random.Random(seed)
    core: BulkCore[object] = BulkCore(plan(chunk_size=200, items_per_second=given), plain, 0.0, jitter=rnd.random)
    now, tokens, stamp, answers, read, limited = 0.0, burst, 0.0, [], 0, 0
    while not core.done:
        if wanted := core.wants():
            core.feed(list(range(read, min(read + wanted, 200_000))))
            read = min(read + wanted, 200_000)
            if read == 200_000:
                core.end_of_input()
            continue
        step = core.next_send(now)
        while isinstance(step, Attempt):
            arrives = now + 0.01 + rnd.random() * 0.005
            tokens, stamp = min(burst, tokens + (arrives - stamp) * limit), arrives
            ok = tokens >= len(step.chunk)
            tokens -= len(step.chunk) if ok else 0
            limited += not ok
            heapq.heappush(answers, (arrives + 0.01 + rnd.random() * 0.005, id(step), step, ok))
            step = core.next_send(now)
        if answers and (step is None or answers[0][0] <= now + step):
            when, _, attempt, ok = heapq.heappop(answers)
            now = max(now, when)
            core.settle(attempt, "ok" if ok else None, None if ok else api_error(429), now)
        else:
            assert step is not None
            now += step
    assert core.accepted == 200_000
    return core.accepted / now / limit, limited / core.requests


@pytest.mark.parametrize("seed", [1, 2])
def test_an_unknown_limit_is_found_from_429s(seed):
    # The benchmark's server: 20,000 items/s, burst 2,000. The client is told nothing.
    share, limited = simulate(20_000, 2_000, given=None, seed=seed)
    assert share >= 0.9, share
    assert limited <= 0.02, limited


def test_a_given_limit_is_reached_without_429s():
    share, limited = simulate(20_000, 2_000, given=20_000, seed=3)
    assert share >= 0.95
    assert limited == 0


# -- outcomes ------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("error", "outcome", "stops"),
    [
        (api_error(400), "rejected", False),
        (api_error(409), "rejected", False),
        (api_error(401), "rejected", True),
        (api_error(403), "rejected", True),
        (api_error(404), "rejected", True),
        (api_error(429), "rejected", True),
        (api_error(503), "rejected", True),
        (api_error(500), "unknown", False),
        (api_error(502), "unknown", False),
        (api_error(520), "unknown", False),
        (api_error(307), "unknown", False),
        (connection_error(sent=False), "rejected", True),
        (connection_error(sent=True), "unknown", False),
        (connection_error(sent=True, timeout=True), "unknown", False),
        (malformed(), "unknown", False),
        (ClientClosedError("closed"), "rejected", True),
        (TypeError("items[3]: must be string"), "rejected", False),
    ],
)
def test_what_an_error_means_for_the_items_of_its_chunk(error, outcome, stops):
    assert (outcome_of(error), stops_the_run(error)) == (outcome, stops)


def failing(errors: dict[int, list[Exception]]) -> Answer:
    """Answers for chunks by their start: each listed error once, in order, then acceptance."""

    def answer(attempt: Attempt) -> tuple[object, Exception | None]:
        queue = errors.get(attempt.chunk.start)
        if queue:
            return None, queue.pop(0)
        return accept_all(attempt)

    return answer


def test_a_5xx_is_unknown_and_never_sent_again():
    run = Run(plan(), failing({10: [api_error(500)]}))
    result = run.go(list(range(30)))
    assert (result.accepted, result.unknown, result.requests) == (20, 10, 3)
    (failure,) = result.failures
    assert (failure.start, failure.items, failure.outcome, failure.error.status_code) == (
        10,
        tuple(range(10, 20)),
        "unknown",
        500,
    )
    assert ("u", list(range(10, 20))) in run.records()  # never sent again by a resumed run either


def test_with_idempotent_a_5xx_or_a_dropped_connection_is_retried():
    errors = {10: [api_error(500), connection_error(sent=True)]}
    run = Run(plan(idempotent=True), failing(errors))
    result = run.go(list(range(30)))
    assert (result.accepted, result.unknown, result.requests) == (30, 0, 5)
    assert [indices[0] for _, indices in run.sent].count(10) == 3


def test_idempotent_retries_that_persist_end_unknown():
    run = Run(plan(idempotent=True), failing({0: [api_error(502)] * 4}))
    result = run.go(list(range(10)))
    assert (result.unknown, result.requests, result.stopped) == (10, 4, None)


def test_a_503_is_retried_with_the_rule_s_backoff():
    run = Run(plan(), failing({0: [api_error(503), api_error(503)]}), latency=0.0)
    result = run.go(list(range(10)))
    assert (result.accepted, result.requests) == (10, 3)
    assert [when for when, _ in run.sent] == pytest.approx([0.0, 0.5, 1.5])  # 0.5 s, then 1 s (no jitter)


def test_a_chunk_waiting_out_its_backoff_lets_the_chunks_behind_it_go():
    run = Run(plan(chunk_size=10, max_in_flight=2), failing({0: [api_error(503)]}), latency=0.1)
    result = run.go(list(range(40)))
    assert (result.accepted, result.requests) == (40, 5)
    # 0 is answered 503 at 0.1 s and may go again at 0.6 s: 20 and 30 go meanwhile, behind it in the queue.
    assert [indices[0] for _, indices in run.sent] == [0, 10, 20, 30, 0]
    assert [when for when, _ in run.sent] == pytest.approx([0.0, 0.0, 0.1, 0.1, 0.6])
    assert list(result.results) == [("ok", start) for start in range(0, 40, 10)]


def test_a_failure_the_server_did_nothing_about_that_persists_stops_the_run():
    # 503 through every retry after the first chunk: Batch is under maintenance; the rest would fail the same way.
    def answer(attempt: Attempt) -> tuple[object, Exception | None]:
        return (None, api_error(503)) if attempt.chunk.start >= 10 else accept_all(attempt)

    run = Run(plan(chunk_size=10, max_in_flight=2), answer)
    items = iter(range(1000))
    result = run.go(items)
    assert isinstance(result.stopped, ServiceUnavailableError)
    assert result.accepted == 10
    assert result.rejected == run.core._read - 10  # what was read and not accepted: rejected, none lost
    accounted(result, run.core._read)
    assert run.core._read < 100  # the input was not read on
    assert next(items) == run.core._read  # the rest is still in the iterable
    assert not [r for r in run.core.records if r[0] == "r"]  # not recorded: a resumed run sends them again


@pytest.mark.parametrize("status", [401, 403, 404])
def test_an_error_every_chunk_would_get_stops_the_run_at_once(status):
    run = Run(plan(chunk_size=10, max_in_flight=2), lambda attempt: (None, api_error(status)))
    result = run.go(iter(range(10_000)))
    assert result.requests == 2  # the two in flight; no third
    assert (result.accepted, result.stopped.status_code) == (0, status)
    accounted(result, run.core._read)
    assert result.rejected == run.core._read <= 6 * 10


def test_a_400_is_bisected_to_the_bad_items_alone():
    bad = {37, 150}

    def answer(attempt: Attempt) -> tuple[object, Exception | None]:
        if bad & set(attempt.chunk.indices):
            return None, api_error(400)
        return accept_all(attempt)

    run = Run(plan(chunk_size=200), answer)
    result = run.go(list(range(200)))
    assert (result.accepted, result.rejected) == (198, 2)
    assert sorted((f.start, f.items) for f in result.failures) == [(37, (37,)), (150, (150,))]
    assert all(isinstance(f.error, BadRequestError) for f in result.failures)
    assert result.requests <= 1 + 2 * 2 * math.ceil(math.log2(200))  # about log2(n) levels of two calls per bad item
    accepted = sorted(i for r in run.core.records if r[0] == "a" for i in r[1])
    assert accepted == [i for i in range(200) if i not in bad]


def test_a_400_on_every_item_stops_bisecting_after_two_chunks():
    run = Run(plan(chunk_size=16, max_in_flight=1), lambda attempt: (None, api_error(400)))
    result = run.go(list(range(16 * 10)))
    assert result.rejected == 160
    # two chunks bisected as far as their budget goes (4 log2(16) = 16 calls more each), then one call per chunk
    assert result.requests == 2 * (1 + 16) + 8
    assert result.stopped is None


def test_429s_without_any_acceptance_end_in_a_stop_after_the_rule_s_retries():
    run = Run(plan(chunk_size=10, max_in_flight=1), lambda attempt: (None, api_error(429)), latency=0.0)
    result = run.go(iter(range(1000)))
    assert isinstance(result.stopped, RateLimitError)
    assert result.requests == POLICY.max_retries + 1
    accounted(result, run.core._read)
    # the first pause is a chunk's worth of the pace; then the rule's backoff: 1 s, 2 s (no jitter)
    assert [when for when, _ in run.sent][2:] == pytest.approx([run.sent[1][0] + 1.0, run.sent[1][0] + 3.0])


def test_429s_count_against_nothing_while_the_server_accepts_chunks():
    # A server at its limit: every other request gets a 429. The rule's budget (3 retries) counts the 429s since
    # the last accepted chunk, so the run goes on however many there are in all.
    calls = 0

    def answer(attempt: Attempt) -> tuple[object, Exception | None]:
        nonlocal calls
        calls += 1
        return (None, api_error(429)) if calls % 2 else accept_all(attempt)

    run = Run(plan(chunk_size=10, max_in_flight=1), answer)
    result = run.go(list(range(100)))
    assert (result.accepted, result.stopped, result.rate_limited) == (100, None, 10)


def test_a_stopped_run_settles_what_is_in_flight():
    answers = {0: [api_error(401)], 10: [api_error(500)]}
    run = Run(plan(chunk_size=10, max_in_flight=3), failing(answers))
    result = run.go(iter(range(100)))
    assert (result.accepted, result.unknown) == (10, 10)  # chunk 20 (in flight) accepted, chunk 10 unknown
    assert isinstance(result.stopped, AuthenticationError)
    accounted(result, run.core._read)


# -- resuming ------------------------------------------------------------------------------------------------


def test_items_a_checkpoint_accounts_for_are_skipped():
    run = Run(plan(chunk_size=10), settled=[(0, 25), (30, 31)])
    result = run.go(list(range(50)))
    assert [i for _, indices in run.sent for i in indices] == [*range(25, 30), *range(31, 50)]
    assert (result.skipped, result.accepted) == (26, 24)
    accounted(result, 50)


def test_records_say_which_items_are_settled_for_good():
    answers = {0: [api_error(500)], 10: [api_error(409)]}
    run = Run(plan(chunk_size=10, max_in_flight=1), failing(answers))
    run.go([*range(25), "bad"])
    assert sorted(run.records()) == sorted(
        [("u", list(range(10))), ("r", list(range(10, 20))), ("a", list(range(20, 25))), ("r", [25])]
    )


# -- the result ----------------------------------------------------------------------------------------------


def test_the_result_pickles_and_its_repr_is_short():
    run = Run(plan(chunk_size=10), failing({10: [api_error(500)]}))
    result = run.go(list(range(10_000)))
    copy = pickle.loads(pickle.dumps(result))
    assert (copy.accepted, copy.unknown, copy.failures[0].items) == (9990, 10, tuple(range(10, 20)))
    assert len(repr(result)) < 200
    assert "accepted=9990" in repr(result)
    assert "unknown=10" in repr(result)


def test_progress_counts_and_rate():
    run = Run(plan(chunk_size=10, items_per_second=100), latency=0.0)
    run.go(list(range(300)))
    progress = run.core.progress(run.now)
    assert (progress.read, progress.accepted, progress.in_flight, progress.requests) == (300, 300, 0, 30)
    assert progress.rate == pytest.approx(100 * PACE_MARGIN, rel=0.15)


# -- what the drivers check before any request ---------------------------------------------------------------


def test_chunk_size_is_required_where_the_document_gives_no_max_items():
    from batch_rest._bulk_io import _chunk_size

    with pytest.raises(ValueError, match="chunk_size is required: x's document gives its array no maxItems"):
        _chunk_size(None, None, "x")
    assert (_chunk_size(None, 200, "x"), _chunk_size(50, 200, "x"), _chunk_size(5000, None, "x")) == (200, 50, 5000)
    with pytest.raises(ValueError, match=r"chunk_size must be from 1 to 200 \(the document's maxItems\), got 201"):
        _chunk_size(201, 200, "x")


def test_the_result_classes_are_exported():
    import batch_rest
    from batch_rest import _bulk

    assert (batch_rest.BulkResult, batch_rest.BulkFailure, batch_rest.BulkProgress) == (
        _bulk.BulkResult,
        _bulk.BulkFailure,
        _bulk.BulkProgress,
    )
    assert {"BulkResult", "BulkFailure", "BulkProgress"} <= set(batch_rest.__all__)
