"""`make demo`: list every segment of a fake Batch API through the `batch-rest` CLI, and show what a person reads.

    python -m batch_rest fake-server --port 0 --segments 2500   (a subprocess: prints its URL and credentials)
    python -m batch_rest segments list --format table -v        (with those in its environment)

The listing's table is read here rather than scrolled past: the demo prints its head, how many rows follow, and
a summary of the listing (segments, pages, time). Pages are the successful requests the CLI logged (-v).
Both subprocesses are ended and reaped in a `finally`, whatever happens (an error, Ctrl-C). Stdlib only.
"""

from __future__ import annotations

import contextlib
import os
import queue
import re
import shlex
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from typing import IO, Any

SEGMENTS = 2500
HEAD_ROWS = 10
LISTING = ("segments", "list", "--format", "table", "-v")
# The client's debug log line for each request (-v): "GET /2.11/segments/list?limit=100 -> 200 in 3.1 ms (attempt 1)"
REQUEST_LOG = re.compile(r" -> (\d{3}) in [0-9.]+ ms")
START_TIMEOUT = 15.0  # seconds for the server to print its URL and credentials
VARIABLES = ("BATCH_BASE_URL", "BATCH_REST_API_KEY", "BATCH_PROJECT_KEY")
Children = list[subprocess.Popen[str]]


def _read_lines(stream: IO[str], lines: queue.Queue[str | None]) -> None:
    for line in stream:  # drains until the server exits, so that it never blocks on a full pipe
        lines.put(line)
    lines.put(None)


def _credentials(server: subprocess.Popen[str]) -> dict[str, str]:
    """The values of the `export NAME=value` lines the server prints, once all three have arrived."""
    assert server.stdout is not None
    lines: queue.Queue[str | None] = queue.Queue()
    threading.Thread(target=_read_lines, args=(server.stdout, lines), daemon=True).start()
    found: dict[str, str] = {}
    deadline = time.monotonic() + START_TIMEOUT
    while not found.keys() >= set(VARIABLES):
        try:
            line = lines.get(timeout=max(0.0, deadline - time.monotonic()))
        except queue.Empty:
            raise RuntimeError(f"the fake server printed no credentials within {START_TIMEOUT:g} s") from None
        if line is None:
            raise RuntimeError(f"the fake server exited early (exit code {server.wait()})")
        words = shlex.split(line, comments=True)
        if len(words) == 2 and words[0] == "export" and "=" in words[1]:
            name, _, value = words[1].partition("=")
            found[name] = value
    return {name: found[name] for name in VARIABLES}


@contextlib.contextmanager
def _ctrl_c_deferred() -> Iterator[None]:
    """Hold Ctrl-C until the block ends: a Popen interrupted mid-start loses its child, never to be reaped."""
    received: list[int] = []
    previous = signal.signal(signal.SIGINT, lambda signum, _: received.append(signum))
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)
    if received:
        raise KeyboardInterrupt


def _start(children: Children, *command: str, **options: Any) -> subprocess.Popen[str]:
    with _ctrl_c_deferred():
        process = subprocess.Popen([sys.executable, "-m", "batch_rest", *command], text=True, **options)
        children.append(process)
    return children[-1]


def _stop(process: subprocess.Popen[str], grace: float) -> None:
    """End and reap `process`: `grace` s to end by itself (Ctrl-C reaches it too), then SIGTERM, SIGKILL."""
    try:
        with contextlib.suppress(subprocess.TimeoutExpired):
            process.wait(timeout=grace)
        if process.poll() is None:
            process.terminate()
            with contextlib.suppress(subprocess.TimeoutExpired):
                process.wait(timeout=5)
    finally:  # also after a second Ctrl-C during a wait
        if process.poll() is None:
            process.kill()
        process.wait()


def _show(table: str, log: str, seconds: float) -> None:
    """The table's header and first rows, how many follow, and the listing's summary; or the CLI's error."""
    header, rule, *rows = table.splitlines() or ["", ""]
    print("\n".join([header, rule, *rows[:HEAD_ROWS]]))
    if len(rows) > HEAD_ROWS:
        print(f"... and {len(rows) - HEAD_ROWS:,} more rows")
    pages = sum(1 for status in REQUEST_LOG.findall(log) if status.startswith("2"))
    print(f"\n{len(rows):,} segments, {pages:,} pages in {seconds:.1f} s (the table above shows the first rows)")
    problems = [line for line in log.splitlines() if not REQUEST_LOG.search(line)]
    if problems:
        print("\n".join(problems), file=sys.stderr)


def main() -> int:
    print(f"Demo: a fake Batch API with {SEGMENTS} segments on 127.0.0.1, listed by the batch-rest CLI.")
    sys.stdout.flush()
    children: Children = []
    with tempfile.TemporaryFile("w+") as server_log:
        try:
            server = _start(children, "fake-server", "--port", "0", "--segments", str(SEGMENTS),
                            stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=server_log)  # fmt: skip
            env = _credentials(server)
            print(f"Server at {env['BATCH_BASE_URL']}; running: batch-rest {' '.join(LISTING)}\n")
            sys.stdout.flush()
            # Popen rather than subprocess.run, which on Ctrl-C kills its child without reaping it.
            started = time.monotonic()
            listing = _start(children, *LISTING, env={**os.environ, **env}, stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE)  # fmt: skip
            table, log = listing.communicate()
            code = listing.returncode
            _show(table, log, time.monotonic() - started)
        except KeyboardInterrupt:
            print("\ndemo: interrupted", file=sys.stderr)
            return 130
        except RuntimeError as exc:
            server_log.seek(0)
            print(f"demo: {exc}\n{server_log.read()}", file=sys.stderr)
            return 1
        finally:
            # The server first, then the listing, which may still be printing its resume hint after Ctrl-C.
            for child, grace in zip(children, (0.0, 2.0), strict=False):
                _stop(child, grace)
    print(
        "\nThe same CLI against the real API: export BATCH_REST_API_KEY=<your REST API key> "
        "BATCH_PROJECT_KEY=<your project key>; unset BATCH_BASE_URL; batch-rest segments list"
    )
    return code


if __name__ == "__main__":
    sys.exit(main())
