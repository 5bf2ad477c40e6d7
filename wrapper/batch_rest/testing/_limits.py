"""The fake server's rate limits: token buckets counting requests or items, per operation or for the server.

    FakeBatchServer(limits={"profiles_update": RateLimit(items_per_second=20_000, items_burst=2_000)})
    FakeBatchServer(documented_limits=True)  # what openapi/limits.json says Batch enforces, per operation

A `RateLimit` is up to two buckets: items a second and requests a second, each with its burst (the most it
holds; one second's worth by default). A request is admitted when every bucket that applies to it (its
operation's, and the server-wide `rate_limit=`'s) holds what the request costs, and then takes from each;
otherwise it takes from none and is refused (`admit` says for how long, the server answers 429).

A request costs 1 from a requests bucket, and its item count from an items bucket: the length of the array the
operation is chunked along (its `bulk.array` fact: a body property such as `items`, or the body itself), else
of a JSON array body, else 1. A request with more items than the burst can never pass: it is always refused.

Exact: a bucket keeps its level as an integer, in units such that a nanosecond of the clock adds a whole number
of them (the rate and the burst as fractions: 0.1 is 1/10), so that at 300 items a second exactly one item comes
back in 1/300 s, and nothing drifts over millions of requests. The clock is injectable: nanoseconds, as
`time.monotonic_ns` gives them. Cheap: a few integer operations per bucket; counting items parses the body once
more (~0.2 ms for 200 profile edits), and only for an operation with an items limit.
"""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

__all__ = ["Limiter", "RateLimit", "Refusal", "TokenBucket", "admit", "count_items"]

NANOSECONDS = 1_000_000_000


def _rate(name: str, value: object) -> None:
    if isinstance(value, bool) or not isinstance(value, int | float) or not 0 < value < math.inf:
        raise ValueError(f"{name} must be a finite number > 0, got {value!r}")


def _burst(name: str, value: object) -> None:
    if isinstance(value, bool) or not isinstance(value, int | float) or not 1 <= value < math.inf:
        raise ValueError(f"{name} must be a finite number >= 1 (a request costs at least one), got {value!r}")


@dataclass(frozen=True)
class RateLimit:
    """How fast one operation (or the whole server) answers before it answers 429.

    `items_per_second` counts the items of a request (see the module docstring), `requests_per_second` counts
    requests; give either or both. Each burst is the most its bucket holds, spent at once by a client that
    waited: by default one second's worth (at least 1). A request beyond the limit is answered 429 with
    Batch's error body; `retry_after=True` adds a `Retry-After` header (whole seconds until it would pass).
    Batch documents none, so it is off by default.
    """

    items_per_second: float | None = None
    items_burst: float | None = None
    requests_per_second: float | None = None
    requests_burst: float | None = None
    retry_after: bool = False

    def __post_init__(self) -> None:
        if self.items_per_second is None and self.requests_per_second is None:
            raise ValueError("a RateLimit needs items_per_second, requests_per_second, or both")
        for unit in ("items", "requests"):
            rate, burst = getattr(self, f"{unit}_per_second"), getattr(self, f"{unit}_burst")
            if rate is not None:
                _rate(f"{unit}_per_second", rate)
            if burst is not None:
                if rate is None:
                    raise ValueError(f"{unit}_burst needs {unit}_per_second")
                _burst(f"{unit}_burst", burst)
        if not isinstance(self.retry_after, bool):
            raise TypeError(f"retry_after must be True or False, got {self.retry_after!r}")

    @classmethod
    def documented(cls, operation: str) -> RateLimit | None:
        """The limits Batch documents for `operation` (its `limits` fact, from openapi/limits.json), None when
        it documents none; without Retry-After, which Batch does not document."""
        from batch_rest import _seam  # noqa: PLC0415 - this module is standard library only until asked

        if operation not in _seam.OPERATIONS:
            raise ValueError(f"no operation {operation!r}; known: {', '.join(sorted(_seam.OPERATIONS))}")
        facts = _seam.OPERATIONS[operation].get("limits")
        if not facts or (facts["items_per_second"] is None and facts["requests_per_second"] is None):
            return None
        return cls(facts["items_per_second"], facts["items_burst"], facts["requests_per_second"],
                   facts["requests_burst"])  # fmt: skip

    def __str__(self) -> str:
        """`20000 items/s (burst 2000), 5 requests/s (burst 5)`, as `--limit` reads it back."""
        rates = [("items", self.items_per_second, self.items_burst)]
        rates.append(("requests", self.requests_per_second, self.requests_burst))
        parts = [
            f"{rate:g} {unit}/s (burst {_default_burst(rate, burst):g})"
            for unit, rate, burst in rates
            if rate is not None
        ]
        return ", ".join(parts) + (", Retry-After" if self.retry_after else "")


def _default_burst(rate: float, burst: float | None) -> float:
    return burst if burst is not None else max(rate, 1)


def _fraction(value: float) -> Fraction:
    # str() first: the float 0.1 is 3602879701896397/36028797018963968, the rate meant is 1/10.
    return Fraction(value) if isinstance(value, int) else Fraction(str(value))


class TokenBucket:
    """`rate` tokens a second, holding at most `burst`, full at first; exact (see the module docstring).

    Not thread-safe: the server calls it under its lock.
    """

    __slots__ = ("_capacity", "_last", "_level", "_step", "_unit")

    def __init__(self, rate: float, burst: float, now: int) -> None:
        rate_, burst_ = _fraction(rate), _fraction(burst)
        # Levels are tokens times unit: a nanosecond adds `step`, and the bucket holds `capacity`, all integers.
        self._unit = rate_.denominator * burst_.denominator * NANOSECONDS
        self._step = rate_.numerator * burst_.denominator
        self._capacity = burst_.numerator * rate_.denominator * NANOSECONDS
        self._level, self._last = self._capacity, now

    def wait(self, tokens: int, now: int) -> int | None:
        """Nanoseconds from `now` until `tokens` are in the bucket: 0 when they are; None when they never will
        be (more than the burst). Takes nothing. A clock going back counts as no time passing."""
        if now > self._last:
            self._level = min(self._capacity, self._level + (now - self._last) * self._step)
            self._last = now
        needed = tokens * self._unit
        if needed > self._capacity:
            return None
        return max(0, -((self._level - needed) // self._step))  # ceil((needed - level) / step)

    def take(self, tokens: int) -> None:
        """Take `tokens`, which wait() just said are there."""
        self._level -= tokens * self._unit

    def tokens(self, now: int) -> Fraction:
        """How many tokens the bucket holds at `now` (exactly)."""
        self.wait(0, now)
        return Fraction(self._level, self._unit)


class Limiter:
    """One RateLimit's buckets, as they fill and empty."""

    __slots__ = ("_buckets", "limit")

    def __init__(self, limit: RateLimit, now: int) -> None:
        self.limit = limit
        rates = [(limit.items_per_second, limit.items_burst, True)]
        rates.append((limit.requests_per_second, limit.requests_burst, False))
        self._buckets: list[tuple[TokenBucket, bool]] = [
            (TokenBucket(rate, _default_burst(rate, burst), now), by_items)
            for rate, burst, by_items in rates
            if rate is not None
        ]

    def charges(self, items: int) -> list[tuple[TokenBucket, int]]:
        """What a request of `items` items costs, bucket by bucket."""
        return [(bucket, items if by_items else 1) for bucket, by_items in self._buckets]


@dataclass(frozen=True)
class Refusal:
    """A request the limits refuse: `seconds` until it would pass (None: never, it has more items than a
    burst), and whether a refusing limit sends Retry-After."""

    seconds: float | None
    retry_after: bool

    def retry_after_header(self) -> int | None:
        """Retry-After's value (whole seconds, at least 1), None when none is sent."""
        if not self.retry_after or self.seconds is None:
            return None
        return max(1, math.ceil(self.seconds))


def admit(charges: Sequence[tuple[Limiter, int]], now: int) -> Refusal | None:
    """None when every bucket of these limiters holds what a request of so many items costs it, and then takes
    it from each; else the Refusal, and nothing is taken from any."""
    costs = [(limiter, bucket, cost) for limiter, items in charges for bucket, cost in limiter.charges(items)]
    waits = [(limiter, bucket.wait(cost, now)) for limiter, bucket, cost in costs]
    refusing = [(limiter, wait) for limiter, wait in waits if wait != 0]
    if not refusing:
        for _, bucket, cost in costs:
            bucket.take(cost)
        return None
    never = any(wait is None for _, wait in refusing)
    seconds = None if never else max(wait or 0 for _, wait in refusing) / NANOSECONDS
    return Refusal(seconds, any(limiter.limit.retry_after for limiter, _ in refusing))


def count_items(body: bytes, array: str | None) -> int:
    """The items of a request body: the length of property `array` of a JSON object (None: of the body
    itself), else of a JSON array body, else 1."""
    try:
        value: Any = json.loads(body)
    except (ValueError, RecursionError):
        return 1
    if array is not None and isinstance(value, dict):
        value = value.get(array)
    return len(value) if isinstance(value, list) else 1
