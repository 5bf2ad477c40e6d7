"""Mutation `new_list_endpoint`: /audiences/list (operationId audiences_list, tag Audiences), same cursor
convention, envelope `{audiences: [oneAudience], count, has_more, next_from}`.

The promise: client.resource("audiences_list") lists it across pages, sync and async, with zero wrapper edits.
Attribute access (`client.audiences`) is one line in wrapper/batch_rest/_client.py, next to `segments = ...` in
`_ClientBase`:

    audiences = endpoint[Any]("audiences_list")

The last test declares that same line on a subclass, to show that it is all it takes.
"""

import pytest
from _evolution_support import KEY, PROJECT, ListEndpoint, collect, segments, sync_client

import batch_rest


def audiences(n):
    return [
        {"name": f"aud-{i}", "display_name": f"Audience {i}", "type": "custom_ids", "updated_at": "2026-01-01T00:00Z"}
        for i in range(n)
    ]


def endpoint_for(n, **kwargs):
    return ListEndpoint(audiences(n), key="audiences", path="/audiences/list", **kwargs)


def test_lists_every_audience_across_pages(kind):
    api = endpoint_for(25)
    listed = collect(kind, api, lambda c: c.resource("audiences_list").list(page_size=10))
    assert [a.name for a in listed] == [f"aud-{i}" for i in range(25)]
    assert type(listed[0]).__name__ == "OneAudience"
    assert listed[3].display_name == "Audience 3"
    assert [r.url.path for r in api.requests] == ["/2.11/audiences/list"] * 3
    assert [r.url.params.get("from") for r in api.requests] == [None, "c10+/=", "c20+/="]
    assert {r.headers["x-batch-project"] for r in api.requests} == {PROJECT}
    assert {r.headers["authorization"] for r in api.requests} == {f"Bearer {KEY}"}


def test_pages_use_the_endpoint_own_field_name(kind):
    pages = collect(kind, endpoint_for(15), lambda c: c.resource("audiences_list").list(page_size=10).pages())
    assert [len(p.audiences) for p in pages] == [10, 5]
    assert [p.has_more for p in pages] == [True, False]


def test_list_page_and_resource_caching(kind):
    page = collect(kind, endpoint_for(30), lambda c: c.resource("audiences_list").list_page(limit=5, cursor="c10+/="))
    assert [a.name for a in page.audiences] == [f"aud-{i}" for i in range(10, 15)]
    client = sync_client(endpoint_for(1))
    assert client.resource("audiences_list") is client.resource("audiences_list")


def test_audience_items_are_type_checked(kind):
    bad = audiences(3)
    bad[1]["name"] = 7
    api = ListEndpoint(bad, key="audiences", path="/audiences/list")
    with pytest.raises(batch_rest.MalformedResponseError, match=r"audiences\[1\]\.name"):
        collect(kind, api, lambda c: c.resource("audiences_list").list())


def test_segments_are_unaffected(kind):
    listed = collect(kind, ListEndpoint(segments(12)), lambda c: c.segments.list(page_size=5))
    assert [s.code for s in listed] == [f"SEG-{i}" for i in range(12)]


def test_the_attribute_comes_with_the_regeneration():
    client = sync_client(endpoint_for(12))
    assert client.audiences is client.resource("audiences_list")
    assert len(list(client.audiences.list(page_size=5))) == 12
