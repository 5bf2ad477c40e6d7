"""Typed resources, one per tag of the document. Written by tools/generate.py (tools/emit_layer.py): do not edit.

`SyncResources` and `AsyncResources` are mixins of batch_rest's BatchClient and AsyncBatchClient: one attribute
per resource, whose methods are the operations (`client.<resource>.<action>(...)`). Every call goes through the
wrapper's one request path (batch_rest._resource); this module only gives each operation its signature.
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import cached_property
from typing import TYPE_CHECKING

from batch_rest._resource import (
    AsyncResource,
    ListKey,
    Page,
    RequestOptions,
    SyncResource,
    as_raw,
    as_raw_async,
)

if TYPE_CHECKING:
    import httpx
    from batch_rest._resource import AsyncPager, Pager

    from .models.one_segment import OneSegment


class SegmentsListPage(Page["OneSegment"]):
    """A page of GET /segments/list."""

    @property
    def segments(self) -> list[OneSegment]:
        """The page's `segments`: the same list as `items`."""
        return self.items


_SEGMENTS_LIST: ListKey[OneSegment, SegmentsListPage] = ListKey(
    "segments_list", SegmentsListPage
)


class Segments(SyncResource):
    """The operations tagged 'segments'."""

    def list(
        self,
        *,
        page_size: int = 100,
        start_cursor: str | None = None,
        timeout: float | httpx.Timeout | None = None,
        max_retries: int | None = None,
        extra_headers: Mapping[str, str] | None = None,
    ) -> Pager[OneSegment, SegmentsListPage]:
        """List

        List segments

        GET /segments/list
        """
        return self._list(
            _SEGMENTS_LIST,
            {},
            page_size,
            start_cursor,
            RequestOptions(timeout, max_retries, extra_headers),
        )

    def list_page(
        self,
        *,
        limit: int | None = None,
        cursor: str | None = None,
        timeout: float | httpx.Timeout | None = None,
        max_retries: int | None = None,
        extra_headers: Mapping[str, str] | None = None,
    ) -> SegmentsListPage:
        """One page (one request, plus retries): List

        List segments

        GET /segments/list
        """
        return self._list_page(
            _SEGMENTS_LIST,
            {},
            limit,
            cursor,
            RequestOptions(timeout, max_retries, extra_headers),
        )

    @cached_property
    def with_raw_response(self) -> SegmentsWithRawResponse:
        """The same operations, returning a RawResponse: the HTTP response, and `.parse()`."""
        return SegmentsWithRawResponse(self._client)


class SegmentsWithRawResponse:
    """Segments's operations, returning a RawResponse."""

    def __init__(self, client: object) -> None:
        resource = Segments(client, raw=True)
        self.list_page = as_raw(resource.list_page)


class AsyncSegments(AsyncResource):
    """The operations tagged 'segments'."""

    def list(
        self,
        *,
        page_size: int = 100,
        start_cursor: str | None = None,
        timeout: float | httpx.Timeout | None = None,
        max_retries: int | None = None,
        extra_headers: Mapping[str, str] | None = None,
    ) -> AsyncPager[OneSegment, SegmentsListPage]:
        """List

        List segments

        GET /segments/list
        """
        return self._list(
            _SEGMENTS_LIST,
            {},
            page_size,
            start_cursor,
            RequestOptions(timeout, max_retries, extra_headers),
        )

    async def list_page(
        self,
        *,
        limit: int | None = None,
        cursor: str | None = None,
        timeout: float | httpx.Timeout | None = None,
        max_retries: int | None = None,
        extra_headers: Mapping[str, str] | None = None,
    ) -> SegmentsListPage:
        """One page (one request, plus retries): List

        List segments

        GET /segments/list
        """
        return await self._list_page(
            _SEGMENTS_LIST,
            {},
            limit,
            cursor,
            RequestOptions(timeout, max_retries, extra_headers),
        )

    @cached_property
    def with_raw_response(self) -> AsyncSegmentsWithRawResponse:
        """The same operations, returning a RawResponse: the HTTP response, and `.parse()`."""
        return AsyncSegmentsWithRawResponse(self._client)


class AsyncSegmentsWithRawResponse:
    """AsyncSegments's operations, returning a RawResponse."""

    def __init__(self, client: object) -> None:
        resource = AsyncSegments(client, raw=True)
        self.list_page = as_raw_async(resource.list_page)


class SyncResources:
    """The resources of BatchClient, one per tag of the document."""

    @cached_property
    def segments(self) -> Segments:
        return Segments(self)


class AsyncResources:
    """The resources of AsyncBatchClient, one per tag of the document."""

    @cached_property
    def segments(self) -> AsyncSegments:
        return AsyncSegments(self)
