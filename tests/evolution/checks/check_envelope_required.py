"""Mutation `envelope_required`: `has_more` and `next_from` become required in the 200 response.

The promise: listing still works against a server that sends next_from on every page, the last one included
(has_more false), which is what Batch does; and a page without next_from, now a genuine spec violation, is a
MalformedResponseError rather than something silently accepted.
"""

import httpx
import pytest
from _evolution_support import ListEndpoint, collect, segments

import batch_rest


def test_still_paginates_when_every_page_has_next_from(kind):
    api = ListEndpoint(segments(25), next_from_on_last=True)
    listed = collect(kind, api, lambda c: c.segments.list(page_size=10))
    assert [s.code for s in listed] == [f"SEG-{i}" for i in range(25)]
    assert len(api.requests) == 3  # has_more false stops the listing, whatever next_from says
    assert api.requests[-1].url.params["from"] == "c20+/="


def test_a_last_page_without_next_from_is_malformed(kind):
    api = ListEndpoint(segments(25), next_from_on_last=False)
    with pytest.raises(batch_rest.MalformedResponseError, match="next_from") as caught:
        collect(kind, api, lambda c: c.segments.list(page_size=10))
    assert caught.value.status_code == 200
    assert len(api.requests) == 3


@pytest.mark.parametrize(
    "body",
    [{"segments": [], "next_from": "x"}, {"segments": [], "has_more": "no", "next_from": "x"}],
)
def test_a_page_without_a_boolean_has_more_is_malformed(kind, body):
    api = ListEndpoint([], faults=[httpx.Response(200, json=body)])
    with pytest.raises(batch_rest.MalformedResponseError, match="has_more"):
        collect(kind, api, lambda c: c.segments.list())
