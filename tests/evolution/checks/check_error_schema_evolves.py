"""Mutation `error_schema_evolves`: the Error schema gains `request_id` and loses `required`.

The promise: errors still translate, whatever the body: with the extra field, without error_code, or with
nothing Batch-like at all, a 400 is a BadRequestError (and is not retried).
"""

import pytest
from _evolution_support import ListEndpoint, collect, error, segments

import batch_rest


@pytest.mark.parametrize(
    ("body", "code", "message"),
    [
        (
            {"error_code": "INVALID_CURSOR", "error_message": "bad from", "request_id": "r-1"},
            "INVALID_CURSOR",
            "bad from",
        ),
        ({"error_message": "bad from", "request_id": "r-2"}, None, "bad from"),
        ({"error_code": "INVALID_CURSOR"}, "INVALID_CURSOR", None),
        ({"request_id": "r-3"}, None, None),
    ],
)
def test_a_400_is_a_bad_request_error(kind, body, code, message):
    api = ListEndpoint(segments(3), faults=[error(400, body)])
    with pytest.raises(batch_rest.BadRequestError) as caught:
        collect(kind, api, lambda c: c.segments.list())
    assert type(caught.value) is batch_rest.BadRequestError
    assert (caught.value.status_code, caught.value.error_code, caught.value.error_message) == (400, code, message)
    if code is None and message is None:
        assert "r-3" in caught.value.body_excerpt
    assert len(api.requests) == 1


def test_retryable_errors_with_the_new_shape_are_still_retried(kind):
    busy = error(429, {"error_message": "slow down", "request_id": "r-4"}, headers={"Retry-After": "0"})
    api = ListEndpoint(segments(3), faults=[busy])
    assert len(collect(kind, api, lambda c: c.segments.list())) == 3
    assert len(api.requests) == 2
