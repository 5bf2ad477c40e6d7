"""What the wrapper relies on in the generated package, and how the seam turns bodies into pages.

If a regeneration (or a hand edit) breaks one of these assumptions, a test here names it.
"""

import json
from datetime import UTC, datetime

import pytest

import batch_rest
from batch_rest import _seam


@pytest.fixture(scope="module")
def segments():
    return _seam.list_operation("segments_list")


def body(segments=(), **envelope):
    """A page body; next_from is there unless given as None, as Batch sends it on every page."""
    envelope = {"next_from": "end", **envelope}
    return json.dumps({"segments": list(segments), **{k: v for k, v in envelope.items() if v is not None}}).encode()


SEGMENT = {"code": "A", "display_name": "a", "created_at": "2026-01-01T00:00:00Z", "updated_at": "2026-01-02T00:00:00Z"}


def test_segments_list_is_discovered_as_a_list_operation(segments):
    assert "segments_list" in _seam.list_operations()
    assert (segments.items_field, segments.items_key, segments.item_is_model) == ("segments", "segments", True)
    assert segments.takes_project


def test_generated_operation_takes_the_cursor_limit_and_project_parameters(segments):
    kwargs = segments.request_kwargs(cursor="c+/=", limit=7, project_key="proj", params={})
    assert kwargs["method"].upper() == "GET"
    assert kwargs["url"] == "/segments/list"
    assert kwargs["params"] == {"from": "c+/=", "limit": 7}
    assert kwargs["headers"] == {"X-Batch-Project": "proj"}


def test_first_page_sends_no_cursor_and_a_default_limit_is_left_to_the_server(segments):
    kwargs = segments.request_kwargs(cursor=None, limit=None, project_key="p", params={})
    assert kwargs["params"] == {}


def test_item_fields_checked_are_the_segment_fields(segments):
    assert {name for name, _ in segments.item_checks} >= {"code", "display_name", "created_at", "updated_at"}


def test_segment_is_the_generated_model():
    assert batch_rest.Segment.__name__ == "OneSegment"
    assert batch_rest.Segment.__module__ == "batch_rest_generated.models.one_segment"


@pytest.mark.pinned_spec
def test_default_server_and_version_come_from_the_document():
    assert _seam.DEFAULT_API_VERSION == "2.11"
    assert _seam.server_url("2.13") == "https://api.batch.com/2.13"


def test_a_valid_page(segments):
    page = segments.parse_page(body([SEGMENT, {"code": "B"}], count=2, has_more=True, next_from="B+/="))
    assert [s.code for s in page.segments] == ["A", "B"]
    assert page.items[0].created_at == datetime(2026, 1, 1, tzinfo=UTC)
    assert (page.has_more, page.next_cursor, page.count) == (True, "B+/=", 2)


def test_has_more_false_ignores_next_from(segments):
    page = segments.parse_page(body([SEGMENT], has_more=False, next_from="should-be-ignored"))
    assert (page.has_more, page.next_cursor) == (False, None)


def test_count_is_optional_and_never_trusted(segments):
    assert segments.parse_page(body(has_more=False)).count is None
    assert segments.parse_page(body(has_more=False, count="lots")).count is None


def test_missing_items_mean_an_empty_page(segments):
    assert segments.parse_page(json.dumps({"has_more": False, "next_from": "x"}).encode()).items == []


def test_naive_timestamps_are_read_as_utc(segments):
    naive = {**SEGMENT, "created_at": "2026-01-01T10:00:00"}
    page = segments.parse_page(body([naive, {"code": "B"}], has_more=False))
    assert page.items[0].created_at == datetime(2026, 1, 1, 10, tzinfo=UTC)
    assert page.items[0].created_at.tzinfo is not None


def test_offsets_are_kept(segments):
    page = segments.parse_page(body([{**SEGMENT, "created_at": "2026-01-01T10:00:00+02:00"}], has_more=False))
    assert page.items[0].created_at == datetime(2026, 1, 1, 8, tzinfo=UTC)


def test_unknown_fields_are_kept_on_the_item(segments):
    page = segments.parse_page(body([{**SEGMENT, "new_field": 1}], has_more=False))
    assert page.items[0]["new_field"] == 1


@pytest.mark.parametrize(
    ("content", "reason"),
    [
        (b"<html>", "not JSON"),
        (b"", "not JSON"),
        (b'{"segments": [', "not JSON"),
        (b"[]", "expected a JSON object"),
        (b"null", "expected a JSON object"),
        (body(), "has_more is missing"),
        (body(has_more="false"), "has_more must be a boolean"),
        (body(has_more=1), "has_more must be a boolean"),
        (body(has_more=True, next_from=5), "next_from must be a string"),
        (json.dumps({"segments": "ab", "has_more": False}).encode(), "must be a list of objects"),
        (json.dumps({"segments": {"ab": 1}, "has_more": False}).encode(), "must be a list of objects"),
        (body(["ab"], has_more=False), "must be a list of objects"),
        (body([[1, 2]], has_more=False), "must be a list of objects"),
        (body([{**SEGMENT, "code": 5}], has_more=False), "code must be str, got 5"),
        (body([{**SEGMENT, "display_name": None}], has_more=False), "display_name must be str"),
        (body([{**SEGMENT, "created_at": "yesterday"}], has_more=False), "ValueError"),
        (body([{**SEGMENT, "created_at": 1700000000}], has_more=False), "TypeError"),
        (b"[" * 100_000 + b"]" * 100_000, "RecursionError"),
    ],
)
def test_bodies_that_do_not_match_the_spec(segments, content, reason):
    with pytest.raises(_seam.BodyMismatch, match=reason):
        segments.parse_page(content)


def test_extra_parameters_are_checked_against_the_generated_signature(segments):
    with pytest.raises(TypeError, match="unexpected parameter 'colour'"):
        segments.check_params({"colour": "red"})
    segments.check_params({})


def test_unknown_operation_is_a_clear_error():
    with pytest.raises(ValueError, match="no generated list operation 'nope'.*segments_list"):
        _seam.list_operation("nope")


def test_an_operation_off_the_convention_says_why():
    import types

    module = types.ModuleType("fake_op")

    def _get_kwargs(*, x_batch_project: str) -> dict:
        return {}

    module._get_kwargs, module.sync = _get_kwargs, lambda: None
    assert "lack from_ or limit" in _seam._operation("fake_op", module)


def test_unset_is_exported_for_optional_fields():
    assert isinstance(batch_rest.UNSET, batch_rest.Unset)
    assert not batch_rest.UNSET
