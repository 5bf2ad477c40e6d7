"""max_retries is bounded (0 to _config.MAX_RETRIES) wherever it is given: the constructors, with_options() and a
call's own option, on both clients; a value past the bound is a ValueError naming it, before any request."""

import pytest
from test_client import FakeBatch, Harness

import batch_rest
from batch_rest import _config

BOUND = _config.MAX_RETRIES
MESSAGE = rf"^max_retries must be from 0 to {BOUND} \(0 turns retries off\), got {BOUND + 1}$"


@pytest.mark.parametrize("cls", [batch_rest.BatchClient, batch_rest.AsyncBatchClient])
def test_the_constructors_take_the_bound_and_refuse_one_more(cls):
    assert cls("k", "p", max_retries=BOUND)._settings.max_retries == BOUND
    assert cls("k", "p", max_retries=0)._settings.max_retries == 0
    with pytest.raises(ValueError, match=MESSAGE):
        cls("k", "p", max_retries=BOUND + 1)


def test_with_options_and_a_calls_option_refuse_one_more_before_any_request(kind):
    api = FakeBatch(5)
    harness = Harness(kind, api)
    with pytest.raises(ValueError, match=MESSAGE):
        harness.client.with_options(max_retries=BOUND + 1)
    with pytest.raises(ValueError, match=MESSAGE):
        harness.run(lambda c: c.segments.list_page(max_retries=BOUND + 1))
    assert api.requests == []
    harness.run(lambda c: c.with_options(max_retries=BOUND).segments.list_page(max_retries=BOUND))
    assert len(api.requests) == 1
