"""`make demo`: list every segment of a fake Batch API through the `batch-rest` CLI.

    python -m batch_rest fake-server --port 0 --segments 2500   (a subprocess: prints its URL and credentials)
    python -m batch_rest segments list --format table           (with those in its environment)

Both subprocesses are ended and reaped in a `finally`, whatever happens (an error, Ctrl-C). Stdlib only.
"""

from __future__ import annotations

import contextlib
import os
import queue
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


def main() -> int:
    print(f"Demo: a fake Batch API with {SEGMENTS} segments on 127.0.0.1, listed by the batch-rest CLI.")
    sys.stdout.flush()
    children: Children = []
    with tempfile.TemporaryFile("w+") as server_log:
        try:
            server = _start(children, "fake-server", "--port", "0", "--segments", str(SEGMENTS),
                            stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=server_log)  # fmt: skip
            env = _credentials(server)
            print(f"Server at {env['BATCH_BASE_URL']}; running: batch-rest segments list --format table\n")
            sys.stdout.flush()
            # Popen rather than subprocess.run, which on Ctrl-C kills its child without reaping it.
            code = _start(children, "segments", "list", "--format", "table", env={**os.environ, **env}).wait()
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
