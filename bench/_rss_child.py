"""Benchmark 3, run in a fresh interpreter: peak RSS growth while streaming a long listing through the wrapper.

    python bench/_rss_child.py --segments 1000000 [--warmup-pages 5] [--async]

Pages come from `LazyPages` (built on demand, then dropped), so the data source holds no more than a page.
ru_maxrss is read after the warm-up pages (imports done, client and caches built, allocator pools primed) and
again at the end; their difference is the peak growth caused by streaming. Prints one JSON object.

On Linux, ru_maxrss survives execve: a process started by a big parent begins with the parent's peak, which
hides any growth below it. bench/run.py therefore starts this script through an intermediate shell (a fresh
fork, see `fresh_process_command` there), and VmHWM (the peak of this address space alone) is reported too.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import json
import resource
import sys
import time
from pathlib import Path
from typing import Any

import httpx
from _pages import API_KEY, BASE_URL, PAGE_SIZE, PROJECT_KEY, LazyPages

from batch_rest import AsyncBatchClient, BatchClient


def _rss_now_kb() -> int:
    # Current (not peak) resident set size, from /proc: context for the report, Linux only.
    try:
        fields = Path("/proc/self/statm").read_text().split()
    except OSError:
        return -1
    return int(fields[1]) * resource.getpagesize() // 1024


def _hwm_kb() -> int:
    # This address space's own peak RSS (VmHWM): unlike ru_maxrss, never inherited from the parent process.
    try:
        lines = Path("/proc/self/status").read_text().splitlines()
    except OSError:
        return -1
    return next((int(line.split()[1]) for line in lines if line.startswith("VmHWM:")), -1)


def _maxrss_kb() -> int:
    # ru_maxrss is in kilobytes on Linux, in bytes on macOS.
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak // 1024 if sys.platform == "darwin" else peak


def _cursor_memory(pager: Any) -> tuple[int, int]:
    """(cursors the pager remembers, bytes they take): the part of the state that grows with the listing."""
    used = getattr(getattr(pager, "_listing", None), "_used", None)
    if not isinstance(used, set):
        return -1, -1
    return len(used), sys.getsizeof(used) + sum(map(sys.getsizeof, used))


def _sync(source: LazyPages, warmup_items: int) -> dict[str, Any]:
    count = 0
    with (
        httpx.Client(transport=source.transport) as http,
        BatchClient(API_KEY, PROJECT_KEY, base_url=BASE_URL, http_client=http) as client,
    ):
        pager = client.segments.list(page_size=PAGE_SIZE)
        segments = iter(pager)
        for _ in range(warmup_items):
            next(segments)
            count += 1
        gc.collect()
        before, rss_before, hwm_before = _maxrss_kb(), _rss_now_kb(), _hwm_kb()
        started = time.perf_counter()
        for segment in segments:
            count += 1
            segment.code  # noqa: B018 - touch every segment
        seconds = time.perf_counter() - started
        cursors = _cursor_memory(pager)
    return {
        "count": count,
        "before_kb": before,
        "rss_before_kb": rss_before,
        "hwm_before_kb": hwm_before,
        "seconds": seconds,
        "cursors": cursors,
    }


async def _async(source: LazyPages, warmup_items: int) -> dict[str, Any]:
    count = 0
    async with (
        httpx.AsyncClient(transport=source.transport) as http,
        AsyncBatchClient(API_KEY, PROJECT_KEY, base_url=BASE_URL, http_client=http) as client,
    ):
        pager = client.segments.list(page_size=PAGE_SIZE)
        segments = aiter(pager)
        for _ in range(warmup_items):
            await anext(segments)
            count += 1
        gc.collect()
        before, rss_before, hwm_before = _maxrss_kb(), _rss_now_kb(), _hwm_kb()
        started = time.perf_counter()
        async for segment in segments:
            count += 1
            segment.code  # noqa: B018 - touch every segment
        seconds = time.perf_counter() - started
        cursors = _cursor_memory(pager)
    return {
        "count": count,
        "before_kb": before,
        "rss_before_kb": rss_before,
        "hwm_before_kb": hwm_before,
        "seconds": seconds,
        "cursors": cursors,
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--segments", type=int, required=True)
    parser.add_argument("--warmup-pages", type=int, default=5)
    parser.add_argument("--async", dest="use_async", action="store_true")
    args = parser.parse_args()
    source = LazyPages(args.segments)
    warmup_items = args.warmup_pages * PAGE_SIZE
    result = asyncio.run(_async(source, warmup_items)) if args.use_async else _sync(source, warmup_items)
    result |= {
        "after_kb": _maxrss_kb(),
        "rss_after_kb": _rss_now_kb(),
        "hwm_after_kb": _hwm_kb(),
        "requests": source.requests,
    }
    print(json.dumps(result))


if __name__ == "__main__":
    main()
