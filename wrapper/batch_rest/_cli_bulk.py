"""`batch-rest <resource> bulk-<action>`: a chunkable operation fed from a JSON-lines file. cli.py builds the
command from the operation's data; this module runs it, and is loaded only then.

    --items @FILE | -  ──► Reader: one item a line, tagged with its line number, its index (blank lines are
         │                 skipped and not counted) and its text as read. A line that is not a JSON object goes
         │                 to the client as a BadLine (a str), which the client rejects alone.
         ▼
    client.<resource>.bulk_<action>(reader, ..., on_progress=View, checkpoint=--checkpoint)
         │  View, after every answer (BulkProgress: counts, rate, 429s, the failures settled since the last one):
         ├─► Rejects.write: each failed item to FILE exactly as read, and {line, index, outcome, error, text} to
         │   FILE.errors, before the client writes to its checkpoint that they are settled (or stderr, without
         │   --rejects)
         └─► the status line, on a terminal: done/total (total from bytes read / file size), items/s, ETA, 429s
    a summary line; the exit status (exit_status): 0, 7 rejected, 8 unknown, 4/5 stopped, 130 Ctrl-C

Resuming (--resume with the --checkpoint of the interrupted run): the client skips what its checkpoint accounts
for, and sends the rest. FILE.errors is the record of the rejects, and FILE is rebuilt from it: an entry for an item
the checkpoint does not account for is dropped (its item is sent again, and may fail again: no duplicates), and an
item the checkpoint has as rejected or unknown with no entry (the run was stopped between the two) gets one, without
its error, when its line is read again. So a SIGKILL or Ctrl-C at any point loses no failed item.
"""

from __future__ import annotations

import argparse
import bisect
import functools
import json
import os
import stat
import sys
import time
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from typing import IO, TYPE_CHECKING, Any, cast

from . import _cli_output as output
from . import _seam, cli
from ._bulk_checkpoint import Parsed
from ._bulk_checkpoint import parse as parse_checkpoint

if TYPE_CHECKING:
    from ._bulk import BulkFailure, BulkProgress, BulkResult

ERRORS_SUFFIX = ".errors"
REDRAW_SECONDS = 0.1  # the status line is redrawn at most this often: answers can come by the hundred a second
# The rate shown: items settled over the last 10 s. The client's own (accepted over the last second) counts whole
# chunks: at 300 edits/s in chunks of 200, it reads 200 or 400, and the ETA would swing by half.
RATE_SECONDS = 10.0
OUTCOMES = {"r": "rejected", "u": "unknown"}  # the checkpoint's letters for items not accepted
NOT_RECORDED = "its error was not recorded: the run was stopped before writing it (the checkpoint says {outcome})"


# -- reading ----------------------------------------------------------------------------------------------------


class Line(dict[str, Any]):
    """An item: the JSON object of input line `number`; `position`: its index among the items (from 0, blank lines
    not counted), as the client and its checkpoint count them; `text`: the line exactly as read, without its
    newline."""

    __slots__ = ("number", "position", "text")
    position: int
    number: int
    text: bytes


class BadLine(str):
    """A line that is not a JSON object, handed to the client as its text: the client rejects it alone, at its
    index (a TypeError). `reason` says what is wrong with it."""

    position: int
    number: int
    text: bytes
    reason: str


Item = Line | BadLine


def parse_line(raw: bytes, number: int, index: int) -> Item | None:
    """Input line `number` (as read, newline included) as an item, or None for a blank line."""
    text = raw[:-1] if raw.endswith(b"\n") else raw
    if not text.strip():
        return None
    item: Item
    try:
        value = json.loads(text)  # bytes: UTF-8 (a byte order mark too), UTF-16 or UTF-32
    except ValueError as exc:  # UnicodeDecodeError too
        item = BadLine(text.decode("utf-8", "replace"))
        item.reason = f"not JSON: {exc}"
    else:
        if isinstance(value, dict):
            item = Line(value)
        else:
            item = BadLine(text.decode("utf-8", "replace"))
            item.reason = f"not a JSON object but {_kind(value)}"
    item.position, item.number, item.text = index, number, text
    return item


def _kind(value: object) -> str:
    if isinstance(value, list):
        return "an array"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, bool) or value is None:
        return json.dumps(value)
    return "a number"


class Reader:
    """The items of a JSON-lines input, read lazily as the client asks for them; what was read so far."""

    def __init__(
        self,
        source: Iterable[bytes],
        size: int | None,
        *,
        on_start: Callable[[], object] | None = None,
        on_item: Callable[[Item], object] | None = None,
    ) -> None:
        self._source, self.size = source, size  # size: the file's, when it is a regular file
        self._on_start, self._on_item = on_start, on_item
        self.started = self.ended = False
        self.bytes_read = self.items = self.lines = 0

    def __iter__(self) -> Iterator[Item]:
        # The client asks for the first items once it has accepted its arguments (and the checkpoint): on_start
        # runs then, so that a refused call leaves the rejects files as they were.
        self.started = True
        if self._on_start is not None:
            self._on_start()
        for raw in self._source:
            self.lines += 1
            self.bytes_read += len(raw)
            item = parse_line(raw, self.lines, self.items)
            if item is None:
                continue
            self.items += 1
            if self._on_item is not None:
                self._on_item(item)
            yield item
        self.ended = True

    def total(self) -> tuple[int | None, bool]:
        """The number of items, and whether it is exact: once the input is read; before, estimated from the share
        of the file read (None when the size is unknown: a pipe)."""
        if self.ended:
            return self.items, True
        if self.size is None or not self.bytes_read:
            return None, False
        return max(self.items, round(self.items * self.size / self.bytes_read)), False


# -- failures ---------------------------------------------------------------------------------------------------


def error_text(error: Exception, item: Item) -> str:
    """Why `item` failed, in one line: what is wrong with the line, the check's message (without the `items[i]`
    it starts with: the line number goes beside it), or the API's error."""
    if isinstance(item, BadLine):
        return item.reason
    from .errors import BatchError  # noqa: PLC0415 - loaded with the client anyway

    message = " ".join(str(error).split())
    if isinstance(error, BatchError):
        return f"{type(error).__name__}: {message}"
    prefix = f"items[{item.position}]"
    if message.startswith(prefix):
        message = message[len(prefix) :].removeprefix(".").removeprefix(":").lstrip()
    return message


def items_of(failure: BulkFailure) -> Sequence[Item]:
    return cast("Sequence[Item]", failure.items)  # the Reader's: the client hands them back as it was given them


def failure_line(failure: BulkFailure) -> str:
    """A failure on stderr (without --rejects): its lines, its outcome and its error."""
    items = items_of(failure)
    first, last = items[0].number, items[-1].number
    if len(items) == 1:
        where = f"line {first}"
    elif last - first + 1 == len(items):
        where = f"lines {first}-{last}"
    else:
        where = f"{len(items)} items of lines {first}-{last}"
    return f"{where} {failure.outcome}: {error_text(failure.error, items[0])}"


class _Outcomes:
    """The checkpoint's rejected and unknown items: the outcome of an index, or None."""

    def __init__(self, ranges: Mapping[str, Sequence[tuple[int, int]]]) -> None:
        spans = sorted((start, stop, OUTCOMES[letter]) for letter in OUTCOMES for start, stop in ranges.get(letter, ()))
        self._spans, self._starts = spans, [start for start, _, _ in spans]

    def __call__(self, index: int) -> str | None:
        at = bisect.bisect_right(self._starts, index) - 1
        return self._spans[at][2] if at >= 0 and index < self._spans[at][1] else None


class Rejects:
    """--rejects FILE and FILE.errors, appended as failures happen.

    FILE.errors is the record: a JSON object a line, {"line", "index", "outcome", "error", "text"}; FILE holds the
    texts alone, exactly as read, to be fed back with --items. On --resume (`failed`: the checkpoint's rejected and
    unknown ranges) both are rebuilt from FILE.errors: see the module docstring.
    """

    def __init__(self, path: str, *, failed: Mapping[str, Sequence[tuple[int, int]]] | None = None) -> None:
        self.path, self.errors_path = path, path + ERRORS_SUFFIX
        self._outcome = _Outcomes(failed) if failed is not None else None
        self._kept: set[int] = set()  # indices with an entry, when resuming
        self._files: tuple[int, int] | None = None  # file descriptors: FILE.errors, FILE
        self.count = 0  # entries now in the files

    def open(self) -> None:
        try:
            if self._outcome is not None:
                self._rebuild(self._outcome)
            flags = os.O_WRONLY | os.O_CREAT | os.O_APPEND | (0 if self._outcome is not None else os.O_TRUNC)
            errors = os.open(self.errors_path, flags, 0o644)
            try:
                self._files = (errors, os.open(self.path, flags, 0o644))
            except BaseException:
                os.close(errors)
                raise
        except OSError as exc:
            raise cli._Failure(cli.EXIT_CONFIG, f"--rejects {exc.filename}: {exc.strerror or exc}") from None

    def _rebuild(self, outcome: _Outcomes) -> None:
        """Keep the entries of the items the checkpoint has as rejected or unknown, once each (see above)."""
        temporary = (self.errors_path + ".rebuilding", self.path + ".rebuilding")
        with open(temporary[0], "wb") as errors, open(temporary[1], "wb") as rejects:
            try:
                old: IO[bytes] | None = open(self.errors_path, "rb")  # noqa: SIM115 - closed below
            except FileNotFoundError:
                old = None
            for number, raw in enumerate(old or (), 1):
                if not raw.endswith(b"\n"):
                    break  # torn: the run was killed while writing it, and its items are not in the checkpoint
                try:
                    entry = json.loads(raw)
                    index, text = entry["index"], _text_bytes(entry["text"])
                except (ValueError, KeyError, TypeError, AttributeError):
                    raise cli._Failure(
                        cli.EXIT_CONFIG, f"--rejects: {self.errors_path} line {number} is not one of its entries: "
                        "the file is damaged; move it away (and FILE) to resume without it",
                    ) from None  # fmt: skip
                if index in self._kept or outcome(index) is None:
                    continue  # not settled by the checkpoint: its item goes again
                self._kept.add(index)
                errors.write(raw)
                rejects.write(text + b"\n")
            if old is not None:
                old.close()
        os.replace(temporary[0], self.errors_path)  # the record first: FILE is rebuilt from it on the next resume
        os.replace(temporary[1], self.path)
        self.count = len(self._kept)

    def recover(self, item: Item) -> None:
        """An item read on --resume that the checkpoint has as rejected or unknown, with no entry: one, now."""
        if self._outcome is None or item.position in self._kept:
            return
        outcome = self._outcome(item.position)
        if outcome is not None:
            self._kept.add(item.position)
            self.write([(item, outcome, NOT_RECORDED.format(outcome=outcome))])

    def write(self, entries: Sequence[tuple[Item, str, str]]) -> None:
        """Append (item, outcome, error) entries: FILE.errors first, each file in one write."""
        if not entries:
            return
        assert self._files is not None, "Rejects.open() comes first"
        record = b"".join(_entry(item, outcome, error) for item, outcome, error in entries)
        texts = b"".join(item.text + b"\n" for item, _, _ in entries)
        try:
            for descriptor, data in zip(self._files, (record, texts), strict=True):
                _write_all(descriptor, data)
        except OSError as exc:
            raise cli._Failure(cli.EXIT_CONFIG, f"cannot write --rejects {self.path}: {exc.strerror or exc}") from None
        self.count += len(entries)

    def close(self) -> None:
        if self._files is not None:
            for descriptor in self._files:
                os.close(descriptor)
            self._files = None


def _write_all(descriptor: int, data: bytes) -> None:
    while data:  # one write() in practice: a kill leaves whole lines and at most one torn one
        data = data[os.write(descriptor, data) :]


def _entry(item: Item, outcome: str, error: str) -> bytes:
    try:
        text, ascii_only = item.text.decode("utf-8"), False
    except UnicodeDecodeError:  # kept byte for byte: surrogate escapes, written as \udcXX
        text, ascii_only = item.text.decode("utf-8", "surrogateescape"), True
    entry = {"line": item.number, "index": item.position, "outcome": outcome, "error": error, "text": text}
    return (json.dumps(entry, ensure_ascii=ascii_only) + "\n").encode()


def _text_bytes(text: object) -> bytes:
    if not isinstance(text, str):
        raise TypeError("text")
    return text.encode("utf-8", "surrogateescape")


# -- progress -----------------------------------------------------------------------------------------------------


def duration(seconds: float) -> str:
    seconds = round(seconds)
    if seconds < 60:
        return f"{seconds} s"
    if seconds < 3600:
        return f"{seconds // 60} min {seconds % 60:02d} s"
    return f"{seconds // 3600} h {seconds % 3600 // 60:02d} min"


def progress_text(
    progress: BulkProgress, total: int | None, exact: bool, rate: float, earlier: Mapping[str, int] | None = None
) -> str:
    """The status line: done/total (`~`: estimated), items settled a second (`rate`), ETA, failures (those of the
    runs resumed, `earlier`, too), 429s."""
    done = progress.accepted + progress.rejected + progress.unknown + progress.skipped
    rejected, unknown = progress.rejected + (earlier or {}).get("r", 0), progress.unknown + (earlier or {}).get("u", 0)
    parts = [f"{done:,} items"]
    if total:
        total = max(total, done)
        parts = [f"{done:,}/{'' if exact else '~'}{total:,} items ({100 * done // total} %)"]
    parts.append(f"{rate:,.0f} items/s")
    if total and rate > 0 and done < total:
        parts.append(f"ETA {duration((total - done) / rate)}")
    parts.append(f"{rejected:,} rejected, {unknown:,} unknown, 429s: {progress.rate_limited:,}")
    return ", ".join(parts)


def summary_text(result: BulkResult[Any], elapsed: float, earlier: Mapping[str, int] | None = None) -> str:
    """The line that ends a run: this run's items and rate; with a checkpoint, what it had accounted for before."""
    sent = result.accepted + result.rejected + result.unknown
    text = (
        f"{output.plural(sent, 'items')} in {elapsed:.1f} s ({sent / max(elapsed, 1e-3):,.0f} items/s): "
        f"{result.accepted:,} accepted, {result.rejected:,} rejected, {result.unknown:,} unknown"
    )
    if result.skipped:
        text += f"; {result.skipped:,} skipped, already accounted for"
        if earlier:
            text += f" ({earlier.get('r', 0):,} rejected, {earlier.get('u', 0):,} unknown)"
    if result.rate_limited:
        text += f"; 429s: {result.rate_limited:,}"
    return text


def exit_status(result: BulkResult[Any], earlier: Mapping[str, int] | None = None) -> int:
    """0 when every item of the input was accepted, by this run or those it resumes; else 7 (some rejected, none
    unknown), 8 (some unknown), or the code of the error that stopped the run (4 an API error, 5 the connection)."""
    if result.stopped is not None:
        return cli._explain(result.stopped)[0]
    earlier = earlier or {}
    if result.unknown or earlier.get("u"):
        return cli.EXIT_UNKNOWN
    if result.rejected or earlier.get("r"):
        return cli.EXIT_REJECTED
    return 0


class View:
    """on_progress: records each failure as it is settled (--rejects, or a line on stderr), draws the status line."""

    def __init__(
        self,
        reader: Reader,
        status: output.StatusLine,
        rejects: Rejects | None,
        say: Callable[[str], None],
        *,
        clock: Callable[[], float] = time.monotonic,
        earlier: Mapping[str, int] | None = None,
    ) -> None:
        self._reader, self._status, self._rejects, self._say, self._clock = reader, status, rejects, say, clock
        self._earlier = earlier  # the checkpoint's counts, when resuming
        self.last: BulkProgress | None = None
        self._next_draw = -1.0
        self._settled: deque[tuple[float, int]] = deque()  # (when, items settled by this run) over RATE_SECONDS

    def __call__(self, progress: BulkProgress) -> None:
        if progress.failures:
            if self._rejects is not None:
                self._rejects.write([
                    (item, failure.outcome, error_text(failure.error, item))
                    for failure in progress.failures
                    for item in items_of(failure)
                ])  # fmt: skip
            else:
                for failure in progress.failures:
                    self._say(failure_line(failure))
        self.last = progress
        if self._status.active:
            now = self._clock()
            settled = self._settled
            settled.append((now, progress.accepted + progress.rejected + progress.unknown))
            while len(settled) > 2 and now - settled[1][0] >= RATE_SECONDS:  # one sample as old as the window
                settled.popleft()
            if now >= self._next_draw:
                span = now - settled[0][0]
                rate = (settled[-1][1] - settled[0][1]) / span if span > 0 else 0.0
                self._status.show(progress_text(progress, *self._reader.total(), rate, self._earlier))
                self._next_draw = now + REDRAW_SECONDS


# -- the command --------------------------------------------------------------------------------------------------


def run(args: argparse.Namespace) -> int:
    facts = _seam.OPERATIONS[args.operation]
    command: argparse.ArgumentParser = args.command
    if args.verbose:
        from ._config import log_to_stderr  # noqa: PLC0415

        log_to_stderr("DEBUG")
    earlier = _check_files(args)
    kwargs = cli._arguments(args)  # parameters, --body, --idempotent
    secret = args.api_key or os.environ.get(cli.ENV_API_KEY)
    status = output.StatusLine(sys.stderr if sys.stderr.isatty() and not args.verbose else None, sys.stdout)
    source, size = _open_items(args)
    rejects = Rejects(args.rejects, failed=earlier.ranges if earlier else None) if args.rejects else None
    reader = Reader(
        source, size, on_start=rejects.open if rejects else None, on_item=rejects.recover if rejects else None
    )
    say = functools.partial(cli._say, secret=secret, status=status)
    view = View(reader, status, rejects, say, earlier=earlier.counts if earlier else None)
    options = {
        "chunk_size": args.chunk_size, "max_in_flight": args.max_in_flight,
        "items_per_second": args.items_per_second, "requests_per_second": args.requests_per_second,
        "checkpoint": args.checkpoint, "on_progress": view,
    }  # fmt: skip
    started = time.monotonic()
    try:
        with source, cli._client(args) as client:
            method = getattr(getattr(client, facts["resource"]), f"bulk_{facts['action']}")
            try:
                result: BulkResult[Any] = method(reader, **kwargs, **options)
            except (TypeError, ValueError) as exc:
                if reader.started:  # not an argument the client refused before starting: a bug, not a usage error
                    raise
                message = cli._in_cli_terms(str(exc), args.operation, cli._option_names(command))
                command.error(message.replace("math.inf", "inf"))
    except KeyboardInterrupt:
        status.clear()
        for line in _interrupted(args, view.last):
            cli._say(line, secret)
        return cli.EXIT_INTERRUPTED
    finally:
        status.clear()
        if rejects is not None:
            rejects.close()
    return _finish(
        args, result, reader, elapsed=time.monotonic() - started, earlier=earlier, rejects=rejects, status=status,
        secret=secret,
    )  # fmt: skip


def _finish(
    args: argparse.Namespace,
    result: BulkResult[Any],
    reader: Reader,
    *,
    elapsed: float,
    earlier: Parsed | None,
    rejects: Rejects | None,
    status: output.StatusLine,
    secret: str | None,
) -> int:
    """The summary line; why the run stopped, if it did, and how to resume; the exit status."""
    summary = summary_text(result, elapsed, earlier.counts if earlier else None)
    if rejects is not None and rejects.count:
        summary += f"; {output.plural(rejects.count, 'items')} in {rejects.path} (errors: {rejects.errors_path})"
    if status.active:
        status.finish(summary)
    else:
        print(summary, file=sys.stderr, flush=True)
    if result.stopped is not None:
        _, message = cli._explain(result.stopped, args.command)
        cli._say(f"stopped: {message}", secret)
        if not reader.ended:  # what was read and not sent is in the failures; the rest was never read
            cli._say(f"the lines after line {reader.lines:,} of --items were not read", secret)
        if args.checkpoint is not None:
            cli._say(f"to resume once that is fixed: {_resume_command(args)}", secret)
    return exit_status(result, earlier.counts if earlier else None)


def _check_files(args: argparse.Namespace) -> Parsed | None:
    """Usage errors about --items, --checkpoint, --resume and --rejects, before anything is read or sent; the
    checkpoint being resumed, parsed."""
    command: argparse.ArgumentParser = args.command
    error = command.error
    if args.items != "-" and not (args.items.startswith("@") and len(args.items) > 1):
        error(f"--items: expected @FILE (a JSON-lines file) or - (stdin), got {args.items!r} (did you mean "
              f"@{args.items}?)")  # fmt: skip
    if args.items == "-" and getattr(args, "body", None) == "-":
        error("--items - and --body - cannot both read stdin: give --body as JSON or @FILE")
    errors = args.rejects and args.rejects + ERRORS_SUFFIX
    paths = {"--items": args.items[1:] if args.items != "-" else None, "--checkpoint": args.checkpoint,
             "--rejects": args.rejects, "--rejects FILE.errors": errors}  # fmt: skip
    seen: dict[str, str] = {}
    for option, path in paths.items():
        if path:
            real = os.path.realpath(path)
            if real in seen:
                error(f"{seen[real]} and {option} name the same file: {path}")
            seen[real] = option
    if args.checkpoint is None:
        if args.resume:
            error("--resume needs --checkpoint FILE: the checkpoint of the run to resume")
        return None
    exists = os.path.lexists(args.checkpoint)
    if not args.resume:
        if exists:
            error(f"--checkpoint {args.checkpoint} exists: add --resume to continue the run it records, or remove "
                  "it to start over")  # fmt: skip
        return None
    if not exists:
        error(f"--resume: there is no --checkpoint {args.checkpoint} to resume from (leave --resume out to start)")
    try:
        with open(args.checkpoint, "rb") as file:
            return parse_checkpoint(file.read(), f"--checkpoint {args.checkpoint}")
    except OSError as exc:
        error(f"--checkpoint {args.checkpoint}: cannot read it: {exc.strerror or exc}")
    except ValueError as exc:
        error(str(exc))


def _open_items(args: argparse.Namespace) -> tuple[IO[bytes], int | None]:
    """--items, open for reading in binary; its size when it is a regular file (the progress line's total)."""
    command: argparse.ArgumentParser = args.command
    if args.items == "-":
        try:
            return sys.stdin.buffer, _size(sys.stdin.buffer.fileno())
        except (AttributeError, OSError, ValueError):  # no stdin, or one without a file descriptor
            command.error("--items -: there is no standard input to read")
    try:
        source = open(args.items[1:], "rb")  # noqa: SIM115 - closed by the caller
    except OSError as exc:
        command.error(f"--items {args.items}: cannot read it: {exc.strerror or exc}")
    return source, _size(source.fileno())


def _size(descriptor: int) -> int | None:
    mode = os.fstat(descriptor)
    return mode.st_size if stat.S_ISREG(mode.st_mode) else None


def _interrupted(args: argparse.Namespace, last: BulkProgress | None) -> list[str]:
    """What Ctrl-C prints: where the run stood, and how to resume it."""
    done = "before any item was settled"
    if last is not None:
        settled = last.accepted + last.rejected + last.unknown
        done = (f"after {settled:,} items were settled ({last.accepted:,} accepted, {last.rejected:,} rejected, "
                f"{last.unknown:,} unknown)")  # fmt: skip
    lines = [f"interrupted {done}"]
    if args.checkpoint is None:
        lines.append("without --checkpoint, the same command sends every item again")
    else:
        stdin = " (with the same input on stdin)" if args.items == "-" else ""
        lines.append(f"to resume{stdin}: {_resume_command(args)}")
    return lines


def _resume_command(args: argparse.Namespace) -> str:
    return cli._command_line(args, {"resume"}, ["--resume"])
