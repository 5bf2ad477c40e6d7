"""Batch's cursor pagination as pure logic over plain data.

    request   ?limit=N[&from=<cursor>]
    response  {<items>: [...], "has_more": bool, "next_from": "<cursor>", "count": int}

Rules: stop on `has_more: false` whatever `next_from` says; never rely on `count` (its meaning differs between
the docs' schema and prose, and sibling endpoints send it on the first page only); `has_more: true` without a
`next_from`, or a `next_from` already used in this listing, raises PaginationError instead of looping.
Cursors are opaque (base64 with `+`, `/`, `=`): passed back verbatim, never decoded.
"""

from __future__ import annotations

import itertools
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from typing import Any, Generic, TypeVar

from attrs import define, field, frozen

from .errors import PaginationError

T = TypeVar("T")
PageT = TypeVar("PageT", bound="Page[Any]")

MAX_PAGE_SIZE = 100


@frozen(repr=False)
class Page(Generic[T]):
    """One page of a listing: iterate it, or read `items`. Each list operation's page class (generated, e.g.
    SegmentsListPage) also names the items after the API's field: `page.segments`."""

    items: list[T]
    has_more: bool
    next_cursor: str | None  # None whenever has_more is false
    count: int | None  # as the server sent it; informative only

    def __len__(self) -> int:
        return len(self.items)

    def __iter__(self) -> Iterator[T]:
        return iter(self.items)

    def __repr__(self) -> str:
        more = f"next_cursor={self.next_cursor!r}" if self.has_more else "last page"
        count = "" if self.count is None else f", count={self.count}"
        return f"<{type(self).__name__} {len(self.items)} items, {more}{count}>"


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


class _PagerState:
    def __init__(self, start_cursor: str | None) -> None:
        self._listing = Listing(cursor=start_cursor)

    @property
    def cursor(self) -> str | None:
        """The cursor of the page being consumed (None: the first page); resume from here after an error."""
        return self._listing.cursor

    @property
    def exhausted(self) -> bool:
        """True once the last page has been consumed."""
        return self._listing.exhausted

    def __repr__(self) -> str:
        return f"<{type(self).__name__} cursor={self.cursor!r} exhausted={self.exhausted}>"


class Pager(_PagerState, Generic[T, PageT]):
    """Every item of a listing, fetched page by page while you iterate.

    After an exception, iterate the pager again, or pass `start_cursor=pager.cursor` to a new listing, to go on:
    nothing is skipped, and only the page that was in hand may be seen twice.
    """

    def __init__(self, fetch: Callable[[str | None], PageT], start_cursor: str | None) -> None:
        super().__init__(start_cursor)
        self._fetch = fetch

    def pages(self) -> Iterator[PageT]:
        listing = self._listing
        while not listing.exhausted:
            page = self._fetch(listing.cursor)
            yield page
            listing.advance(page)

    def __iter__(self) -> Iterator[T]:
        # chain.from_iterable rather than a generator: per item, this runs at C speed.
        return itertools.chain.from_iterable(page.items for page in self.pages())


class AsyncPager(_PagerState, Generic[T, PageT]):
    """The async twin of Pager: `async for item in pager`, `async for page in pager.pages()`."""

    def __init__(self, fetch: Callable[[str | None], Awaitable[PageT]], start_cursor: str | None) -> None:
        super().__init__(start_cursor)
        self._fetch = fetch

    async def pages(self) -> AsyncIterator[PageT]:
        listing = self._listing
        while not listing.exhausted:
            page = await self._fetch(listing.cursor)
            yield page
            listing.advance(page)

    async def __aiter__(self) -> AsyncIterator[T]:
        async for page in self.pages():
            for item in page.items:
                yield item


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
