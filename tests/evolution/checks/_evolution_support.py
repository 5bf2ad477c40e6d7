"""Helpers for the check modules, which run in a subprocess against a package regenerated from a mutated document.

A scripted list endpoint (httpx.MockTransport) with Batch's cursor convention, and sync/async client drivers.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterable
from typing import Any

import httpx

import batch_rest

KEY, PROJECT = "sk-evolution", "proj-evolution"


class ListEndpoint:
    """`items` served `limit` at a time under `key`, with cursors like Batch's (`+`, `/`, `=` included).

    faults: responses (or exceptions) returned instead of the next page, in order; None lets a request through.
    next_from_on_last: also send a next_from on the last page (has_more false), as Batch does.
    """

    def __init__(
        self,
        items: Iterable[dict[str, Any]],
        *,
        key: str = "segments",
        path: str = "/segments/list",
        faults: Iterable[httpx.Response | Exception | None] = (),
        next_from_on_last: bool = False,
    ) -> None:
        self.items, self.key, self.path = list(items), key, path
        self.faults = list(faults)
        self.next_from_on_last = next_from_on_last
        self.requests: list[httpx.Request] = []

    @staticmethod
    def cursor(index: int) -> str:
        return f"c{index}+/="

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        if self.faults:
            fault = self.faults.pop(0)
            if isinstance(fault, Exception):
                raise fault
            if fault is not None:
                return fault
        if not request.url.path.endswith(self.path):
            return httpx.Response(404, json={"error_code": "NOT_FOUND", "error_message": request.url.path})
        start = int(request.url.params["from"][1:-3]) if "from" in request.url.params else 0
        limit = int(request.url.params.get("limit", 10))
        end = start + limit
        body: dict[str, Any] = {self.key: self.items[start:end], "has_more": end < len(self.items)}
        if body["has_more"] or self.next_from_on_last:
            body["next_from"] = self.cursor(min(end, len(self.items)))
        if start == 0:
            body["count"] = len(self.items)
        return httpx.Response(200, json=body)


def segments(n: int, **extra: Callable[[int], Any]) -> list[dict[str, Any]]:
    """n segments as Batch sends them; `extra` adds fields: name=lambda i: value."""
    return [
        {
            "code": f"SEG-{i}",
            "display_name": f"Segment {i}",
            "created_at": "2026-01-01T00:00:00Z",
            "updated_at": "2026-01-02T00:00:00Z",
            **{name: make(i) for name, make in extra.items()},
        }
        for i in range(n)
    ]


def error(status: int, body: dict[str, Any], headers: dict[str, str] | None = None) -> httpx.Response:
    return httpx.Response(status, json=body, headers=headers)


def sync_client(handler: Callable[[httpx.Request], httpx.Response], **kwargs: Any) -> batch_rest.BatchClient:
    http = httpx.Client(transport=httpx.MockTransport(handler))
    return batch_rest.BatchClient(KEY, PROJECT, http_client=http, **kwargs)


def async_client(handler: Callable[[httpx.Request], httpx.Response], **kwargs: Any) -> batch_rest.AsyncBatchClient:
    http = httpx.AsyncClient(transport=httpx.MockTransport(handler))
    return batch_rest.AsyncBatchClient(KEY, PROJECT, http_client=http, **kwargs)


def collect(
    kind: str, handler: Callable[[httpx.Request], httpx.Response], call: Callable[[Any], Any], **kw: Any
) -> Any:
    """Run `call(client)` with a sync or async client over `handler`: a list of the items, or the awaited value."""
    if kind == "sync":
        result = call(sync_client(handler, **kw))
        return result if isinstance(result, batch_rest.Page) else list(result)

    async def main() -> Any:
        result = call(async_client(handler, **kw))
        if hasattr(result, "__aiter__"):
            return [item async for item in result]
        return await result

    return asyncio.run(main())
