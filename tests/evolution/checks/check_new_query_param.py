"""Mutation `new_query_param`: /segments/list gains an optional string query parameter `status`.

The promise: client.segments.list(status="active") sends status=active on every page request and pagination
stays intact; an unknown parameter (or a wrong type) still raises TypeError before any request.
"""

import pytest
from _evolution_support import ListEndpoint, collect, segments


def test_the_new_parameter_is_sent_on_every_page(kind):
    api = ListEndpoint(segments(25))
    listed = collect(kind, api, lambda c: c.segments.list(page_size=10, status="active"))
    assert [s.code for s in listed] == [f"SEG-{i}" for i in range(25)]
    assert [r.url.params.get("status") for r in api.requests] == ["active"] * 3
    assert [r.url.params.get("from") for r in api.requests] == [None, "c10+/=", "c20+/="]
    assert [r.url.params["limit"] for r in api.requests] == ["10"] * 3


def test_list_page_sends_it_too(kind):
    api = ListEndpoint(segments(25))
    page = collect(kind, api, lambda c: c.segments.list_page(limit=5, cursor="c5+/=", status="archived"))
    assert [s.code for s in page.segments] == [f"SEG-{i}" for i in range(5, 10)]
    assert dict(api.requests[0].url.params) == {"from": "c5+/=", "limit": "5", "status": "archived"}


def test_it_is_not_sent_unless_given(kind):
    api = ListEndpoint(segments(3))
    collect(kind, api, lambda c: c.segments.list())
    assert "status" not in api.requests[0].url.params


@pytest.mark.parametrize(
    ("call", "name"),
    [
        (lambda c: c.segments.list(colour="red"), "colour"),
        (lambda c: c.segments.list(status=5), "status"),
        (lambda c: c.segments.list_page(state="active"), "state"),
    ],
)
def test_bad_parameters_raise_type_error_before_any_request(kind, call, name):
    api = ListEndpoint(segments(3))
    with pytest.raises(TypeError, match=name):
        collect(kind, api, call)
    assert api.requests == []
