"""Whether to retry a failed attempt, and how long to wait first.

Pure functions over plain data: the sync and async clients ask the same questions here and only differ in
how they sleep. An idempotent call is retried on what Stainless SDKs retry (408, 429, every 5xx, a failed
connection); a POST only when the server provably did not act on it:

    failure                                      idempotent (GET, PUT, DELETE...;       POST, PATCH
                                                 or idempotent=True)
    429, 503 (the server did nothing)            retry, honouring Retry-After           retry, the same
    connection could not be made (nothing sent)  retry                                  retry
    408, and every other 5xx (500-599: 500,      retry, honouring Retry-After           raise
      502, 504, and a CDN's 520, 522, 524...)
    dropped or timed out after sending           retry                                  raise
    anything else (400, 401, 404, 409, 3xx...)   raise                                  raise

A 408 or a 5xx does not prove that the server did nothing: a CDN's 524 means the origin took too long to answer,
not that it did not act, and a proxy may answer 408 for its upstream. So a POST is not repeated after one.
"""

from __future__ import annotations

import math
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime

from attrs import frozen

# Statuses by which the server says it did not act on the request: safe to repeat whatever the method.
NOT_ACTED_ON = frozenset({429, 503})
# Besides every 5xx, what is worth asking again when asking again is harmless: the server gave up waiting (408),
# or asks for patience (429).
TRANSIENT = frozenset({408, 429})


def retryable_status(status: int, *, idempotent: bool) -> bool:
    """Whether a response with this status is worth repeating: any transient failure when the call is idempotent,
    only what the server provably did not act on otherwise."""
    if idempotent:
        return status in TRANSIENT or 500 <= status <= 599
    return status in NOT_ACTED_ON


@frozen
class RetryPolicy:
    max_retries: int = 3
    initial_backoff: float = 0.5
    max_backoff: float = 8.0
    # Batch documents no Retry-After; a server asking for longer than this is better reported than waited on.
    max_retry_after: float = 60.0


def parse_retry_after(value: str | None, *, now: datetime | None = None) -> float | None:
    """Seconds from a Retry-After header (delta-seconds or HTTP-date); None when absent or unusable."""
    if value is None:
        return None
    value = value.strip()
    try:
        seconds = float(value)
    except ValueError:
        try:
            when = parsedate_to_datetime(value)
        except (TypeError, ValueError, IndexError, OverflowError):
            return None
        if when.tzinfo is None:
            when = when.replace(tzinfo=UTC)
        try:
            return max(0.0, (when - (now or datetime.now(UTC))).total_seconds())
        except OverflowError:  # an offset or a year datetime cannot represent
            return None
    return seconds if math.isfinite(seconds) and seconds >= 0 else None


@frozen
class Failure:
    """What went wrong with one attempt. `status` is None when no response arrived; `sent` is False when the
    request provably never reached the server (the connection could not be made)."""

    status: int | None
    retry_after: float | None = None
    sent: bool = True


def retry_delay(
    policy: RetryPolicy, failure: Failure, *, retries_done: int, idempotent: bool, jitter: float
) -> float | None:
    """Seconds to wait before the next attempt, or None to give up and raise.

    `jitter` is in [0, 1): it shortens the exponential backoff by up to a quarter so that many clients do not
    retry in lockstep. A Retry-After the server sent is honoured as is, unless it is longer than the policy allows.
    """
    if retries_done >= policy.max_retries:
        return None
    if failure.status is None:
        if failure.sent and not idempotent:
            return None
    elif not retryable_status(failure.status, idempotent=idempotent):
        return None
    if failure.retry_after is not None:
        return failure.retry_after if failure.retry_after <= policy.max_retry_after else None
    backoff: float = min(policy.initial_backoff * 2**retries_done, policy.max_backoff)
    return backoff * (1 - 0.25 * jitter)
