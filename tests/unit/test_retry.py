"""The retry decisions: pure functions, no clock, no sockets."""

from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

import pytest

from batch_rest._retry import Failure, RetryPolicy, parse_retry_after, retry_delay, retryable_status

NOW = datetime(2026, 11, 26, 12, 0, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("header", "seconds"),
    [("0", 0.0), ("7", 7.0), (" 12 ", 12.0), ("1.5", 1.5), ("3600", 3600.0)],
)
def test_retry_after_in_delta_seconds(header, seconds):
    assert parse_retry_after(header, now=NOW) == seconds


def test_retry_after_as_http_date():
    header = format_datetime(NOW + timedelta(seconds=30), usegmt=True)
    assert parse_retry_after(header, now=NOW) == pytest.approx(30.0)


def test_retry_after_date_in_the_past_means_now():
    header = format_datetime(NOW - timedelta(minutes=5), usegmt=True)
    assert parse_retry_after(header, now=NOW) == 0.0


@pytest.mark.parametrize("header", [None, "", "soon", "-5", "nan", "inf", "1e400", "Mon, 99 Foo 2026", "0x10"])
def test_unusable_retry_after_is_ignored(header):
    assert parse_retry_after(header, now=NOW) is None


POLICY = RetryPolicy(max_retries=3, initial_backoff=0.5, max_backoff=8.0, max_retry_after=60.0)


def delay(status, *, retries_done=0, retry_after=None, jitter=0.0, idempotent=True, sent=True, policy=POLICY):
    failure = Failure(status, retry_after, sent=sent)
    return retry_delay(policy, failure, retries_done=retries_done, idempotent=idempotent, jitter=jitter)


# Every 5xx, the non-standard ones included: a CDN in front of an API sends 520 (unknown error), 521 (origin down),
# 522 (connection timed out), 523, 524 (the origin took too long), 525-530.
EVERY_5XX = list(range(500, 600))
IDEMPOTENT_ONLY = [408, *(s for s in EVERY_5XX if s != 503)]


@pytest.mark.parametrize("status", [408, 429, *EVERY_5XX])
def test_an_idempotent_call_is_retried_on_408_429_and_every_5xx(status):
    assert delay(status) == 0.5
    assert retryable_status(status, idempotent=True)


@pytest.mark.parametrize("status", [100, 200, 204, 302, 307, 400, 401, 403, 404, 405, 409, 418, 422, 499, 600, 999])
def test_other_statuses_are_not_retried(status):
    assert delay(status) is None
    assert delay(status, idempotent=False) is None
    assert not retryable_status(status, idempotent=True)
    assert not retryable_status(status, idempotent=False)


@pytest.mark.parametrize("status", [408, 520, 522, 524])
def test_a_timeout_or_a_cdn_error_is_retried_on_a_get_not_on_a_post(status):
    assert delay(status, idempotent=True) == 0.5
    assert delay(status, idempotent=True, retry_after=2.0) == 2.0
    assert delay(status, idempotent=False) is None
    assert delay(status, idempotent=False, retry_after=2.0) is None


def test_connection_failures_are_retried():
    assert delay(None) == 0.5


def test_backoff_doubles_up_to_the_cap_and_jitter_only_shortens_it():
    delays = [delay(503, retries_done=n, policy=RetryPolicy(max_retries=10)) for n in range(7)]
    assert delays == [0.5, 1.0, 2.0, 4.0, 8.0, 8.0, 8.0]
    jittered = delay(503, retries_done=2, jitter=0.999)
    assert 0.75 * 2.0 <= jittered < 2.0


def test_gives_up_after_max_retries():
    assert delay(500, retries_done=2) == 2.0
    assert delay(500, retries_done=3) is None
    assert delay(None, policy=RetryPolicy(max_retries=0)) is None


def test_retry_after_is_honoured_exactly_without_jitter():
    assert delay(429, retry_after=7.0, jitter=0.9) == 7.0
    assert delay(503, retries_done=1, retry_after=60.0, jitter=0.9) == 60.0


def test_retry_after_beyond_the_cap_gives_up_at_once():
    assert delay(429, retry_after=60.5) is None


def test_retry_after_does_not_make_a_client_error_retryable():
    assert delay(400, retry_after=1.0) is None


# -- what is not idempotent (a POST) is repeated only when the server provably did nothing ---------------------


@pytest.mark.parametrize("status", [429, 503])
def test_a_post_is_retried_when_the_server_says_it_did_nothing(status):
    assert delay(status, idempotent=False) == 0.5
    assert delay(status, idempotent=False, retry_after=3.0) == 3.0


@pytest.mark.parametrize("status", IDEMPOTENT_ONLY)
def test_a_post_is_not_retried_after_a_timeout_or_a_server_error(status):
    assert delay(status, idempotent=False) is None
    assert not retryable_status(status, idempotent=False)


def test_a_post_is_retried_when_the_connection_could_not_be_made():
    assert delay(None, idempotent=False, sent=False) == 0.5


def test_a_post_is_not_retried_when_the_connection_failed_after_sending():
    assert delay(None, idempotent=False, sent=True) is None


def test_a_post_marked_idempotent_is_retried_like_a_get():
    for status in (None, 408, 500, 502, 504, 520, 522, 524, 599):
        assert delay(status, idempotent=True) == 0.5
