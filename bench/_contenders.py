"""The ways of listing every segment that benchmark 1 compares, sync and async.

Each one builds its client, lists every page of 100 through `transport`, touches every segment the same way
(counts it and reads its code) and returns (segments seen, code of the last one) for the caller to check.

- wrapper:   batch_rest.BatchClient / AsyncBatchClient, `for s in client.segments.list()`
- generated: the bare generated client, `segments_list.sync` / `.asyncio` in a loop until has_more is false
- raw:       httpx + json, yielding the segments as dicts (timestamps left as strings)
- raw+dt:    the same, also parsing the two timestamps with datetime.fromisoformat (the wrapper's output)
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from datetime import datetime
from typing import Any

import httpx
from _pages import API_KEY, BASE_URL, PAGE_SIZE, PROJECT_KEY

from batch_rest import AsyncBatchClient, BatchClient
from batch_rest_generated import AuthenticatedClient
from batch_rest_generated.api.segments import segments_list
from batch_rest_generated.models import SegmentsListResponse200
from batch_rest_generated.types import UNSET, Unset

Result = tuple[int, str | None]
_RAW_HEADERS = {"Authorization": f"Bearer {API_KEY}", "X-Batch-Project": PROJECT_KEY, "Accept": "application/json"}


# -- sync -------------------------------------------------------------------------------------------------------


def wrapper_sync(transport: httpx.BaseTransport, base_url: str = BASE_URL) -> Result:
    count, last = 0, None
    with (
        httpx.Client(transport=transport) as http,
        BatchClient(API_KEY, PROJECT_KEY, base_url=base_url, http_client=http) as client,
    ):
        for segment in client.segments.list(page_size=PAGE_SIZE):
            count += 1
            last = segment.code
    return count, last


def generated_sync(transport: httpx.BaseTransport) -> Result:
    count, last = 0, None
    client = AuthenticatedClient(base_url=BASE_URL, token=API_KEY)
    # set_httpx_client replaces the generated client's own settings (headers included): pass them again.
    with httpx.Client(transport=transport, base_url=BASE_URL, headers={"Authorization": f"Bearer {API_KEY}"}) as http:
        client.set_httpx_client(http)
        cursor: str | Unset = UNSET
        while True:
            page = segments_list.sync(client=client, from_=cursor, limit=PAGE_SIZE, x_batch_project=PROJECT_KEY)
            if not isinstance(page, SegmentsListResponse200):
                raise AssertionError(f"unexpected answer {page!r}")
            for segment in page.segments:
                count += 1
                last = segment.code
            if not page.has_more:
                break
            cursor = page.next_from
    return count, last


def _raw_segments(http: httpx.Client, *, parse_timestamps: bool) -> Iterator[dict[str, Any]]:
    params: dict[str, Any] = {"limit": PAGE_SIZE}
    while True:
        response = http.get("/segments/list", params=params)
        response.raise_for_status()
        body = response.json()
        for segment in body["segments"]:
            if parse_timestamps:
                segment["created_at"] = datetime.fromisoformat(segment["created_at"])
                segment["updated_at"] = datetime.fromisoformat(segment["updated_at"])
            yield segment
        if not body["has_more"]:
            return
        params = {"from": body["next_from"], "limit": PAGE_SIZE}


def raw_sync(transport: httpx.BaseTransport, *, parse_timestamps: bool = False, base_url: str = BASE_URL) -> Result:
    count, last = 0, None
    with httpx.Client(transport=transport, base_url=base_url, headers=_RAW_HEADERS) as http:
        for segment in _raw_segments(http, parse_timestamps=parse_timestamps):
            count += 1
            last = segment["code"]
    return count, last


# -- async ------------------------------------------------------------------------------------------------------


async def wrapper_async(transport: httpx.AsyncBaseTransport) -> Result:
    count, last = 0, None
    async with (
        httpx.AsyncClient(transport=transport) as http,
        AsyncBatchClient(API_KEY, PROJECT_KEY, base_url=BASE_URL, http_client=http) as client,
    ):
        async for segment in client.segments.list(page_size=PAGE_SIZE):
            count += 1
            last = segment.code
    return count, last


async def generated_async(transport: httpx.AsyncBaseTransport) -> Result:
    count, last = 0, None
    client = AuthenticatedClient(base_url=BASE_URL, token=API_KEY)
    headers = {"Authorization": f"Bearer {API_KEY}"}
    async with httpx.AsyncClient(transport=transport, base_url=BASE_URL, headers=headers) as http:
        client.set_async_httpx_client(http)
        cursor: str | Unset = UNSET
        while True:
            page = await segments_list.asyncio(
                client=client, from_=cursor, limit=PAGE_SIZE, x_batch_project=PROJECT_KEY
            )
            if not isinstance(page, SegmentsListResponse200):
                raise AssertionError(f"unexpected answer {page!r}")
            for segment in page.segments:
                count += 1
                last = segment.code
            if not page.has_more:
                break
            cursor = page.next_from
    return count, last


async def _raw_segments_async(http: httpx.AsyncClient, *, parse_timestamps: bool) -> AsyncIterator[dict[str, Any]]:
    params: dict[str, Any] = {"limit": PAGE_SIZE}
    while True:
        response = await http.get("/segments/list", params=params)
        response.raise_for_status()
        body = response.json()
        for segment in body["segments"]:
            if parse_timestamps:
                segment["created_at"] = datetime.fromisoformat(segment["created_at"])
                segment["updated_at"] = datetime.fromisoformat(segment["updated_at"])
            yield segment
        if not body["has_more"]:
            return
        params = {"from": body["next_from"], "limit": PAGE_SIZE}


async def raw_async(transport: httpx.AsyncBaseTransport, *, parse_timestamps: bool = False) -> Result:
    count, last = 0, None
    async with httpx.AsyncClient(transport=transport, base_url=BASE_URL, headers=_RAW_HEADERS) as http:
        async for segment in _raw_segments_async(http, parse_timestamps=parse_timestamps):
            count += 1
            last = segment["code"]
    return count, last
