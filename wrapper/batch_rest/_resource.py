"""What the generated typed layer (`batch_rest_generated/_typed.py`) is written against.

    client.profiles.update(body=..., timeout=5)     Profiles (generated)  ──► SyncResource._call
    client.segments.list() / .list_page()           Segments (generated)  ──► SyncResource._list / _list_page
    client.profiles.with_raw_response.update(...)   the same methods, on a resource made with raw=True
    client.profiles.bulk_update(items, ...)         Profiles (generated)  ──► SyncResource._bulk ──► _bulk_io

A resource holds its client and nothing else: it hands the operation's name, the caller's arguments and the
per-call options to the client's one request path (`_client._ClientBase`). The keys the generated layer passes
(`OperationKey[Model]`, `ListKey[Item, ItemPage]`) are only the operation's name at run time; their type
parameters are what lets mypy see each method's real return type.
"""

from __future__ import annotations

from collections.abc import AsyncIterable, Awaitable, Callable, Iterable, Mapping
from typing import TYPE_CHECKING, Any, Generic, ParamSpec, TypeVar, cast

from attrs import field, frozen

from ._paging import AsyncPager, Page, Pager
from .errors import headers_repr

if TYPE_CHECKING:
    import httpx

    from ._bulk import BulkOptions, BulkProgress, BulkResult
    from ._client import AsyncBatchClient, BatchClient, _ClientBase

__all__ = [
    "AsyncPager",
    "AsyncResource",
    "BulkOptions",
    "BulkProgress",
    "BulkResult",
    "ListKey",
    "OperationKey",
    "Page",
    "Pager",
    "RawResponse",
    "RequestOptions",
    "SyncResource",
    "as_raw",
    "as_raw_async",
]

_BULK_NAMES = frozenset({"BulkOptions", "BulkProgress", "BulkResult"})

R = TypeVar("R")
T = TypeVar("T")
P = ParamSpec("P")
PageT = TypeVar("PageT", bound=Page[Any])


@frozen
class RequestOptions:
    """Per-call options; None means the client's own setting."""

    timeout: float | httpx.Timeout | None = None
    max_retries: int | None = None
    # Its repr hides credential values: a traceback's locals show the options of every call on the way.
    extra_headers: Mapping[str, str] | None = field(default=None, repr=headers_repr)
    idempotent: bool = False  # a POST the caller knows is safe to repeat: retried like a GET


class OperationKey(Generic[R]):
    """An operation returning R, by name."""

    __slots__ = ("name",)

    def __init__(self, name: str) -> None:
        self.name = name


class ListKey(Generic[T, PageT]):
    """A cursor-list operation whose items are T and whose pages are PageT, by name."""

    __slots__ = ("name", "page_class")

    def __init__(self, name: str, page_class: type[PageT]) -> None:
        self.name, self.page_class = name, page_class


class RawResponse(Generic[R]):
    """A success response and what it means: `.http_response`, `.status_code`, `.headers`, and `.parse()`.

    Error statuses still raise (an APIError keeps its own `.response`). `.parse()` parses on first use, so
    reading only the headers costs no parsing, and raises MalformedResponseError as the plain method would.
    """

    def __init__(self, http_response: httpx.Response, parse: Callable[[], R]) -> None:
        self.http_response = http_response
        self._parse: Callable[[], R] | None = parse
        self._parsed: R | None = None

    @property
    def status_code(self) -> int:
        return self.http_response.status_code

    @property
    def headers(self) -> httpx.Headers:
        return self.http_response.headers

    def parse(self) -> R:
        if self._parse is not None:
            self._parsed, self._parse = self._parse(), None
        return cast(R, self._parsed)

    def __repr__(self) -> str:
        request = self.http_response.request
        return f"<RawResponse [{self.status_code}] {request.method} {request.url.path}>"


def as_raw(method: Callable[P, R]) -> Callable[P, RawResponse[R]]:
    """The method of a resource made with `raw=True`, typed as what it returns: a RawResponse."""
    return cast(Callable[P, RawResponse[R]], method)


def as_raw_async(method: Callable[P, Awaitable[R]]) -> Callable[P, Awaitable[RawResponse[R]]]:
    """The async twin of as_raw."""
    return cast(Callable[P, Awaitable[RawResponse[R]]], method)


class _Resource:
    """Hands each call to the client's request path. What the client returns is the result for BatchClient, and
    an awaitable of it for AsyncBatchClient: the two subclasses differ only in the types they declare."""

    def __init__(self, client: object, *, raw: bool = False) -> None:
        # `client` is the BatchClient or AsyncBatchClient whose generated mixin made this resource.
        self._client = cast("_ClientBase", client)
        self._raw = raw

    def __repr__(self) -> str:
        return f"<{type(self).__name__}{' (raw responses)' if self._raw else ''} of {self._client!r}>"

    def _call(self, key: OperationKey[Any], args: Mapping[str, object], options: RequestOptions) -> Any:
        return self._client._call(key.name, args, options, raw=self._raw)

    def _list(
        self,
        key: ListKey[Any, Any],
        args: Mapping[str, object],
        page_size: int,
        start_cursor: str | None,
        options: RequestOptions,
    ) -> Any:
        client = self._client
        return client._pager(
            key.name, key.page_class, args, page_size=page_size, start_cursor=start_cursor, options=options
        )

    def _list_page(
        self,
        key: ListKey[Any, Any],
        args: Mapping[str, object],
        limit: int | None,
        cursor: str | None,
        options: RequestOptions,
    ) -> Any:
        client = self._client
        return client._page(key.name, key.page_class, args, limit=limit, cursor=cursor, options=options, raw=self._raw)


class SyncResource(_Resource):
    """Base of the generated resources of BatchClient."""

    def _bulk(
        self,
        key: OperationKey[R],
        items: Iterable[object],
        args: Mapping[str, object],
        options: RequestOptions,
        bulk: BulkOptions,
    ) -> BulkResult[R]:
        from ._bulk_io import run_sync  # noqa: PLC0415 - the drivers load with the first bulk call

        client = cast("BatchClient", self._client)
        return run_sync(client, key.name, items, args=args, options=options, bulk=bulk)

    if TYPE_CHECKING:

        def _call(self, key: OperationKey[R], args: Mapping[str, object], options: RequestOptions) -> R: ...

        def _list(
            self,
            key: ListKey[T, PageT],
            args: Mapping[str, object],
            page_size: int,
            start_cursor: str | None,
            options: RequestOptions,
        ) -> Pager[T, PageT]: ...

        def _list_page(
            self,
            key: ListKey[T, PageT],
            args: Mapping[str, object],
            limit: int | None,
            cursor: str | None,
            options: RequestOptions,
        ) -> PageT: ...


class AsyncResource(_Resource):
    """Base of the generated resources of AsyncBatchClient."""

    def _bulk(
        self,
        key: OperationKey[R],
        items: Iterable[object] | AsyncIterable[object],
        args: Mapping[str, object],
        options: RequestOptions,
        bulk: BulkOptions,
    ) -> Awaitable[BulkResult[R]]:
        from ._bulk_io import run_async  # noqa: PLC0415 - the drivers load with the first bulk call

        client = cast("AsyncBatchClient", self._client)
        return run_async(client, key.name, items, args=args, options=options, bulk=bulk)

    if TYPE_CHECKING:

        def _call(self, key: OperationKey[R], args: Mapping[str, object], options: RequestOptions) -> Awaitable[R]: ...

        def _list(
            self,
            key: ListKey[T, PageT],
            args: Mapping[str, object],
            page_size: int,
            start_cursor: str | None,
            options: RequestOptions,
        ) -> AsyncPager[T, PageT]: ...

        def _list_page(
            self,
            key: ListKey[T, PageT],
            args: Mapping[str, object],
            limit: int | None,
            cursor: str | None,
            options: RequestOptions,
        ) -> Awaitable[PageT]: ...


def __getattr__(name: str) -> Any:
    # The bulk classes load with the first generated package that has bulk methods (its _typed.py imports them):
    # a client without chunkable operations does not pay for the bulk core's import.
    if name in _BULK_NAMES:
        from . import _bulk  # noqa: PLC0415

        return getattr(_bulk, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
