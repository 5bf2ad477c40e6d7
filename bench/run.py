"""`make bench`: the client's benchmarks, as ratios measured side by side in the same run.

    .venv/bin/python bench/run.py [--quick] [--only 1,3]

The machine this runs on is shared and noisy, so no benchmark asserts an absolute time: contenders run
interleaved (the order rotated each round), repeatedly, and what is compared is the median of the per-round
ratios. Absolute medians are printed as context only. The output is a markdown table, one row per goal; the
exit status is 0 even when a goal is missed (this is a report), and 1 only when a benchmark crashed.

 1. CPU cost of listing 100,000 segments (1,000 pages of 100) from an in-memory transport: the wrapper against
    the bare generated client and against raw httpx + json loops, sync and async.
 2. Requests and TCP connections for a full listing, counted by the fake server.
 3. Peak RSS growth while streaming 1,000,000 segments through the wrapper, in a fresh interpreter.
 4. The fake server over loopback against the in-memory transport, for the same 100-page listing: threads placed
    by the scheduler, then all pinned to one CPU (cross-CPU wake-ups cost tens of µs each on a small VM).
 5. CLI cold start (`python -m batch_rest --help`, `batch-rest --help`) against `python -c "import httpx"`.
 6. A storm of 429s with Retry-After: time slept against the Retry-After asked for, and no extra requests.
 7. CPU cost of POST /profiles/update with 200 edits to an in-memory transport: the wrapper against the bare
    generated call, in a subprocess importing a package regenerated with fixture pages (BENCH_PAGES).

Bulk calls (`bulk_<action>`), in subprocesses importing a package regenerated with the profiles-update and
audiences-update fixture pages (bench/_bulk_child.py), the fake server in a process of its own
(`batch-rest fake-server --limit OPERATION=20000/s,burst=2000 --latency 0.02`):

 8. Rate with the limit given to the client (`items_per_second=20_000`): items/s achieved / the server's limit,
    and the share of requests answered 429, for 200,000 profile edits, sync and async.
 9. Rate with nothing given: audiences/update (Batch documents no rate for it) in chunks of 200, same server.
10. CPU of bulk_update over an in-memory transport against the bare generated call sending the same chunks,
    models and plain dicts, 1 call in flight and 4 (the default), sync and async; then sync with 4 in flight
    and every thread on one CPU (as 4 does).
11. Peak RSS growth streaming 1,000,000 edits from a generator to an in-memory transport, in a fresh process.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import math
import os
import platform
import shlex
import subprocess
import sys
import tempfile
import time
import traceback
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
from _contenders import (
    Result,
    generated_async,
    generated_sync,
    raw_async,
    raw_sync,
    wrapper_async,
    wrapper_sync,
)
from _pages import API_KEY, PAGE_SIZE, PROJECT_KEY, PrebuiltPages, pages_of
from _reference_server import ReferenceServer
from _timing import interleaved, median, one_cpu, paired_ratio, progress, spread

from batch_rest import AsyncBatchClient, BatchClient
from batch_rest.testing import FakeBatchServer, Fault

HERE = Path(__file__).resolve().parent
# The fixture pages of the package regenerated for benchmarks 7 to 11 (one package, generated once and cached).
BENCH_PAGES = ["audiences-update", "profiles-update"]


@dataclass(frozen=True)
class Config:
    cpu_segments: int = 100_000
    cpu_rounds: int = 9
    counted_listings: tuple[int, ...] = (10_000, 12_345)
    rss_segments: int = 1_000_000
    rss_async: bool = True
    loopback_segments: int = 10_000
    loopback_rounds: int = 21
    cli_rounds: int = 15
    storm_segments: int = 3_000
    storm_async_segments: int = 1_000
    post_calls: int = 200
    post_rounds: int = 9
    bulk_rate_items: int = 200_000
    bulk_rate_repeats: int = 3
    bulk_cpu_items: int = 20_000
    bulk_cpu_rounds: int = 15
    bulk_rss_items: int = 1_000_000


QUICK = Config(
    cpu_rounds=3,
    counted_listings=(12_345,),
    rss_segments=250_000,
    rss_async=False,
    loopback_rounds=7,
    cli_rounds=7,
    storm_segments=1_000,
    storm_async_segments=0,
    post_calls=50,
    post_rounds=3,
    bulk_rate_items=100_000,
    bulk_rate_repeats=1,
    bulk_cpu_items=10_000,
    bulk_cpu_rounds=3,
    bulk_rss_items=250_000,
)


@dataclass(frozen=True)
class Row:
    number: str
    measured: str
    ratio: str
    goal: str
    ok: bool | None  # None: crashed
    context: str


def _ms(seconds: float) -> str:
    return f"{seconds * 1000:.0f} ms" if seconds >= 0.1 else f"{seconds * 1000:.1f} ms"


def _row(number: str, measured: str, ratio: float, limit: float, context: str) -> Row:
    return Row(number, measured, f"{ratio:.2f}x", f"<= {limit:g}x", ratio <= limit, context)


def _expect(segments: int, last_code: str) -> Callable[[str, Any], None]:
    def check(name: str, result: Any) -> None:
        if result != (segments, last_code):
            raise AssertionError(f"{name} saw {result!r}, expected ({segments}, {last_code!r})")

    return check


# -- 1. CPU cost per listing ------------------------------------------------------------------------------------


def _cpu_rows(number: str, label: str, times: dict[str, list[float]], segments: int) -> list[Row]:
    per_item = {name: median(values) / segments * 1e6 for name, values in times.items()}
    context = ", ".join(f"{name} {_ms(median(values))}" for name, values in times.items())
    context += f" (CPU, median of {len(times['wrapper'])}; wrapper {per_item['wrapper']:.2f} µs/segment,"
    context += f" spread {spread(times['wrapper'])})"
    return [
        _row(number, f"{label}: wrapper / bare generated client", paired_ratio(times, "wrapper", "generated"), 1.10,
             context),
        _row(number, f"{label}: wrapper / raw httpx + json (dicts)", paired_ratio(times, "wrapper", "raw"), 1.5, ""),
        _row(number, f"{label}: wrapper / raw + datetime.fromisoformat (same output)",
             paired_ratio(times, "wrapper", "raw+dt"), 1.5, ""),
    ]  # fmt: skip


def bench_cpu(config: Config, pages: PrebuiltPages) -> list[Row]:
    transport = pages.transport
    check = _expect(pages.segments, pages.last_code())
    what = f"{pages.segments:,} segments ({pages_of(pages.segments):,} pages), CPU"
    sync_contenders: dict[str, Callable[[], Result]] = {
        "wrapper": lambda: wrapper_sync(transport),
        "generated": lambda: generated_sync(transport),
        "raw": lambda: raw_sync(transport),
        "raw+dt": lambda: raw_sync(transport, parse_timestamps=True),
    }
    times = interleaved(sync_contenders, rounds=config.cpu_rounds, check=check, label="1 sync").cpu
    rows = _cpu_rows("1a", f"sync, {what}", times, pages.segments)

    loop = asyncio.new_event_loop()
    try:
        run = loop.run_until_complete
        async_contenders: dict[str, Callable[[], Result]] = {
            "wrapper": lambda: run(wrapper_async(transport)),
            "generated": lambda: run(generated_async(transport)),
            "raw": lambda: run(raw_async(transport)),
            "raw+dt": lambda: run(raw_async(transport, parse_timestamps=True)),
        }
        times = interleaved(async_contenders, rounds=config.cpu_rounds, check=check, label="1 async").cpu
    finally:
        loop.close()
    return rows + _cpu_rows("1b", f"async, {what}", times, pages.segments)


# -- 2. requests and connections ---------------------------------------------------------------------------------


def _list_sync(server: FakeBatchServer) -> list[str]:
    with BatchClient(server.api_key, server.project_key, base_url=server.url) as client:
        return [segment.code for segment in client.segments.list()]


async def _list_async(server: FakeBatchServer) -> list[str]:
    async with AsyncBatchClient(server.api_key, server.project_key, base_url=server.url) as client:
        return [segment.code async for segment in client.segments.list()]


def bench_counts(config: Config) -> list[Row]:
    rows = []
    for segments in config.counted_listings:
        for mode in ("sync", "async"):
            progress(f"2 {mode} {segments}")
            with FakeBatchServer(segments, seed=segments) as server:
                codes = _list_sync(server) if mode == "sync" else asyncio.run(_list_async(server))
                requests, connections = server.requests, server.connections_opened
                expected_codes = [server.segment(i)["code"] for i in (0, segments - 1)]
            expected = pages_of(segments)
            complete = len(codes) == segments == len(set(codes)) and [codes[0], codes[-1]] == expected_codes
            limits = {tuple(r.query.get("limit", ())) for r in requests}
            ok = len(requests) == expected and connections == 1 and complete and limits == {(str(PAGE_SIZE),)}
            context = f"{len(codes):,} segments listed{'' if complete else ' (WRONG: not the full listing)'}"
            context += f", limit={'/'.join(sorted(','.join(x) for x in limits))} sent"
            rows.append(Row(
                "2", f"{mode}, full listing of N={segments:,}: requests, TCP connections (server-side)",
                f"{len(requests)}/{expected} req, {connections} conn", f"= ceil(N/100) = {expected} req, 1 conn",
                ok, context,
            ))  # fmt: skip
    return rows


# -- 3. memory ---------------------------------------------------------------------------------------------------


def fresh_process_command(command: list[str]) -> list[str]:
    """`command`, started so that its ru_maxrss starts from zero rather than from this (big) process's peak.

    Linux carries ru_maxrss over execve, and a forked child starts with its parent's pages: run directly, the
    child would report this process's peak until it outgrew it. A shell that forks once more (it cannot exec
    the command in place, since `exit` follows) gives the command a fresh process whose parent is tiny.
    """
    if not Path("/bin/sh").exists():
        return command
    return ["/bin/sh", "-c", '"$@"; exit $?', "sh", *command]


def bench_rss(config: Config) -> list[Row]:
    rows = []
    for mode in ("sync", "async") if config.rss_async else ("sync",):
        progress(f"3 {mode} rss")
        command = [sys.executable, str(HERE / "_rss_child.py"), "--segments", str(config.rss_segments)]
        if mode == "async":
            command.append("--async")
        done = subprocess.run(fresh_process_command(command), capture_output=True, text=True, check=False)
        if done.returncode != 0:
            raise RuntimeError(f"{' '.join(command)} failed:\n{done.stderr}")
        result = json.loads(done.stdout)
        if result["count"] != config.rss_segments:
            raise AssertionError(f"the RSS run listed {result['count']} segments of {config.rss_segments}")
        growth_mb = (result["after_kb"] - result["before_kb"]) / 1024
        cursors, cursor_bytes = result["cursors"]
        mb = {key: value / 1024 for key, value in result.items() if key.endswith("_kb")}
        context = (
            f"ru_maxrss {mb['before_kb']:.1f} -> {mb['after_kb']:.1f} MB; VmHWM {mb['hwm_before_kb']:.1f} -> "
            f"{mb['hwm_after_kb']:.1f} MB; current RSS {mb['rss_before_kb']:.1f} -> {mb['rss_after_kb']:.1f} MB; "
            f"{result['requests']:,} pages built on demand, streamed in {result['seconds']:.1f} s"
        )
        if cursors >= 0:
            context += f"; the pager's set of used cursors: {cursors:,} cursors, {cursor_bytes / 2**20:.1f} MB"
        rows.append(Row(
            "3", f"{mode}, peak RSS growth (ru_maxrss) streaming {config.rss_segments:,} segments, fresh process",
            f"{growth_mb:+.1f} MB", "<= 20 MB", growth_mb <= 20, context,
        ))  # fmt: skip
    return rows


# -- 4. loopback against in-memory -----------------------------------------------------------------------------


def bench_loopback(config: Config) -> list[Row]:
    # Twice: as the scheduler places the threads, and with the client and the server's threads on one CPU. On a
    # 2-vCPU VM, each cross-CPU wake-up (two per request: the server's on the request, the client's on the
    # response) costs tens of µs: the VM's cost, not the fake server's. (A server in its own process measured no
    # better: the GIL the two threads share is not what costs.)
    rows = _loopback_rows(config, pinned="")
    with one_cpu() as cpu:
        if cpu:
            rows += _loopback_rows(config, pinned=cpu)
    return rows


def _loopback_rows(config: Config, *, pinned: str) -> list[Row]:
    # One SSL context for every run: an httpx transport otherwise loads the CA bundle each time it is built
    # (~20 ms, more than a third of the in-memory listing), which is no cost of the loopback listing itself.
    ssl_context = httpx.create_ssl_context()
    with FakeBatchServer(config.loopback_segments, api_key=API_KEY, project_key=PROJECT_KEY) as server:
        pages = PrebuiltPages(config.loopback_segments, data=server)
        # The in-memory pages are the server's own answers, byte for byte: only the transport differs.
        headers = {"Authorization": f"Bearer {API_KEY}", "X-Batch-Project": PROJECT_KEY}
        with httpx.Client(base_url=server.url, headers=headers) as http:
            first = http.get("/segments/list", params={"limit": PAGE_SIZE})
            cursor = first.json()["next_from"]
            second = http.get("/segments/list", params={"limit": PAGE_SIZE, "from": cursor})
        if first.content != pages.body(None) or second.content != pages.body(cursor):
            raise AssertionError("the in-memory pages differ from the fake server's")
        check = _expect(pages.segments, pages.last_code())
        with ReferenceServer(pages, server.api_version) as reference:

            def over(url: str) -> Callable[[], Result]:
                # A new transport per run: one new connection per listing, as with a new client.
                return lambda: wrapper_sync(httpx.HTTPTransport(verify=ssl_context), base_url=url)

            contenders: dict[str, Callable[[], Result]] = {
                "fake server": over(server.url),
                "in-memory": lambda: wrapper_sync(pages.transport, base_url=server.url),
                "bare socket loop": over(reference.url),
            }
            timings = interleaved(contenders, rounds=config.loopback_rounds, check=check, label=f"4 {pinned}")
        stalled = ""
        if not pinned:
            # Once, for the record: the stdlib's two sends per response with Nagle on (see _server.process_request).
            server._fast = False
            started = time.perf_counter()
            check("stdlib writes", over(server.url)())
            stalled = (
                f"; the same server writing as a stdlib http.server does, once: {time.perf_counter() - started:.2f} s"
            )
    times = timings.wall
    medians = {name: median(values) for name, values in times.items()}
    requests = pages_of(pages.segments)

    def versus_memory(name: str) -> str:
        return f"{name} {_ms(medians[name])} ({paired_ratio(times, name, 'in-memory'):.2f}x)"

    context = (
        f"in-memory {_ms(medians['in-memory'])}; {versus_memory('fake server')}: "
        f"{(medians['fake server'] - medians['in-memory']) / requests * 1e6:.0f} µs more per request "
        f"(wall, median of {config.loopback_rounds}, spread {spread(times['fake server'])}/"
        f"{spread(times['in-memory'])}). The floor for any Python server in the client's process: "
        f"{versus_memory('bare socket loop')}, a thread sending prebuilt bytes with no HTTP parsing{stalled}"
    )
    where = f", all on {pinned}" if pinned else ", threads placed by the scheduler"
    what = f"sync wrapper, {pages.segments:,} segments ({requests} pages){where}: fake server on loopback / in-memory"
    return [_row("4", what, paired_ratio(times, "fake server", "in-memory"), 2.0, context)]


# -- 5. CLI cold start -------------------------------------------------------------------------------------------


def _run_command(command: list[str]) -> Callable[[], int]:
    def run() -> int:
        done = subprocess.run(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, check=False)
        if done.returncode != 0:
            raise RuntimeError(f"{' '.join(command)} exited with {done.returncode}: {done.stderr.decode()}")
        return done.returncode

    return run


def bench_cli(config: Config) -> list[Row]:
    python = sys.executable
    contenders = {
        "python -c 'import httpx'": _run_command([python, "-c", "import httpx"]),
        "python -m batch_rest --help": _run_command([python, "-m", "batch_rest", "--help"]),
    }
    script = Path(python).parent / "batch-rest"
    if script.exists():
        contenders["batch-rest --help"] = _run_command([str(script), "--help"])
    times = interleaved(contenders, rounds=config.cli_rounds, label="5").wall
    baseline = "python -c 'import httpx'"
    context = ", ".join(f"`{name}` {_ms(median(values))}" for name, values in times.items())
    context += f" (wall, median of {config.cli_rounds})"
    rows = []
    for name in contenders:
        if name != baseline:
            rows.append(_row("5", f"cold start: `{name}` / `{baseline}`", paired_ratio(times, name, baseline), 1.5,
                             context if not rows else ""))  # fmt: skip
    return rows


# -- 6. 429 storm ------------------------------------------------------------------------------------------------


class SleepRecorder:
    """Stands in for the client's sleep: records what it was asked for and how long it really slept."""

    def __init__(self) -> None:
        self.asked: list[float] = []
        self.slept = 0.0

    def __call__(self, seconds: float) -> None:
        self.asked.append(seconds)
        started = time.perf_counter()
        time.sleep(seconds)
        self.slept += time.perf_counter() - started

    async def asleep(self, seconds: float) -> None:
        self.asked.append(seconds)
        started = time.perf_counter()
        await asyncio.sleep(seconds)
        self.slept += time.perf_counter() - started


class RetryAfterSeen:
    """An httpx response hook: the Retry-After of every 429 the client received."""

    def __init__(self) -> None:
        self.values: list[float] = []

    def __call__(self, response: httpx.Response) -> None:
        if response.status_code == 429:
            self.values.append(float(response.headers["Retry-After"]))

    async def ahook(self, response: httpx.Response) -> None:
        self(response)


def _storm_sync(server: FakeBatchServer, sleep: SleepRecorder, seen: RetryAfterSeen) -> int:
    with (
        httpx.Client(timeout=10, event_hooks={"response": [seen]}) as http,
        BatchClient(
            server.api_key, server.project_key, base_url=server.url, http_client=http, max_retries=10
        ) as client,
    ):
        client._sleep = sleep
        return sum(1 for _ in client.segments.list())


async def _storm_async(server: FakeBatchServer, sleep: SleepRecorder, seen: RetryAfterSeen) -> int:
    async with (
        httpx.AsyncClient(timeout=10, event_hooks={"response": [seen.ahook]}) as http,
        AsyncBatchClient(
            server.api_key, server.project_key, base_url=server.url, http_client=http, max_retries=10
        ) as client,
    ):
        client._sleep = sleep.asleep
        return sum([1 async for _ in client.segments.list()])


def bench_storm(config: Config) -> list[Row]:
    rows = []
    runs = [("sync", config.storm_segments), ("async", config.storm_async_segments)]
    for mode, segments in runs:
        if not segments:
            continue
        progress(f"6 {mode} storm")
        sleep, seen = SleepRecorder(), RetryAfterSeen()
        with FakeBatchServer(segments) as server:
            server.set_fault_rate(0.2, [Fault.rate_limit(retry_after=1)], seed=1)
            started = time.perf_counter()
            if mode == "sync":
                listed = _storm_sync(server, sleep, seen)
            else:
                listed = asyncio.run(_storm_async(server, sleep, seen))
            elapsed = time.perf_counter() - started
            requests = server.requests
        limited = sum(1 for r in requests if r.fault == "rate_limit")
        successes = sum(1 for r in requests if r.fault is None)
        asked_for = sum(seen.values)
        pages = pages_of(segments)
        ratio = sleep.slept / asked_for if asked_for else float("nan")
        no_extra = listed == segments and successes == pages
        no_extra = no_extra and len(requests) == pages + limited == pages + len(seen.values)
        context = (
            f"{len(seen.values)} x 429 received, Retry-After sum {asked_for:g} s; slept {sleep.slept:.3f} s in "
            f"{len(sleep.asked)} calls (asked {sum(sleep.asked):g} s); listing took {elapsed:.2f} s"
        )
        what = f"{mode}, 429 storm (20 % of requests, Retry-After: 1), {segments:,} segments"
        rows.append(_row("6", f"{what}: time slept / sum of Retry-After", ratio, 1.1, context))
        rows.append(Row(
            "6", f"{what}: requests (server-side) = pages + 429s", f"{len(requests)} = {pages} + {limited}",
            f"= {pages} pages + 429s", no_extra,
            f"{segments:,} segments listed" if listed == segments else f"only {listed:,} segments listed",
        ))  # fmt: skip
    return rows


# -- 7. a POST with a 200-edit body ---------------------------------------------------------------------------


def regenerated_environment(pages: list[str]) -> dict[str, str]:
    """The environment of a child process importing a package regenerated with these fixture pages, and bench/."""
    if str(HERE.parent / "tests") not in sys.path:
        sys.path.insert(0, str(HERE.parent / "tests"))
    from fixtures.regen import environment, regenerated

    package_root = regenerated(pages)
    return environment(
        package_root, {"PYTHONPATH": os.pathsep.join([str(HERE), environment(package_root)["PYTHONPATH"]])}
    )


def bench_post(config: Config) -> list[Row]:
    command = [sys.executable, str(HERE / "_post_child.py"), "--calls", str(config.post_calls)]
    command += ["--rounds", str(config.post_rounds)]
    env = regenerated_environment(BENCH_PAGES)
    done = subprocess.run(command, capture_output=True, text=True, env=env, check=False)
    if done.returncode != 0:
        raise RuntimeError(f"{' '.join(command)} failed:\n{done.stderr}")
    result = json.loads(done.stdout)
    times = result["cpu"]
    per_call = {name: median(values) / result["calls"] * 1e6 for name, values in times.items()}
    context = ", ".join(f"{name} {value:.0f} µs/call" for name, value in per_call.items())
    rounds, calls, size = len(times["wrapper"]), result["calls"], result["body_bytes"]
    context += f" (CPU, median of {rounds} rounds of {calls} calls; body {size:,} bytes)"
    what = f"POST /profiles/update, {result['edits']} edits, in-memory transport, CPU"
    return [
        _row(
            "7",
            f"{what}: wrapper (models) / bare generated call",
            paired_ratio(times, "wrapper", "generated"),
            1.10,
            context,
        ),
        _row(
            "7",
            f"{what}: wrapper (plain dicts) / bare generated call",
            paired_ratio(times, "wrapper dicts", "generated"),
            1.10,
            "",
        ),
    ]


# -- 8 to 11: bulk calls ---------------------------------------------------------------------------------------

LIMIT, BURST, LATENCY = 20_000, 2_000, 0.02  # the fake server's limit (items/s) and burst, and its latency (s)
RATE_GOALS = {"8": 0.95, "9": 0.80}
NOTES = {  # printed under the table: what the numbers rest on (the README's "Benchmarks" says more)
    "8": "the fake server is `batch-rest fake-server --limit OPERATION=20000/s,burst=2000 --latency 0.02` in a "
    "process of its own, started afresh for each run: a token bucket per operation counting each request's items, "
    "full at first; a request beyond it is answered 429 (no Retry-After) when it arrives. Items/s: items accepted "
    "over the wall-clock time of the whole bulk call (max_in_flight=4, over loopback); 429s: the client's count.",
    "9": '"given nothing": audiences/update, for which Batch documents no rate (a client given nothing paces '
    "profiles/update at its documented 300 edits/s); chunk_size=200, since its 10,000-id chunks exceed the burst. "
    "items_per_second=math.inf (no pace of the client's own) on profiles/update is the same path, measured once.",
    "10": "the bare call: profiles_update.sync_detailed / asyncio_detailed of the generated package over slices of "
    "200 of the same models, one call after the other, through the same httpx.MockTransport answering 202; the bulk "
    "calls unpaced (items_per_second=math.inf); CPU: time.process_time (every thread); 1 in flight is like for like.",
    "11": "edits made by a generator as plain dicts, sent to an httpx.MockTransport answering 202 that keeps nothing "
    "(the fake server's request log keeps every body); ru_maxrss after a warm-up call of 20,000 edits, in a fresh "
    "process.",
}
MOST_429 = 0.01  # share of requests answered 429, with the limit given


def _bulk_child(env: dict[str, str], *args: str, fresh: bool = False) -> dict[str, Any]:
    command = [sys.executable, str(HERE / "_bulk_child.py"), *args]
    done = subprocess.run(
        fresh_process_command(command) if fresh else command, capture_output=True, text=True, env=env, check=False
    )
    if done.returncode != 0:
        raise RuntimeError(f"{' '.join(command)} failed:\n{done.stderr}")
    return json.loads(done.stdout)  # type: ignore[no-any-return]


@contextlib.contextmanager
def fake_server_process(env: dict[str, str], limit: str) -> Iterator[list[str]]:
    """`batch-rest fake-server --limit <limit> --latency 0.02` in a process of its own (its own GIL, and its request
    log, which keeps every body, out of the client's memory); yields the client's connection arguments."""
    command = [sys.executable, "-m", "batch_rest", "fake-server", "--limit", limit, "--latency", str(LATENCY)]
    with tempfile.TemporaryFile() as errors:  # not a pipe: nobody reads it while the server runs
        server = subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=errors, text=True)
        try:
            found: dict[str, str] = {}
            assert server.stdout is not None
            for line in server.stdout:  # the `export NAME=value` lines it prints once it listens
                name, equals, value = line.removeprefix("export ").strip().partition("=")
                if line.startswith("export ") and equals:
                    found[name] = shlex.split(value)[0]
                if "BATCH_PROJECT_KEY" in found:
                    break
            else:
                errors.seek(0)
                raise RuntimeError(f"the fake server did not start: {errors.read().decode(errors='replace')}")
            yield ["--base-url", found["BATCH_BASE_URL"], "--api-key", found["BATCH_REST_API_KEY"],
                   "--project-key", found["BATCH_PROJECT_KEY"]]  # fmt: skip
        finally:
            server.terminate()  # SIGTERM: SIGINT is ignored by a process started in the background of a shell
            try:
                server.wait(timeout=10)
            except subprocess.TimeoutExpired:
                server.kill()
                server.wait()


def _rate_runs(
    config: Config, env: dict[str, str], operation: str, args: list[str], repeats: int
) -> list[dict[str, Any]]:
    runs = []
    for _ in range(repeats):
        with fake_server_process(env, f"{operation}={LIMIT}/s,burst={BURST}") as connection:
            found = _bulk_child(env, "rate", *connection, "--operation", operation,
                                "--items", str(config.bulk_rate_items), *args)  # fmt: skip
        if (found["accepted"], found["ok"]) != (config.bulk_rate_items, True):
            raise AssertionError(f"the bulk call did not accept every item: {found}")
        runs.append(found)
    return runs


def _rate_context(runs: list[dict[str, Any]]) -> str:
    rates = ", ".join(f"{r['accepted'] / r['seconds']:,.0f}" for r in runs)
    requests = "/".join(str(r["requests"]) for r in runs)
    limited = "/".join(str(r["rate_limited"]) for r in runs)
    return (
        f"{runs[0]['accepted']:,} items; items/s {rates} (wall clock of the whole call, median of {len(runs)}); "
        f"{requests} requests, {limited} of them 429"
    )


def bench_bulk_rate(config: Config, number: str) -> list[Row]:
    env = regenerated_environment(BENCH_PAGES)
    modes = ["sync", "async"]
    if number == "8":
        cases = [("profiles_update", ["--items-per-second", str(LIMIT)], "items_per_second=20_000", modes)]
    else:
        # Nothing given: an operation whose rate Batch does not document (audiences/update; its 10,000-id chunks
        # would be more than the burst, so chunk_size=200 as for profiles). Then profiles/update with
        # items_per_second=math.inf ("no pace of my own"), the same code path, once, for the record.
        cases = [
            ("audiences_update", ["--chunk-size", "200"], "nothing (audiences/update, chunk_size=200)", modes),
            ("profiles_update", ["--items-per-second", "inf"], "items_per_second=math.inf (profiles/update)", ["sync"]),
        ]
    goal, rows = RATE_GOALS[number], []
    server = (
        f"fake server (own process) limiting to {LIMIT:,} items/s, burst {BURST:,}, {LATENCY * 1000:.0f} ms latency"
    )
    for operation, args, given, case_modes in cases:
        for mode in case_modes:
            progress(f"{number} {mode} {operation}")
            repeats = config.bulk_rate_repeats if case_modes == modes else 1
            runs = _rate_runs(config, env, operation, [*args, *(["--async"] if mode == "async" else [])], repeats)
            ratio = median([r["accepted"] / r["seconds"] for r in runs]) / LIMIT
            what = f"{mode}, {server}; client given {given}: items/s / limit"
            rows.append(Row(number, what, f"{ratio:.3f}", f">= {goal:g}", ratio >= goal, _rate_context(runs)))
            if number == "8":
                share = max(r["rate_limited"] / r["requests"] for r in runs)
                rows.append(Row(number, f"{mode}, the same: requests answered 429 / requests (the most of the runs)",
                                f"{share:.2%}", f"<= {MOST_429:.0%}", share <= MOST_429, ""))  # fmt: skip
    return rows


def bench_bulk_cpu(config: Config, *, minimal_edits: bool = False) -> list[Row]:
    env = regenerated_environment(BENCH_PAGES)
    progress("10 cpu")
    args = ["--items", str(config.bulk_cpu_items), "--rounds", str(config.bulk_cpu_rounds)]
    found = _bulk_child(env, "cpu", *args, *(["--minimal-edits"] if minimal_edits else []))
    items, chunks = found["items"], math.ceil(found["items"] / found["chunk"])
    rows = []
    for mode in ("sync", "async"):
        times: dict[str, list[float]] = found[mode]
        bare = median(times["bare"])
        for name, goal in (("models, 1 in flight", 1.10), ("models, 4 in flight", 1.10),
                           ("dicts, 1 in flight", 1.25), ("dicts, 4 in flight", 1.25)):  # fmt: skip
            extra = (median(times[name]) - bare) / chunks * 1e6
            context = (
                f"{median(times[name]) / items * 1e6:.2f} vs {bare / items * 1e6:.2f} µs/item, {extra:+.0f} µs/chunk"
            )
            if not rows:
                context += (
                    f" (CPU, median of {len(times['bare'])} rounds of {items:,} of {found['edit']} edits in chunks"
                    f" of {found['chunk']},"
                    f" {found['chunk_bytes']:,} bytes a chunk; spread {spread(times[name])}/{spread(times['bare'])})"
                )
            what = f"{mode}, bulk_update CPU per item ({name}) / the bare generated call, in-memory transport"
            rows.append(_row("10", what, paired_ratio(times, name, "bare"), goal, context))
    pinned: dict[str, list[float]] = found["pinned"]
    for name, goal in (("models, 4 in flight", 1.10), ("dicts, 4 in flight", 1.25)) if pinned else ():
        what = f"sync, the same ({name}), all threads on {found['cpu']}"
        rows.append(_row("10", what, paired_ratio(pinned, name, "bare"), goal,
                         f"{median(pinned[name]) / items * 1e6:.2f} vs {median(pinned['bare']) / items * 1e6:.2f} "
                         "µs/item"))  # fmt: skip
    return rows


def bench_bulk_rss(config: Config) -> list[Row]:
    env = regenerated_environment(BENCH_PAGES)
    rows = []
    for mode in ("sync", "async") if config.rss_async else ("sync",):
        progress(f"11 {mode} rss")
        found = _bulk_child(env, "rss", "--items", str(config.bulk_rss_items),
                            *(["--async"] if mode == "async" else []), fresh=True)  # fmt: skip
        if (found["accepted"], found["ok"]) != (config.bulk_rss_items, True):
            raise AssertionError(f"the bulk call did not accept every item: {found}")
        growth_mb = (found["after_kb"] - found["before_kb"]) / 1024
        mb = {key: value / 1024 for key, value in found.items() if key.endswith("_kb")}
        context = (
            f"ru_maxrss {mb['before_kb']:.1f} -> {mb['after_kb']:.1f} MB (before the warm-up call of 20,000 edits: "
            f"{mb['cold_kb']:.1f} MB); VmHWM {mb['hwm_before_kb']:.1f} -> {mb['hwm_after_kb']:.1f} MB; current RSS "
            f"{mb['rss_before_kb']:.1f} -> {mb['rss_after_kb']:.1f} MB; {found['requests']:,} requests in "
            f"{found['seconds']:.1f} s"
        )
        what = (
            f"{mode}, peak RSS growth (ru_maxrss) streaming {config.bulk_rss_items:,} edits (plain dicts) from a "
            "generator through bulk_update to an in-memory transport, fresh process"
        )
        rows.append(Row("11", what, f"{growth_mb:+.1f} MB", "<= 30 MB", growth_mb <= 30, context))
    return rows


# -- the report --------------------------------------------------------------------------------------------------


def _table(rows: list[Row]) -> str:
    header = ["#", "what was measured", "ratio", "goal", "result", "context (absolute medians)"]
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    for row in rows:
        result = "CRASH" if row.ok is None else "PASS" if row.ok else "**MISS**"
        cells = [row.number, row.measured, row.ratio, row.goal, result, row.context]
        lines.append("| " + " | ".join(cell.replace("|", "\\|") for cell in cells) + " |")
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="fewer rounds and smaller listings (~1 minute)")
    parser.add_argument("--only", metavar="LIST", help="comma-separated benchmark numbers, e.g. 1,4")
    parser.add_argument("--minimal-edits", action="store_true",
                        help="benchmark 10 with the smallest profile edit (a custom_id, one attribute)")  # fmt: skip
    args = parser.parse_args()
    config = QUICK if args.quick else Config()
    only = set(args.only.split(",")) if args.only else {str(n) for n in range(1, 12)}

    started = time.perf_counter()
    benchmarks: list[tuple[str, str, Callable[[], list[Row]]]] = [
        ("1", "CPU per listing, sync and async", lambda: bench_cpu(config, PrebuiltPages(config.cpu_segments))),
        ("2", "requests and connections", lambda: bench_counts(config)),
        ("3", "peak RSS while streaming", lambda: bench_rss(config)),
        ("4", "loopback against in-memory", lambda: bench_loopback(config)),
        ("5", "CLI cold start", lambda: bench_cli(config)),
        ("6", "429 storm", lambda: bench_storm(config)),
        ("7", "POST with 200 edits", lambda: bench_post(config)),
        ("8", "bulk rate, limit given", lambda: bench_bulk_rate(config, "8")),
        ("9", "bulk rate, nothing given", lambda: bench_bulk_rate(config, "9")),
        ("10", "bulk CPU per item", lambda: bench_bulk_cpu(config, minimal_edits=args.minimal_edits)),
        ("11", "bulk peak RSS while streaming", lambda: bench_bulk_rss(config)),
    ]
    rows: list[Row] = []
    for number, title, bench in benchmarks:
        if number not in only:
            continue
        print(f"[{time.perf_counter() - started:5.1f} s] benchmark {number}: {title}...", file=sys.stderr, flush=True)
        try:
            rows += bench()
        except Exception as exc:  # noqa: BLE001 - reported in the table, then the exit status
            traceback.print_exc()
            rows.append(Row(number, title, "-", "-", None, f"{type(exc).__name__}: {exc}"))
        progress("")
    elapsed = time.perf_counter() - started

    print(
        f"## batch-rest-client benchmarks{' (--quick)' if args.quick else ''}\n\n"
        f"Python {platform.python_version()} on {platform.system()} {platform.machine()}, {os.cpu_count()} CPUs, "
        f"httpx {httpx.__version__}; {elapsed:.0f} s in all. Ratios are medians of per-round ratios, contenders "
        "interleaved; absolute times are context only.\n"
    )
    print(_table(rows))
    notes = [f"- {number}: {NOTES[number]}" for number in sorted(NOTES, key=int) if number in only]
    if notes:
        print("\nWhat the numbers rest on:\n\n" + "\n".join(notes))
    missed = [row for row in rows if row.ok is False]
    crashed = [row for row in rows if row.ok is None]
    print(f"\n{len(rows) - len(missed) - len(crashed)} PASS, {len(missed)} MISS, {len(crashed)} CRASH")
    return 1 if crashed else 0


if __name__ == "__main__":
    sys.exit(main())
