"""What `batch-rest` writes: listings in four formats, and the status line it draws on a terminal.

Standard library only; the CLI loads it when a command runs, not for --help.

Two rules hold everywhere here:

- The status line is redrawn with `\\r\\x1b[K` (back to column 0, erase the line). On a terminal shared by
  stdout and stderr, that erases any stdout text left on the cursor's line (the `[` of a JSON array, the last
  item of a page), and stdout written after it lands behind the status text. So stdout writes always end on a
  newline, and the caller clears the status line (`StatusLine.clear`) before each write to stdout.
- csv and table columns are the item model's documented fields, in the document's order, then any other field
  seen in any row, in first-seen order. So csv and table hold their rows (spooled to a temporary file past a few
  megabytes) and are written when the listing ends or is cut short; json and jsonl stream page by page, each
  object's documented fields first too (the caller orders them: `cli._in_document_order`).

And one rule for a terminal (`terminal=True`): the server's text never reaches it raw. A table and csv show a
control character as `?` (csv has no escape for it); json and jsonl show it as a JSON `\\u` escape, so that the
JSON still says exactly what the server sent. Anything else (a pipe, a file) gets the bytes as they are.
"""

from __future__ import annotations

import contextlib
import csv
import json
import logging
import shutil
import tempfile
import time
import unicodedata
from collections.abc import Iterable, Iterator, Mapping, Sequence
from typing import Any, Protocol, TextIO

MAX_CELL = 50  # terminal cells: a table column wider than this is cut with an ellipsis (csv and json keep it)
_SPOOL_BYTES = 8 * 1024 * 1024


def plural(count: int, noun: str) -> str:
    """`1 segment`, `2 segments`: `noun` is the plural (a list's items key: segments, audiences, entries)."""
    if count != 1:
        return f"{count:,} {noun}"
    singular = noun[:-3] + "y" if noun.endswith("ies") else noun[:-1] if noun.endswith("s") else noun
    return f"{count} {singular}"


def to_json(value: object) -> object:
    """A result as plain JSON values: generated models through their to_dict (which keeps undocumented fields)."""
    if hasattr(value, "to_dict"):
        return value.to_dict()
    if isinstance(value, list | tuple):
        return [to_json(item) for item in value]
    return value


def dumps(value: object, *, indent: int | None = None, terminal: bool = False) -> str:
    """JSON text; for a terminal, with every character that is not printable written as a `\\u` escape."""
    text = json.dumps(value, ensure_ascii=False, indent=indent, default=str)
    if not terminal or text.isprintable():
        return text
    return "".join(char if char.isprintable() or char == "\n" else _json_escape(char) for char in text)


def _json_escape(char: str) -> str:
    """`char` as a JSON string escape (a surrogate pair beyond the Basic Multilingual Plane). JSON escapes the
    ASCII controls itself: these are the others (DEL, C1 controls such as the 8-bit CSI, separators, format marks),
    which can only occur inside strings."""
    code = ord(char)
    if code <= 0xFFFF:
        return f"\\u{code:04x}"
    code -= 0x10000
    return f"\\u{0xD800 + (code >> 10):04x}\\u{0xDC00 + (code & 0x3FF):04x}"


class StatusLine:
    """One line on stderr that rewrites itself, on a terminal only (`stream` None: every call is a no-op).

    `show` replaces the line, `clear` erases it, `say` prints a permanent line above it (a retry, a summary).
    Before drawing, it flushes `out` (stdout), whose writers always end on a newline (see the module docstring).
    """

    def __init__(self, stream: TextIO | None, out: TextIO) -> None:
        self._stream, self._out = stream, out
        self._text = ""  # the status
        self._drawn = ""  # what the terminal shows of it

    @property
    def active(self) -> bool:
        return self._stream is not None

    def show(self, text: str) -> None:
        self._text = text
        self._draw(text)

    def clear(self) -> None:
        self._draw("")

    def finish(self, line: str) -> None:
        """Erase the status line and leave `line` in its place."""
        self._text = ""
        self.say(line)

    def say(self, line: str) -> None:
        if self._stream is not None:
            self._draw("")
            self._stream.write(line + "\n")
            self._stream.flush()
            self._draw(self._text)

    def _draw(self, text: str) -> None:
        if self._stream is None or text == self._drawn:
            return
        self._out.flush()
        # One column short of the width: a line that wraps would leave its first part behind on the next redraw.
        width = shutil.get_terminal_size().columns - 1
        self._stream.write(f"\r\x1b[K{text[:width]}")
        self._stream.flush()
        self._drawn = text


class _RetryLine(logging.Handler):
    """The client's retry records (INFO, with retry_* attributes) as lines above the status line."""

    def __init__(self, status: StatusLine, prog: str) -> None:
        super().__init__(logging.INFO)
        self.status, self.prog = status, prog

    def emit(self, record: logging.LogRecord) -> None:
        fields = vars(record)  # the client's `extra=`
        if "retry_in" in fields:
            self.status.say(
                f"{self.prog}: retrying in {fields['retry_in']:.1f} s after {fields['retry_reason']}, "
                f"attempt {fields['retry_attempt']} of {fields['retry_max_attempts']}"
            )


@contextlib.contextmanager
def retries_shown(status: StatusLine, prog: str) -> Iterator[None]:
    """On a terminal, show the client's retries as they happen; logging is left as it was afterwards.

    Not when the client already logs to stderr ($BATCH_REST_LOG, -v): its own lines say it.
    """
    logger = logging.getLogger("batch_rest")
    level, handler = logger.level, _RetryLine(status, prog)
    if status.active and not any(getattr(h, "_batch_rest_stderr", False) for h in logger.handlers):
        logger.addHandler(handler)
        if logger.getEffectiveLevel() > logging.INFO:
            logger.setLevel(logging.INFO)
    try:
        yield
    finally:
        status.clear()
        if handler in logger.handlers:
            logger.removeHandler(handler)
            logger.setLevel(level)


class Progress:
    """Counts a listing's items and pages, shows them on the status line, and sums them up at the end."""

    def __init__(self, noun: str, status: StatusLine) -> None:
        self.noun, self.status = noun, status
        self.items = self.pages = 0
        self._started = time.monotonic()

    def page(self, items: int) -> None:
        self.items, self.pages = self.items + items, self.pages + 1
        self.status.show(self.text())

    def text(self) -> str:
        return f"{plural(self.items, self.noun)}, {plural(self.pages, 'pages')}"

    def summary(self) -> str:
        return f"{self.text()} in {time.monotonic() - self._started:.1f} s"


class ListingWriter(Protocol):
    def add(self, rows: Sequence[Mapping[str, Any]]) -> None: ...

    def finish(self) -> None:
        """Write what is held back and close the output (a JSON array's `]`): after the last page, or an error."""


def writer(fmt: str, out: TextIO, documented: Sequence[str], noun: str, *, terminal: bool = False) -> ListingWriter:
    """The writer of a listing in `fmt`; `terminal`: `out` is one, so no control character reaches it raw."""
    if fmt == "jsonl":
        return _JsonLines(out, terminal)
    if fmt == "json":
        return _JsonArray(out, terminal)
    return _Columns(out, documented, noun, table=fmt == "table", terminal=terminal)


class _JsonLines:
    def __init__(self, out: TextIO, terminal: bool) -> None:
        self._out, self._terminal = out, terminal

    def add(self, rows: Sequence[Mapping[str, Any]]) -> None:
        self._out.writelines(dumps(row, terminal=self._terminal) + "\n" for row in rows)
        self._out.flush()

    def finish(self) -> None:
        self._out.flush()


class _JsonArray:
    """`[`, one item per line, `]`. The last item received is held back until the next one (or the end) says
    whether it takes a comma, so that every write ends on a newline."""

    def __init__(self, out: TextIO, terminal: bool) -> None:
        self._out, self._terminal = out, terminal
        self._held: str | None = None
        self._out.write("[\n")

    def add(self, rows: Sequence[Mapping[str, Any]]) -> None:
        for row in rows:
            if self._held is not None:
                self._out.write(f"  {self._held},\n")
            self._held = dumps(row, terminal=self._terminal)
        self._out.flush()

    def finish(self) -> None:
        self._out.write("]\n" if self._held is None else f"  {self._held}\n]\n")
        self._out.flush()


class _Columns:
    """csv and table: rows are spooled as JSON lines while the columns and their widths are learnt."""

    def __init__(self, out: TextIO, documented: Sequence[str], noun: str, *, table: bool, terminal: bool) -> None:
        self._out, self._noun, self._table = out, noun, table
        self._terminal = terminal  # csv only: a table never shows a control character, wherever it is written
        self._columns: dict[str, int] = {name: _width(name) for name in documented}  # name -> widest cell
        self._spool = tempfile.SpooledTemporaryFile(_SPOOL_BYTES, mode="w+", encoding="utf-8")  # noqa: SIM115
        self._count = 0

    def add(self, rows: Sequence[Mapping[str, Any]]) -> None:
        for row in rows:
            for name, value in row.items():
                width = _width(_shown(value)) if self._table else 0
                if width > self._columns.get(name, -1):
                    self._columns[name] = max(width, _width(name))
            self._spool.write(dumps(row) + "\n")
        self._count += len(rows)

    def finish(self) -> None:
        self._spool.seek(0)
        rows = (json.loads(line) for line in self._spool)
        if self._table:
            self._write_table(rows)
        else:
            self._write_csv(rows)
        self._spool.close()
        self._out.flush()

    def _write_csv(self, rows: Iterable[dict[str, Any]]) -> None:
        if not self._columns:  # no documented fields and no rows: nothing, rather than an empty header line
            return
        out = csv.writer(self._out, lineterminator="\n")
        cell = _shown if self._terminal else _cell
        out.writerow(map(printable, self._columns) if self._terminal else self._columns)
        out.writerows([cell(row.get(name)) for name in self._columns] for row in rows)

    def _write_table(self, rows: Iterable[dict[str, Any]]) -> None:
        if not self._count:
            self._out.write(f"(no {self._noun})\n")
            return
        widths = [min(width, MAX_CELL) for width in self._columns.values()]
        header = [printable(name) for name in self._columns]
        lines = [header, ["-" * width for width in widths]]
        lines += ([_shown(row.get(name)) for name in self._columns] for row in rows)
        self._out.writelines("  ".join(map(_fit, line, widths)).rstrip() + "\n" for line in lines)


def _cell(value: object) -> str:
    return value if isinstance(value, str) else "" if value is None else dumps(value)


def _shown(value: object) -> str:
    return printable(_cell(value))


def printable(text: str) -> str:
    """No control characters (from the server) on a terminal."""
    return text if text.isprintable() else "".join(c if c.isprintable() else "?" for c in text)


def _char_width(char: str) -> int:
    return 1 + (unicodedata.east_asian_width(char) in "WF")


def _width(text: str) -> int:
    """Terminal cells: East Asian wide characters take two."""
    return len(text) if text.isascii() else sum(map(_char_width, text))


def _fit(text: str, width: int) -> str:
    """`text` padded to `width` cells, or cut to `width - 1` cells and an ellipsis."""
    used = _width(text)
    if used > width:
        kept = []
        used = 1  # the ellipsis
        for char in text:
            if used + _char_width(char) > width:
                break
            kept.append(char)
            used += _char_width(char)
        text = "".join(kept) + "…"
    return text + " " * (width - used)
