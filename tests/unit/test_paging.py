"""Cursor logic: pure, no sockets."""

import pickle

import pytest

from batch_rest import Page, PaginationError
from batch_rest._paging import Listing, check_cursor, check_page_size


def page(has_more, next_cursor, items=("x",), count=None):
    return Page(items=list(items), has_more=has_more, next_cursor=next_cursor, count=count)


def test_a_page_has_a_length_iterates_its_items_and_a_short_repr():
    p = page(True, "c+/=", items=[1, 2, 3], count=48)
    assert len(p) == 3
    assert list(p) == [1, 2, 3]
    assert repr(p) == "<Page 3 items, next_cursor='c+/=', count=48>"
    assert repr(page(False, None, items=[])) == "<Page 0 items, last page>"


def test_the_generated_page_class_names_the_items_after_the_api_field():
    from batch_rest_generated._typed import SegmentsListPage

    p = SegmentsListPage(items=[1, 2], has_more=False, next_cursor=None, count=None)
    assert p.segments is p.items
    assert repr(p).startswith("<SegmentsListPage 2 items")


def test_page_survives_pickling():
    p = page(True, "c", items=[1])
    assert pickle.loads(pickle.dumps(p)) == p


def test_listing_follows_next_cursor_and_stops_on_has_more_false():
    listing = Listing()
    listing.advance(page(True, "A"))
    assert (listing.cursor, listing.exhausted) == ("A", False)
    listing.advance(page(True, "B"))
    assert listing.cursor == "B"
    listing.advance(page(False, None))
    assert (listing.cursor, listing.exhausted) == (None, True)


def test_has_more_without_next_from_raises():
    listing = Listing(cursor="A")
    with pytest.raises(PaginationError, match="no next_from") as caught:
        listing.advance(page(True, None))
    assert caught.value.cursor == "A"
    assert listing.cursor == "A"


@pytest.mark.parametrize("repeat", ["A", "B"])
def test_a_cursor_used_before_raises_instead_of_looping(repeat):
    listing = Listing()
    listing.advance(page(True, "A"))
    listing.advance(page(True, "B"))
    with pytest.raises(PaginationError, match="already used"):
        listing.advance(page(True, repeat))


def test_start_cursor_counts_as_used():
    listing = Listing(cursor="S")
    with pytest.raises(PaginationError):
        listing.advance(page(True, "S"))


@pytest.mark.parametrize("value", [1, 50, 100])
def test_page_sizes_in_range(value):
    assert check_page_size(value, "page_size") == value


@pytest.mark.parametrize(
    ("value", "error"),
    [
        (0, ValueError),
        (101, ValueError),
        (-1, ValueError),
        (True, TypeError),
        (10.0, TypeError),
        ("10", TypeError),
        (None, TypeError),
    ],
)
def test_bad_page_sizes_name_the_argument(value, error):
    with pytest.raises(error, match="page_size"):
        check_page_size(value, "page_size")


def test_limit_may_be_left_to_the_server():
    assert check_page_size(None, "limit", optional=True) is None


@pytest.mark.parametrize(("value", "error"), [("", ValueError), (5, TypeError), (b"abc", TypeError)])
def test_bad_cursors_name_the_argument(value, error):
    with pytest.raises(error, match="start_cursor"):
        check_cursor(value, "start_cursor")


def test_cursors_pass_through_verbatim():
    assert check_cursor("U0VH+/==", "cursor") == "U0VH+/=="
    assert check_cursor(None, "cursor") is None
