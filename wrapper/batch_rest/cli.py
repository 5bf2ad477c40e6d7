"""`batch-rest`: list Batch segments from a shell, or serve the fake Batch API for a demo.

Only the standard library is imported here, so that `batch-rest --help` stays fast: httpx, attrs and the
generated package load when a command runs.
"""

from __future__ import annotations

import argparse
import contextlib
import csv
import json
import os
import re
import shlex
import sys
import unicodedata
from collections.abc import Callable, Iterator, Sequence
from typing import TYPE_CHECKING, Any, TextIO

if TYPE_CHECKING:
    from ._client import Pager
    from ._seam import Segment

PROG = "batch-rest"
Show = Callable[[str], None]
EXIT_CONFIG, EXIT_API, EXIT_CONNECTION, EXIT_RESPONSE = 3, 4, 5, 6
EXIT_INTERRUPTED, EXIT_BROKEN_PIPE = 130, 141
# The client's error messages name its arguments (page_size=): the CLI's say --page-size.
_NAMES = "page_size|start_cursor|max_retries|timeout|api_key|project_key|base_url|api_version"
_ARGUMENTS = re.compile(rf"\b({_NAMES})\b=?")

EPILOG = """\
exit codes:
  0    success
  2    usage error (unknown command or option)
  3    configuration error: missing or invalid key, URL or option value
  4    the API answered with an error (401, 429, 5xx, ...)
  5    connection failure or timeout
  6    malformed response or broken pagination from the server
  130  interrupted (Ctrl-C)
  141  stdout was closed early (e.g. piped into `head`)
"""


def _parser() -> argparse.ArgumentParser:
    kw: dict[str, Any] = {"epilog": EPILOG, "formatter_class": argparse.RawDescriptionHelpFormatter}
    parser = argparse.ArgumentParser(prog=PROG, description="Command-line client for Batch's REST API.", **kw)
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    segments = commands.add_parser("segments", help="segments of a project", **kw)
    actions = segments.add_subparsers(dest="action", required=True, metavar="ACTION")
    about = "List every segment of the project (GET /segments/list), page by page."
    listing = actions.add_parser("list", help="list every segment", description=about, **kw)
    listing.set_defaults(run=_list_segments)
    add = listing.add_argument
    add("--format", choices=["table", "jsonl", "json", "csv"], help="default: table on a tty, else jsonl")
    add("--max-items", type=int, metavar="N", help="stop after N segments")
    add("--page-size", type=int, metavar="N", help="segments per request, 1 to 100 (default: 100)")
    add("--start-cursor", metavar="C", help="resume a listing from this cursor")
    add("--api-key", help="default: $BATCH_REST_API_KEY, safer: a key typed here lands in shell history")
    add("--project-key", help="default: $BATCH_PROJECT_KEY")
    add("--base-url", help="default: $BATCH_BASE_URL, else https://api.batch.com/<version>")
    add("--api-version", help="such as 2.11 (default: $BATCH_API_VERSION, else the API description's default)")
    add("--timeout", type=float, default=30.0, metavar="SECONDS", help="per request (default: 30)")
    add("--max-retries", type=int, default=3, metavar="N", help="on 429, 5xx, network errors (default: 3)")

    server = commands.add_parser(
        "fake-server",
        help="serve a fake Batch API until Ctrl-C",
        description="Serve a fake Batch API (demo data) until Ctrl-C. Prints its URL, then the demo "
        "credentials as shell `export` lines.",
    )
    server.set_defaults(run=_fake_server)
    server.add_argument("--host", default="127.0.0.1", help="default: 127.0.0.1")
    server.add_argument("--port", type=int, default=0, help="default: 0, a free port")
    server.add_argument("--segments", type=int, default=2500, metavar="N", help="default: 2500")
    server.add_argument("--seed", type=int, default=0, help="seed of the fake data (default: 0)")
    for sub in (listing, server):
        sub.add_argument("-v", "--verbose", action="store_true", help="debug logs on stderr")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    try:
        args = _parser().parse_args(argv)
    except SystemExit as exc:  # --help (0), or a usage error (2)
        return exc.code if isinstance(exc.code, int) else 2
    if args.verbose:
        from ._config import log_to_stderr  # noqa: PLC0415 - the command loads the client anyway

        log_to_stderr("DEBUG")
    try:
        run: Callable[[argparse.Namespace], int] = args.run
        return run(args)
    except KeyboardInterrupt:
        _say("interrupted")
        return EXIT_INTERRUPTED
    except BrokenPipeError:  # the reader went away (`| head`): no traceback, and no second failure at exit
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return EXIT_BROKEN_PIPE


def _say(message: str, secret: str | None = None) -> None:
    """One line on stderr: whitespace collapsed, control characters replaced, the API key scrubbed."""
    line = _printable(" ".join(message.split()))
    print(f"{PROG}: {line.replace(secret, '[REDACTED]') if secret else line}", file=sys.stderr, flush=True)


def _list_segments(args: argparse.Namespace) -> int:
    from . import BatchClient, BatchError  # noqa: PLC0415

    secret = args.api_key or os.environ.get("BATCH_REST_API_KEY")
    try:
        if args.max_items is not None and args.max_items < 1:
            raise ValueError(f"--max-items must be 1 or more, got {args.max_items}")
        client = BatchClient(
            args.api_key, args.project_key, api_version=args.api_version, base_url=args.base_url,
            timeout=args.timeout, max_retries=args.max_retries,
        )  # fmt: skip
    except (ValueError, TypeError, BatchError) as exc:
        return _config_error(exc, secret)
    fmt = args.format or ("table" if sys.stdout.isatty() else "jsonl")
    progress = _status_line(sys.stderr if sys.stderr.isatty() and not args.verbose else None)
    with client:
        try:  # a short --max-items needs one short page, not 100 segments
            page_size = args.page_size if args.page_size is not None else min(args.max_items or 100, 100)
            pager = client.segments.list(page_size=page_size, start_cursor=args.start_cursor)
        except (ValueError, TypeError) as exc:
            return _config_error(exc, secret)
        try:
            _write(fmt, sys.stdout, _rows(pager, args.max_items, progress), progress)
        except (BatchError, KeyboardInterrupt) as exc:
            progress("")
            code, message = _explain(exc)
            _say(message, secret)
            if pager.cursor not in (None, args.start_cursor) and not pager.exhausted:
                resume = shlex.quote(pager.cursor or "")
                _say(f"to resume: {PROG} segments list --start-cursor {resume}", secret)
            return code
        finally:
            progress("")
    return 0


def _config_error(exc: Exception, secret: str | None) -> int:
    _say("configuration error: " + _ARGUMENTS.sub(lambda m: "--" + m[1].replace("_", "-"), str(exc)), secret)
    return EXIT_CONFIG


def _explain(exc: BaseException) -> tuple[int, str]:
    """The exit code and the one line of stderr for an error during the listing."""
    from .errors import APIError, BatchConnectionError, BatchTimeoutError  # noqa: PLC0415

    if isinstance(exc, KeyboardInterrupt):
        return EXIT_INTERRUPTED, "interrupted"
    if isinstance(exc, BatchTimeoutError):
        return EXIT_CONNECTION, f"timeout: {exc}; check the network, or raise --timeout"
    if isinstance(exc, BatchConnectionError):
        return EXIT_CONNECTION, f"connection failed: {exc}; check the network and --base-url / BATCH_BASE_URL"
    if not isinstance(exc, APIError):  # MalformedResponseError, PaginationError
        return EXIT_RESPONSE, f"unexpected response from the server: {exc}; run with -v for details"
    status = exc.status_code
    if status in (401, 403):
        advice = "check BATCH_REST_API_KEY and BATCH_PROJECT_KEY (or --api-key / --project-key)"
    elif status == 429:
        wait = f" (the server asked for {exc.retry_after:g} s)" if exc.retry_after is not None else ""
        advice = f"rate limited: wait and retry later{wait}"
    elif status >= 500:
        advice = "a problem on Batch's side: retry later"
    elif status == 400:
        advice = "check the arguments (--page-size, --start-cursor)"
    else:
        advice = "check --base-url and --api-version; run with -v for details"
    detail = ": ".join(p for p in (exc.error_code, exc.error_message or exc.body_excerpt) if p) or "no body"
    return EXIT_API, f"API error {status} ({detail}) from {exc.method} {exc.url}; {advice}"


def _status_line(stream: TextIO | None) -> Show:
    """Writes a line over itself on a terminal (stream); writing "" erases it. A no-op for stream=None."""

    def show(text: str) -> None:
        if stream:
            stream.write(f"\r\x1b[K{text}")
            stream.flush()

    return show


def _rows(pager: Pager[Segment], max_items: int | None, progress: Show) -> Iterator[list[dict[str, Any]]]:
    """Each page's segments as dicts (`to_dict` keeps fields a newer API adds), no page beyond --max-items."""
    count = pages = 0
    for page in pager.pages():
        items = page.items if max_items is None else page.items[: max_items - count]
        count, pages = count + len(items), pages + 1
        yield [item.to_dict() for item in items]
        progress(f"{count} segments, {pages} pages")
        if max_items is not None and count >= max_items:
            return


def _json(value: object) -> str:
    return json.dumps(value, ensure_ascii=False)


def _cell(value: object) -> str:
    return value if isinstance(value, str) else "" if value is None else _json(value)


def _printable(text: str) -> str:
    """No control characters (from the server) on a terminal."""
    return text if text.isprintable() else "".join(c if c.isprintable() else "?" for c in text)


def _pad(text: str, width: int) -> str:
    return text + " " * (width - _width(text))


def _width(text: str) -> int:
    """Terminal columns: East Asian wide characters take two."""
    return len(text) if text.isascii() else sum(1 + (unicodedata.east_asian_width(c) in "WF") for c in text)


def _write(fmt: str, out: TextIO, pages: Iterator[list[dict[str, Any]]], progress: Show) -> None:
    """Write page by page, flushing each. Columns: the first row's keys; a table sizes them on page 1."""
    columns: list[str] = []
    widths: list[int] = []
    count = 0
    csv_out = csv.writer(out, lineterminator="\n")
    out.write("[" if fmt == "json" else "")
    for rows in pages:
        progress("")
        if rows and not columns:
            columns = list(rows[0])
            if fmt == "csv":
                csv_out.writerow(columns)
        if fmt == "jsonl":
            out.writelines(_json(row) + "\n" for row in rows)
        elif fmt == "json":
            out.writelines(("," if count + i else "") + "\n  " + _json(row) for i, row in enumerate(rows))
        elif fmt == "csv":
            csv_out.writerows([_cell(row.get(c)) for c in columns] for row in rows)
        else:
            cells = [[_printable(_cell(row.get(c))) for c in columns] for row in rows]
            if cells and not widths:
                cells.insert(0, [_printable(c) for c in columns])
                widths = [max(_width(row[i]) for row in cells) for i in range(len(columns))]
                cells.insert(1, ["-" * w for w in widths])
            out.writelines("  ".join(map(_pad, row, widths)).rstrip() + "\n" for row in cells)
        count += len(rows)
        out.flush()
    if fmt == "json":
        out.write("\n]\n" if count else "]\n")
    elif fmt == "table" and not count:
        out.write("(no segments)\n")
    out.flush()


def _fake_server(args: argparse.Namespace) -> int:
    from .testing import FakeBatchServer  # noqa: PLC0415

    try:
        server = FakeBatchServer(args.segments, seed=args.seed, host=args.host, port=args.port).start()
    except (ValueError, OSError) as exc:  # a bad --segments, a port in use...
        _say(f"cannot start the fake server: {exc}")
        return EXIT_CONFIG
    with server:
        print(f"# fake Batch API with {args.segments} segments at {server.url} (Ctrl-C to stop)")
        print(f"export BATCH_BASE_URL={shlex.quote(server.url)}")
        print(f"export BATCH_REST_API_KEY={shlex.quote(server.api_key)}")
        print(f"export BATCH_PROJECT_KEY={shlex.quote(server.project_key)}")
        sys.stdout.flush()
        with contextlib.suppress(KeyboardInterrupt):
            server.serve_forever()
    return 0
