"""The fake server's rate limits (batch_rest.testing._limits): token buckets on a frozen clock, no sockets."""

from fractions import Fraction

import pytest

from batch_rest.testing import RateLimit
from batch_rest.testing._limits import Limiter, Refusal, TokenBucket, admit, count_items

S = 1_000_000_000  # nanoseconds in a second: the clock's unit
T0 = 5 * S  # any start: the buckets only count differences


def drain(bucket: TokenBucket, now: int, cost: int = 1) -> int:
    """How many requests of `cost` tokens pass in a row at `now`, taking their tokens."""
    passed = 0
    while bucket.wait(cost, now) == 0:
        bucket.take(cost)
        passed += 1
    return passed


# -- the bucket --------------------------------------------------------------------------------------------------


def test_a_bucket_starts_full_and_spends_its_burst_at_once() -> None:
    bucket = TokenBucket(rate=4, burst=10, now=T0)
    assert bucket.tokens(T0) == 10
    assert drain(bucket, T0) == 10
    assert bucket.tokens(T0) == 0


def test_it_refills_at_the_rate_and_never_past_the_burst() -> None:
    bucket = TokenBucket(rate=4, burst=10, now=T0)
    drain(bucket, T0)
    assert bucket.tokens(T0 + S // 2) == 2
    assert drain(bucket, T0 + S // 2) == 2
    assert bucket.tokens(T0 + 60 * S) == 10  # a minute idle holds one burst, not 240 tokens
    assert drain(bucket, T0 + 60 * S) == 10


def test_wait_says_exactly_when_and_refusing_takes_nothing() -> None:
    bucket = TokenBucket(rate=300, burst=1000, now=T0)
    bucket.take(1000)
    assert bucket.wait(200, T0) == 666_666_667  # 200 items at 300/s: 2/3 s, rounded up to the nanosecond
    assert bucket.wait(200, T0) == 666_666_667  # asking again took nothing
    assert bucket.wait(200, T0 + 666_666_666) == 1
    assert bucket.tokens(T0 + 666_666_666) == Fraction(199_999_999_800, 10**9)
    assert bucket.wait(200, T0 + 666_666_667) == 0
    bucket.take(200)
    assert bucket.tokens(T0 + 666_666_667) == Fraction(1, 10**7)  # the 100 ns over, kept exactly


def test_a_request_larger_than_the_burst_never_passes() -> None:
    bucket = TokenBucket(rate=1000, burst=100, now=T0)
    assert bucket.wait(101, T0 + 3600 * S) is None
    assert bucket.wait(100, T0) == 0


def test_fractional_rates_are_exact_and_do_not_drift() -> None:
    # 0.1 a second, looked at every second: as floats, ten refills of 0.1 make 0.9999999999999999 and the request
    # due at 10 s would wait till 11 s. Exactly, one request passes every 10 s, on the dot, for 100,000 s.
    bucket = TokenBucket(rate=0.1, burst=1, now=T0)
    bucket.take(1)
    passed = []
    for second in range(1, 100_001):
        if bucket.wait(1, T0 + second * S) == 0:
            bucket.take(1)
            passed.append(second)
    assert passed == list(range(10, 100_001, 10))
    slow = TokenBucket(rate=0.5, burst=1.5, now=T0)
    assert drain(slow, T0) == 1
    assert slow.tokens(T0) == Fraction(1, 2)
    assert slow.wait(1, T0) == S


def test_a_clock_going_back_counts_as_no_time_passing() -> None:
    bucket = TokenBucket(rate=10, burst=10, now=T0)
    drain(bucket, T0)
    assert bucket.wait(1, T0 - S) == S // 10
    assert bucket.tokens(T0 - S) == 0
    assert bucket.wait(1, T0 + S // 10) == 0


# -- limits of items and of requests -----------------------------------------------------------------------------


def test_items_and_requests_are_counted_in_their_own_buckets() -> None:
    limiter = Limiter(RateLimit(items_per_second=1000, requests_per_second=5), T0)  # catalogs/items/edit's
    assert [admit([(limiter, 200)], T0) for _ in range(5)] == [None] * 5  # 1,000 items in 5 requests
    refused = admit([(limiter, 1)], T0)
    assert refused == Refusal(seconds=0.2, retry_after=False)  # both empty: a request is back in 1/5 s
    # A second later: 1,000 items back, but 5 requests only
    assert [admit([(limiter, 10)], T0 + S) is None for _ in range(7)] == [True] * 5 + [False] * 2
    # Two seconds later: 5 requests back, but 1,000 items only
    assert admit([(limiter, 1000)], T0 + 2 * S) is None
    assert admit([(limiter, 1)], T0 + 2 * S) == Refusal(seconds=0.001, retry_after=False)
    assert admit([(limiter, 0)], T0 + 2 * S) is None  # an empty chunk costs a request, no item


def test_a_refused_request_takes_from_no_bucket() -> None:
    items_only = Limiter(RateLimit(items_per_second=100, items_burst=300), T0)
    server = Limiter(RateLimit(requests_per_second=2), T0)
    assert admit([(server, 1), (items_only, 250)], T0) is None
    refused = admit([(server, 1), (items_only, 100)], T0)  # the server's bucket has room, the items' does not
    assert refused == Refusal(seconds=0.5, retry_after=False)
    assert admit([(server, 1), (items_only, 50)], T0) is None  # the server's token was not spent on the refusal
    assert admit([(server, 1)], T0) is not None  # now it is: 2 requests admitted


def test_the_refusal_waits_for_every_bucket_and_says_retry_after_when_asked() -> None:
    quiet = Limiter(RateLimit(items_per_second=10, items_burst=10), T0)
    loud = Limiter(RateLimit(requests_per_second=1, retry_after=True), T0)
    assert admit([(quiet, 10), (loud, 1)], T0) is None
    refused = admit([(quiet, 5), (loud, 1)], T0)
    assert refused == Refusal(seconds=1.0, retry_after=True)  # 0.5 s for the items, 1 s for the request
    assert refused.retry_after_header() == 1
    only_quiet = admit([(quiet, 5), (loud, 1)], T0 + S)
    assert only_quiet is None
    assert Refusal(seconds=0.004, retry_after=True).retry_after_header() == 1  # whole seconds, at least 1
    assert Refusal(seconds=2.2, retry_after=True).retry_after_header() == 3
    assert Refusal(seconds=2.2, retry_after=False).retry_after_header() is None
    assert Refusal(seconds=None, retry_after=True).retry_after_header() is None  # never: no promise to make


def test_default_bursts_are_one_second_of_the_rate_and_at_least_one() -> None:
    assert str(RateLimit(items_per_second=300)) == "300 items/s (burst 300)"
    assert str(RateLimit(requests_per_second=0.5)) == "0.5 requests/s (burst 1)"
    both = RateLimit(items_per_second=20_000, items_burst=2_000, requests_per_second=5, retry_after=True)
    assert str(both) == "20000 items/s (burst 2000), 5 requests/s (burst 5), Retry-After"
    assert drain(Limiter(RateLimit(requests_per_second=0.5), T0)._buckets[0][0], T0) == 1


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        ({}, "needs items_per_second, requests_per_second, or both"),
        ({"items_per_second": 0}, "items_per_second must be a finite number > 0"),
        ({"requests_per_second": -1}, "requests_per_second must be a finite number > 0"),
        ({"items_per_second": float("inf")}, "items_per_second must be a finite number > 0"),
        ({"items_per_second": float("nan")}, "items_per_second must be a finite number > 0"),
        ({"items_per_second": True}, "items_per_second must be a finite number > 0"),
        ({"items_per_second": "20000"}, "items_per_second must be a finite number > 0"),
        ({"items_per_second": 10, "items_burst": 0.5}, "items_burst must be a finite number >= 1"),
        ({"requests_per_second": 10, "items_burst": 5}, "items_burst needs items_per_second"),
        ({"items_per_second": 10, "requests_burst": 5}, "requests_burst needs requests_per_second"),
    ],
)
def test_limits_are_checked(arguments: dict[str, object], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        RateLimit(**arguments)  # type: ignore[arg-type]


def test_limits_are_frozen_values() -> None:
    limit = RateLimit(items_per_second=10)
    assert limit == RateLimit(items_per_second=10)
    with pytest.raises(AttributeError):
        limit.items_per_second = 20  # type: ignore[misc]
    with pytest.raises(TypeError, match="retry_after"):
        RateLimit(items_per_second=10, retry_after="yes")  # type: ignore[arg-type]


def test_documented_limits_of_an_unknown_operation_are_an_error() -> None:
    with pytest.raises(ValueError, match="no operation 'nope'"):
        RateLimit.documented("nope")
    assert RateLimit.documented("segments_list") is None  # Batch documents no limit for it


# -- counting items ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("body", "array", "items"),
    [
        (b'[{"a": 1}, {"a": 2}, {"a": 3}]', None, 3),  # the body is the array
        (b"[]", None, 0),
        (b'{"name": "shop", "items": [1, 2]}', "items", 2),  # along the operation's array
        (b'{"name": "shop", "ids": [1, 2]}', "items", 1),  # not there: one call, one item
        (b'{"items": "not a list"}', "items", 1),
        (b"[1, 2]", "items", 2),  # a JSON array body counts whatever the operation says
        (b'{"items": [1, 2]}', None, 1),
        (b"", None, 1),  # no body, or not JSON: one
        (b"[1, 2", None, 1),
        (b"\xff\xfe", None, 1),
        (b"[" * 100_000, None, 1),
    ],
)
def test_items_are_counted_along_the_operations_array(body: bytes, array: str | None, items: int) -> None:
    assert count_items(body, array) == items
