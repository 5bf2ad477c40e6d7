"""Segment pages for the benchmarks, served in memory by an httpx.MockTransport (no sockets, no threads).

The data is the fake server's own (`FakeBatchServer.segment` / `.cursor`, computed without starting it), and a
page's bytes are exactly what the fake server would send for it, so a listing costs the client the same work
whether it comes over loopback or from here.

- `PrebuiltPages`: every page's JSON bytes built up front, looked up by cursor: the transport costs next to
  nothing and the clients' own work dominates (benchmark 1).
- `LazyPages`: each page built when asked for and then dropped, so that a million segments cost no memory
  on the serving side (benchmark 3).
"""

from __future__ import annotations

import base64
import json
import math
from typing import Any

import httpx

from batch_rest.testing import FakeBatchServer

PAGE_SIZE = 100
BASE_URL = "https://api.batch.com/2.11"  # never contacted: the transports below answer in memory
API_KEY, PROJECT_KEY = "bench-rest-api-key", "bench-project-key"
_HEADERS = (("Content-Type", "application/json"),)
_TOPICS = ("newsletter", "fidèles", "été", "東京", "서울", "спорт", "größe", "niños")


def page_body(data: FakeBatchServer, start: int, limit: int) -> bytes:
    """The fake server's answer to `?limit=<limit>[&from=<data.cursor(start)>]`, byte for byte."""
    end = min(start + limit, data.segments)
    page: dict[str, Any] = {"segments": [data.segment(i) for i in range(start, end)]}
    if start == 0:
        page["count"] = data.segments
    page["has_more"] = end < data.segments
    if end < data.segments:
        page["next_from"] = data.cursor(end)
    return json.dumps(page, ensure_ascii=False, separators=(",", ":")).encode()


def pages_of(segments: int) -> int:
    return max(1, math.ceil(segments / PAGE_SIZE))


def _limit(request: httpx.Request) -> int:
    limit = int(request.url.params.get("limit", "10"))
    if limit != PAGE_SIZE:
        raise AssertionError(f"the benchmarks page by {PAGE_SIZE}, the client asked for limit={limit}")
    return limit


class PrebuiltPages:
    """All pages of a listing of `segments` segments, prebuilt; `.transport` serves them."""

    def __init__(self, segments: int, *, seed: int = 0, data: FakeBatchServer | None = None) -> None:
        self.data = data or FakeBatchServer(segments, seed=seed)
        self.segments = self.data.segments
        self._by_cursor: dict[str | None, bytes] = {}
        for start in range(0, max(self.segments, 1), PAGE_SIZE):
            cursor = None if start == 0 else self.data.cursor(start)
            self._by_cursor[cursor] = page_body(self.data, start, PAGE_SIZE)
        # Raw query string -> body: after the first listing, a lookup is one dict access per request.
        self._by_query: dict[bytes, bytes] = {}
        self.transport = httpx.MockTransport(self._handle)

    @property
    def total_bytes(self) -> int:
        return sum(map(len, self._by_cursor.values()))

    def body(self, cursor: str | None) -> bytes:
        return self._by_cursor[cursor]

    def last_code(self) -> str:
        return self.data.segment(self.segments - 1)["code"]

    def _handle(self, request: httpx.Request) -> httpx.Response:
        query = request.url.query
        body = self._by_query.get(query)
        if body is None:
            _limit(request)
            body = self._by_cursor[request.url.params.get("from")]
            self._by_query[query] = body
        return httpx.Response(200, headers=_HEADERS, content=body)


class LazyPages:
    """Each page built on demand (from the cursor alone) and not kept; `.transport` serves them.

    Cheaper to build than the fake server's data (a million of its segments take seconds of hashing), but of the
    same shape: mixed-script names, RFC 3339 timestamps, base64 cursors of "<code>@<created_at>".
    """

    def __init__(self, segments: int) -> None:
        self.segments = segments
        self.requests = 0
        self.transport = httpx.MockTransport(self._handle)

    @staticmethod
    def segment(index: int) -> dict[str, str]:
        day, minute = divmod(index, 1440)  # one segment a minute, from 2019-01-01 (28-day months keep it simple)
        date = f"{2019 + day // 336:04d}-{day // 28 % 12 + 1:02d}-{day % 28 + 1:02d}"
        created = f"{date}T{minute // 60:02d}:{minute % 60:02d}:00Z"
        return {
            "code": f"{_TOPICS[index % len(_TOPICS)]}-{index}",
            "display_name": f"{_TOPICS[index % len(_TOPICS)].capitalize()} #{index}",
            "created_at": created,
            "updated_at": created,
        }

    def cursor(self, index: int) -> str:
        segment = self.segment(index)
        return base64.b64encode(f"{segment['code']}@{segment['created_at']}".encode()).decode("ascii")

    def _index_of(self, cursor: str) -> int:
        index = int(base64.b64decode(cursor).decode().rpartition("@")[0].rpartition("-")[2])
        if self.cursor(index) != cursor:
            raise AssertionError(f"unexpected cursor {cursor!r}")
        return index

    def _handle(self, request: httpx.Request) -> httpx.Response:
        self.requests += 1
        cursor = request.url.params.get("from")
        start = 0 if cursor is None else self._index_of(cursor)
        end = min(start + _limit(request), self.segments)
        page: dict[str, Any] = {"segments": [self.segment(i) for i in range(start, end)]}
        if start == 0:
            page["count"] = self.segments
        page["has_more"] = end < self.segments
        if end < self.segments:
            page["next_from"] = self.cursor(end)
        body = json.dumps(page, ensure_ascii=False, separators=(",", ":")).encode()
        return httpx.Response(200, headers=_HEADERS, content=body)
