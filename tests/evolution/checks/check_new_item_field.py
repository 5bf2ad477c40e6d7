"""Mutation `new_item_field`: `oneSegment` gains an optional integer `audience_size`.

The promise: it reaches users as an attribute of the segments that client.segments.list() yields (not as an
unknown extra key), and it is type-checked like the other fields: a wrong type is a MalformedResponseError.
"""

import attrs
import pytest
from _evolution_support import ListEndpoint, collect, segments

import batch_rest


def test_the_segment_model_has_the_field():
    assert "audience_size" in attrs.fields_dict(batch_rest.Segment)


def test_the_field_is_an_attribute_of_listed_segments(kind):
    api = ListEndpoint(segments(25, audience_size=lambda i: i * 1000))
    listed = collect(kind, api, lambda c: c.segments.list(page_size=10))
    assert [s.audience_size for s in listed] == [i * 1000 for i in range(25)]
    assert all("audience_size" not in s.additional_properties for s in listed)
    assert len(api.requests) == 3


def test_the_field_stays_optional(kind):
    listed = collect(kind, ListEndpoint(segments(2)), lambda c: c.segments.list())
    assert all(s.audience_size is None for s in listed)
    assert [s.code for s in listed] == ["SEG-0", "SEG-1"]


@pytest.mark.parametrize("wrong", ["big", 1.5, True, [1], {"n": 1}])
def test_a_wrong_type_is_a_malformed_response(kind, wrong):
    api = ListEndpoint(segments(3, audience_size=lambda i: wrong if i == 2 else i))
    with pytest.raises(batch_rest.MalformedResponseError, match="audience_size"):
        collect(kind, api, lambda c: c.segments.list())
    assert len(api.requests) == 1
