"""`batch-rest fake-server`: the fake Batch API from a shell, to try a client's retries and Ctrl-C by hand.

    batch-rest fake-server --latency 0.2 --fault-rate 0.1 --rate-limit 5/s -v

batch_rest.cli wires the command to `add_arguments` and `run`. Standard library only at import time: the CLI
imports this module to build its --help, and loads the server only when the command runs.
"""

from __future__ import annotations

import argparse
import contextlib
import math
import re
import shlex
import sys

__all__ = ["add_arguments", "run"]

EXIT_CONFIG = 3  # batch-rest's exit status for a configuration problem (here: the server cannot start)
_RATE = re.compile(r"\s*([0-9]+(?:\.[0-9]+)?)\s*(?:/\s*s)?\s*")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The command's options (its -v/--verbose included)."""
    add = parser.add_argument
    add("--host", default="127.0.0.1", help="default: 127.0.0.1")
    add("--port", type=int, default=0, help="default: 0, a free port")
    add("--segments", type=int, default=2500, metavar="N", help="default: 2500")
    add("--seed", type=int, default=0, help="seed of the fake data and of --fault-rate (default: 0)")
    add("--latency", type=_seconds, default=0.0, metavar="S", help="wait S seconds before each answer")
    add("--fault-rate", type=_probability, default=0.0, metavar="P",
        help="answer a share P (0 to 1) of requests with a fault: 500, 503, 429 (Retry-After: 1) or a dropped "
             "connection")  # fmt: skip
    add("--rate-limit", type=_rate, default=None, metavar="N/s",
        help="answer 429 with Retry-After beyond N requests a second (bursts of N)")  # fmt: skip
    add("-v", "--verbose", action="store_true", help="log every request on stderr")


def run(args: argparse.Namespace) -> int:
    """Serve until Ctrl-C; print the URL and the demo credentials as `export` lines first."""
    from . import FakeBatchServer, Fault  # noqa: PLC0415 - see the module docstring

    try:
        server = FakeBatchServer(
            args.segments,
            seed=args.seed,
            host=args.host,
            port=args.port,
            latency=args.latency,
            rate_limit=args.rate_limit,
            access_log=sys.stderr if args.verbose else None,
        ).start()
    except (ValueError, OSError) as exc:  # a bad --segments, a port in use...
        print(f"batch-rest: cannot start the fake server: {exc}", file=sys.stderr)
        return EXIT_CONFIG
    if args.fault_rate:
        faults = [Fault.server_error(), Fault.service_unavailable(), Fault.rate_limit(1), Fault.drop_before_response()]
        server.set_fault_rate(args.fault_rate, faults, seed=args.seed)
    with server:
        print(f"# fake Batch API with {args.segments} segments at {server.url} (Ctrl-C to stop)")
        print(f"export BATCH_BASE_URL={shlex.quote(server.url)}")
        print(f"export BATCH_REST_API_KEY={shlex.quote(server.api_key)}")
        print(f"export BATCH_PROJECT_KEY={shlex.quote(server.project_key)}")
        sys.stdout.flush()
        with contextlib.suppress(KeyboardInterrupt):
            server.serve_forever()
    return 0


def _seconds(text: str) -> float:
    value = _number(text, "seconds")
    if not 0 <= value < math.inf:
        raise argparse.ArgumentTypeError(f"expected a number of seconds >= 0, got {text!r}")
    return value


def _probability(text: str) -> float:
    value = _number(text, "probability")
    if not 0 <= value <= 1:
        raise argparse.ArgumentTypeError(f"expected a probability from 0 to 1, got {text!r}")
    return value


def _rate(text: str) -> float:
    found = _RATE.fullmatch(text)
    if found is None or float(found.group(1)) <= 0:
        raise argparse.ArgumentTypeError(f"expected requests a second such as 10/s or 0.5/s, got {text!r}")
    return float(found.group(1))


def _number(text: str, what: str) -> float:
    try:
        return float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a {what}, got {text!r}") from None
