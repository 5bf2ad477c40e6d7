"""`batch-rest fake-server`: the fake Batch API from a shell, to try a client's retries and Ctrl-C by hand.

    batch-rest fake-server --latency 0.2 --fault-rate 0.1 --rate-limit 5/s -v
    batch-rest fake-server --documented-limits --limit 'profiles_update=20000/s,burst=2000'

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
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, cast

if TYPE_CHECKING:
    from ._limits import RateLimit

__all__ = ["add_arguments", "run"]

EXIT_CONFIG = 3  # batch-rest's exit status for a configuration problem (here: the server cannot start)
# Patterns, compiled (and cached by `re`) when an option needs them: the CLI imports this module on every run.
_RATE = r"\s*([0-9]+(?:\.[0-9]+)?)\s*(?:/\s*s)?\s*"
_LIMIT_RATE = r"([0-9]+(?:\.[0-9]+)?)\s*(items|requests|req)?\s*/\s*s"
_LIMIT_BURST = r"burst\s*=\s*([0-9]+(?:\.[0-9]+)?)"
LIMIT_SYNTAX = (
    "OPERATION=RATE[,burst=N][,RATE[,burst=N]][,retry-after], where RATE is N/s or N items/s (items a second) "
    "or N requests/s"
)


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
    add("--documented-limits", action="store_true",
        help="answer 429 beyond the rate limits Batch documents for each operation (no Retry-After)")  # fmt: skip
    add("--limit", type=_limit, action=_Limits, default={}, dest="limits", metavar="OPERATION=RATE",
        help="answer 429 beyond this operation's limit, over any documented one; repeatable. "
             f"Syntax: {LIMIT_SYNTAX}. The burst is the most spent at once (default: one second's worth). "
             "Example: --limit profiles_update=20000/s,burst=2000 --limit 'catalogs_list=5 requests/s'")  # fmt: skip
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
            limits=args.limits,
            documented_limits=args.documented_limits,
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
        if server.limits:
            print(f"# rate limits: {'; '.join(f'{name} {limit}' for name, limit in sorted(server.limits.items()))}")
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
    found = re.fullmatch(_RATE, text)
    if found is None or float(found.group(1)) <= 0:
        raise argparse.ArgumentTypeError(f"expected requests a second such as 10/s or 0.5/s, got {text!r}")
    return float(found.group(1))


def _limit(text: str) -> tuple[str, RateLimit]:
    """`profiles_update=20000/s,burst=2000` -> ("profiles_update", RateLimit(items_per_second=20000, ...))."""
    from batch_rest import _seam  # noqa: PLC0415 - see the module docstring; only when --limit is given

    from ._limits import RateLimit  # noqa: PLC0415

    operation, equals, spec = text.partition("=")
    operation = operation.strip()
    if not equals or not operation:
        raise argparse.ArgumentTypeError(f"expected {LIMIT_SYNTAX}; got {text!r}")
    if operation not in _seam.OPERATIONS:
        known = ", ".join(sorted(_seam.OPERATIONS))
        raise argparse.ArgumentTypeError(f"no operation {operation!r} in {text!r}; known: {known}")
    values: dict[str, Any] = {}
    last: str | None = None  # "items" or "requests": the rate a burst= belongs to
    for part in (p.strip() for p in spec.split(",")):
        rate, burst = re.fullmatch(_LIMIT_RATE, part), re.fullmatch(_LIMIT_BURST, part)
        if rate is not None:
            last = "requests" if rate.group(2) in {"requests", "req"} else "items"
            key, value = f"{last}_per_second", float(rate.group(1))
        elif burst is not None and last is not None:
            key, value = f"{last}_burst", float(burst.group(1))
        elif part == "retry-after":
            key, value = "retry_after", True
        else:
            why = "burst= must follow its RATE" if burst is not None else f"cannot read {part!r}"
            raise argparse.ArgumentTypeError(f"{why} in {text!r}: expected {LIMIT_SYNTAX}")
        if key in values:
            raise argparse.ArgumentTypeError(f"{key.replace('_', ' ')} given twice in {text!r}")
        values[key] = int(value) if isinstance(value, float) and value.is_integer() else value
    try:
        return operation, RateLimit(**values)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"{exc} in {text!r}") from None


class _Limits(argparse.Action):
    """--limit, repeatable: a dict by operation, each operation given once."""

    def __call__(
        self,
        parser: argparse.ArgumentParser,
        namespace: argparse.Namespace,
        values: str | Sequence[Any] | None,
        option_string: str | None = None,
    ) -> None:
        operation, limit = cast("tuple[str, RateLimit]", values)  # what _limit, the option's type, returns
        limits = dict(getattr(namespace, self.dest) or {})
        if operation in limits:
            parser.error(f"argument --limit: {operation} is given twice")
        limits[operation] = limit
        setattr(namespace, self.dest, limits)


def _number(text: str, what: str) -> float:
    try:
        return float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a {what}, got {text!r}") from None
