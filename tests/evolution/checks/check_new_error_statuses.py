"""Mutation `new_error_statuses`: 403 and 404 become documented responses of /segments/list (Error schema).

The promise: they are still PermissionDeniedError / NotFoundError, with Batch's error_code and error_message,
raised at once (not retried).
"""

import pytest
from _evolution_support import ListEndpoint, collect, error, segments

import batch_rest


@pytest.mark.parametrize(
    ("status", "expected", "code"),
    [
        (403, batch_rest.PermissionDeniedError, "FORBIDDEN"),
        (404, batch_rest.NotFoundError, "NOT_FOUND"),
    ],
)
def test_documented_errors_keep_their_classes(kind, status, expected, code):
    body = {"error_code": code, "error_message": f"documented {status}"}
    api = ListEndpoint(segments(30), faults=[None, error(status, body)])
    with pytest.raises(expected) as caught:
        collect(kind, api, lambda c: c.segments.list(page_size=10))
    assert type(caught.value) is expected
    assert (caught.value.status_code, caught.value.error_code, caught.value.error_message) == (
        status,
        code,
        f"documented {status}",
    )
    assert len(api.requests) == 2  # the first page, then the error once


def test_list_page_raises_them_too(kind):
    api = ListEndpoint(segments(3), faults=[error(404, {"error_code": "NOT_FOUND", "error_message": "gone"})])
    with pytest.raises(batch_rest.NotFoundError, match="NOT_FOUND: gone"):
        collect(kind, api, lambda c: c.segments.list_page())
