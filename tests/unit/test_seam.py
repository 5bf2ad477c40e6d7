"""What the wrapper relies on in the generated package, and how the seam turns bodies into pages.

If a regeneration (or a hand edit) breaks one of these assumptions, a test here names it.
"""

import json
import typing
from datetime import UTC, datetime

import attrs
import pytest

import batch_rest
from batch_rest import _seam


@pytest.fixture(scope="module")
def segments():
    return _seam.operation("segments_list")


def body(segments=(), **envelope):
    """A page body; next_from is there unless given as None, as Batch sends it on every page."""
    envelope = {"next_from": "end", **envelope}
    return json.dumps({"segments": list(segments), **{k: v for k, v in envelope.items() if v is not None}}).encode()


SEGMENT = {"code": "A", "display_name": "a", "created_at": "2026-01-01T00:00:00Z", "updated_at": "2026-01-02T00:00:00Z"}


def parse_page(operation, content):
    # Imported here: if a regeneration loses the list (the negative control of tests/evolution), the test that
    # says why must fail by name, not the whole module at collection.
    from batch_rest_generated._typed import SegmentsListPage

    return operation.parse_page(content, SegmentsListPage)


def test_segments_list_is_described_as_a_cursor_list():
    facts = _seam.OPERATIONS["segments_list"]
    assert (facts["resource"], facts["action"], facts["method"], facts["path"]) == (
        "segments",
        "list",
        "GET",
        "/segments/list",
    )
    assert facts["paging"]["items_key"] == "segments"
    assert facts["paging"]["item_model"] == "models.one_segment:OneSegment"
    assert (facts["paging"]["cursor_param"], facts["paging"]["limit_param"]) == ("from_", "limit")
    assert facts["project_param"] == "x_batch_project"


def test_generated_operation_takes_the_cursor_limit_and_project_parameters(segments):
    kwargs = segments.request_kwargs({"from_": "c+/=", "limit": 7}, "proj")
    assert kwargs["method"].upper() == "GET"
    assert kwargs["url"] == "/segments/list"
    assert kwargs["params"] == {"from": "c+/=", "limit": 7}
    assert kwargs["headers"] == {"X-Batch-Project": "proj"}


def test_first_page_sends_no_cursor_and_a_default_limit_is_left_to_the_server(segments):
    # None is "not given" in the typed layer; the document's default limit (10) must not be sent in its place.
    kwargs = segments.request_kwargs({"from_": None, "limit": None}, "p")
    assert kwargs["params"] == {}


def test_a_bulk_call_leaves_an_optional_parameter_given_as_none_unsent_as_a_single_call_does(segments):
    # No chunkable operation has parameters today; the typed bulk methods pass every one, optional ones as None.
    # segments_list stands in, its _get_kwargs taking the body a chunkable operation's takes.
    with_body = attrs.evolve(segments, build_kwargs=lambda body, **params: segments.build_kwargs(**params))
    bulk = _seam.BulkOperation(operation=with_body, array=None, item_check=lambda item: item, item_models=(),
                               max_items=None, limits={})  # fmt: skip
    kwargs = bulk.template_kwargs({"from_": None, "limit": None}, "p")
    assert kwargs["params"] == segments.request_kwargs({"from_": None, "limit": None}, "p")["params"] == {}
    assert bulk.template_kwargs({"limit": 7}, "p")["params"] == {"limit": 7}


def test_segment_is_the_generated_model():
    assert batch_rest.Segment.__name__ == "OneSegment"
    assert batch_rest.Segment.__module__ == "batch_rest_generated.models.one_segment"


@pytest.mark.pinned_spec
def test_default_server_and_version_come_from_the_document():
    assert _seam.DEFAULT_API_VERSION == "2.11"
    assert _seam.server_url("2.13") == "https://api.batch.com/2.13"


def test_a_valid_page(segments):
    page = parse_page(segments, body([SEGMENT, {"code": "B"}], count=2, has_more=True, next_from="B+/="))
    assert [s.code for s in page.segments] == ["A", "B"]
    assert page.items[0].created_at == datetime(2026, 1, 1, tzinfo=UTC)
    assert (page.has_more, page.next_cursor, page.count) == (True, "B+/=", 2)


def test_has_more_false_ignores_next_from(segments):
    page = parse_page(segments, body([SEGMENT], has_more=False, next_from="should-be-ignored"))
    assert (page.has_more, page.next_cursor) == (False, None)


def test_count_is_optional_and_never_trusted(segments):
    assert parse_page(segments, body(has_more=False)).count is None
    assert parse_page(segments, body(has_more=False, count="lots")).count is None


def test_missing_items_mean_an_empty_page(segments):
    assert parse_page(segments, json.dumps({"has_more": False, "next_from": "x"}).encode()).items == []


def test_naive_timestamps_are_read_as_utc(segments):
    naive = {**SEGMENT, "created_at": "2026-01-01T10:00:00"}
    page = parse_page(segments, body([naive, {"code": "B"}], has_more=False))
    assert page.items[0].created_at == datetime(2026, 1, 1, 10, tzinfo=UTC)
    assert page.items[0].created_at.tzinfo is not None


def test_offsets_are_kept(segments):
    page = parse_page(segments, body([{**SEGMENT, "created_at": "2026-01-01T10:00:00+02:00"}], has_more=False))
    assert page.items[0].created_at == datetime(2026, 1, 1, 8, tzinfo=UTC)


def test_unknown_fields_are_kept_on_the_item(segments):
    page = parse_page(segments, body([{**SEGMENT, "new_field": 1}], has_more=False))
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
        (body(has_more="false"), "has_more: must be boolean"),
        (body(has_more=1), "has_more: must be boolean"),
        (body(has_more=True, next_from=5), "next_from: must be string"),
        (json.dumps({"segments": "ab", "has_more": False}).encode(), "segments: must be array"),
        (json.dumps({"segments": {"ab": 1}, "has_more": False}).encode(), "segments: must be array"),
        (body(["ab"], has_more=False), r"segments\[0\]: must be object"),
        (body([[1, 2]], has_more=False), r"segments\[0\]: must be object"),
        (
            body([SEGMENT, {**SEGMENT, "code": 5}], has_more=False),
            r"segments\[1\].code: must be string, got a number \(5\)",
        ),
        (body([{**SEGMENT, "display_name": None}], has_more=False), "display_name: must be string, got null"),
        (body([{**SEGMENT, "created_at": "yesterday"}], has_more=False), "created_at: must be an RFC 3339 date-time"),
        (body([{**SEGMENT, "created_at": 1700000000}], has_more=False), "created_at: must be string"),
        (b"[" * 100_000 + b"]" * 100_000, "RecursionError"),
    ],
)
def test_bodies_that_do_not_match_the_spec(segments, content, reason):
    with pytest.raises(_seam.BodyMismatch, match=reason):
        parse_page(segments, content)


def test_arguments_are_checked_against_the_generated_signature(segments):
    with pytest.raises(TypeError, match="limit: must be integer"):
        segments.request_kwargs({"limit": "7"}, "p")
    with pytest.raises(TypeError, match="limit: must be integer"):
        segments.request_kwargs({"limit": True}, "p")
    with pytest.raises(ValueError, match="limit: must be at most 100"):
        segments.request_kwargs({"limit": 101}, "p")


def test_unknown_operation_is_a_clear_error():
    with pytest.raises(ValueError, match="no generated operation 'nope'.*segments_list"):
        _seam.operation("nope")


def test_an_operation_whose_module_cannot_load_is_a_configuration_error_and_only_its_own(monkeypatch):
    broken = {**_seam.OPERATIONS["segments_list"], "module": "api.segments.no_such_module"}
    monkeypatch.setitem(_seam.OPERATIONS, "broken_list", broken)
    with pytest.raises(batch_rest.ConfigurationError, match="'broken_list' cannot be loaded.*ModuleNotFoundError"):
        _seam.operation("broken_list")
    assert _seam.operation("segments_list").name == "segments_list"


def test_unresolvable_type_hints_leave_the_arguments_unchecked_instead_of_failing():
    def _get_kwargs(*, limit: "NoSuchType") -> dict:  # noqa: F821 - the point of the test
        return {}

    assert _seam._hints(_get_kwargs) == {}


def test_unset_is_no_longer_part_of_the_public_api():
    assert not {"UNSET", "Unset"} & set(batch_rest.__all__)
    for name in ("UNSET", "Unset"):
        with pytest.raises(AttributeError):
            getattr(batch_rest, name)


def test_no_field_of_a_segment_is_typed_unset():
    hints = typing.get_type_hints(batch_rest.Segment)
    documented = {name: hint for name, hint in hints.items() if name != "additional_properties"}
    assert documented, hints
    for name, hint in documented.items():
        assert "Unset" not in str(hint), (name, hint)
        assert type(None) in typing.get_args(hint), (name, hint)  # optional in the document: `T | None`


def test_absent_fields_read_as_none_and_are_not_written_back(segments):
    page = parse_page(segments, body([{"code": "B", "new_field": [1]}], has_more=False))
    (segment,) = page.items
    assert (segment.code, segment.display_name, segment.created_at, segment.updated_at) == ("B", None, None, None)
    assert segment.model_fields_set == {"code"}
    assert segment.to_dict() == {"code": "B", "new_field": [1]}  # no null for what the server left out
    assert batch_rest.Segment.from_dict(segment.to_dict()) == segment


def test_a_model_made_in_code_omits_the_fields_left_at_their_default():
    segment = batch_rest.Segment(code="C")
    assert segment.display_name is None
    assert segment.to_dict() == {"code": "C"}
    segment.display_name = "Shown"
    segment["extra"] = True
    assert segment.to_dict() == {"code": "C", "display_name": "Shown", "extra": True}
    assert segment.model_fields_set == {"code", "display_name"}
