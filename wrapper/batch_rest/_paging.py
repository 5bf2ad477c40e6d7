"""Batch's cursor pagination as pure logic over plain data.

    request   ?limit=N[&from=<cursor>]
    response  {<items>: [...], "has_more": bool, "next_from": "<cursor>", "count": int}

Rules: stop on `has_more: false` whatever `next_from` says; never rely on `count` (its meaning differs between
the docs' schema and prose, and sibling endpoints send it on the first page only); `has_more: true` without a
`next_from`, or a `next_from` already used in this listing, raises PaginationError instead of looping.
Cursors are opaque (base64 with `+`, `/`, `=`): passed back verbatim, never decoded.
"""

from __future__ import annotations

from typing import Any, Generic, TypeVar

from attrs import define, field, frozen

from .errors import PaginationError

T = TypeVar("T")

MAX_PAGE_SIZE = 100


@frozen
class Page(Generic[T]):
    """One page of a listing. The items are also reachable by the API's own field name (`page.segments`)."""

    items: list[T]
    has_more: bool
    next_cursor: str | None  # None whenever has_more is false
    count: int | None  # as the server sent it; informative only
    items_field: str = "items"

    def __getattr__(self, name: str) -> list[T]:
        if name == object.__getattribute__(self, "items_field"):
            return object.__getattribute__(self, "items")  # type: ignore[no-any-return]
        raise AttributeError(f"{type(self).__name__!r} object has no attribute {name!r}")


@define
class Listing:
    """Where a listing stands: the cursor of the page in hand (None: the first page) and the cursors used."""

    cursor: str | None = None
    exhausted: bool = False
    _used: set[str] = field(factory=set, repr=False)

    def advance(self, page: Page[Any]) -> None:
        """Move past `page`, which was fetched with `self.cursor`."""
        if self.cursor is not None:
            self._used.add(self.cursor)
        if not page.has_more:
            self.cursor, self.exhausted = None, True
            return
        if not page.next_cursor:
            raise PaginationError("the server said has_more but sent no next_from", cursor=self.cursor)
        if page.next_cursor in self._used:
            # The cursor is not quoted: it came from the server, which could have echoed anything into it.
            raise PaginationError(
                "the server sent a next_from already used in this listing: it would loop forever",
                cursor=self.cursor,
            )
        self.cursor = page.next_cursor


def check_page_size(value: object, name: str, *, optional: bool = False) -> int | None:
    if value is None and optional:
        return None
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(f"{name} must be an int from 1 to {MAX_PAGE_SIZE}, not {type(value).__name__}")
    if not 1 <= value <= MAX_PAGE_SIZE:
        raise ValueError(f"{name} must be from 1 to {MAX_PAGE_SIZE} (the API's maximum), got {value}")
    return value


def check_cursor(value: object, name: str) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str):
        raise TypeError(f"{name} must be a str (a next_from / pager.cursor value) or None, not {type(value).__name__}")
    if not value:
        raise ValueError(f"{name} must not be empty; pass None to start from the first page")
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:  # a lone surrogate: it could not even go into a URL
        raise ValueError(f"{name} must be a cursor the API returned, got {value!r}") from None
    return value
