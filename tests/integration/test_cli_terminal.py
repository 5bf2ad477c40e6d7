"""The CLI on a real terminal: a subprocess whose stdout and stderr are one pseudo-terminal, rendered by a terminal
emulator (pyte), so that what is asserted is what a person sees, status line and all.

The status line is redrawn with `\\r\\x1b[K`; these tests prove that it never damages what stdout shows.
"""

import fcntl
import json
import os
import pty
import select
import struct
import subprocess
import sys
import termios
import time
import uuid

import pyte
import pytest

from batch_rest.testing import FakeBatchServer, Fault

CANARY = f"canary-{uuid.uuid4().hex}"
COLUMNS, LINES = 240, 60
SEGMENTS = 30

pytestmark = [pytest.mark.timeout(60), pytest.mark.batch_server(segments=SEGMENTS, api_key=CANARY)]


class Terminal:
    """What a terminal shows after a CLI run: `lines` (right-trimmed), `cells(y)` per column, and the raw bytes."""

    def __init__(self, screen, raw: bytes, returncode: int) -> None:
        self.screen, self.raw, self.returncode = screen, raw, returncode
        self.lines = [line.rstrip() for line in screen.display]
        while self.lines and not self.lines[-1]:
            self.lines.pop()

    def cells(self, y: int) -> list[str]:
        """Line y, one string per terminal column (the second column of a wide character is "")."""
        return [self.screen.buffer[y][x].data for x in range(self.screen.columns)]


def run_on_terminal(*args: str, server: FakeBatchServer, timeout: float = 30) -> Terminal:
    env = {k: v for k, v in os.environ.items() if not k.startswith("BATCH_")}
    env |= {"BATCH_BASE_URL": server.url, "BATCH_REST_API_KEY": server.api_key,
            "BATCH_PROJECT_KEY": server.project_key, "TERM": "xterm", "COLUMNS": str(COLUMNS)}  # fmt: skip
    leader, follower = pty.openpty()
    fcntl.ioctl(follower, termios.TIOCSWINSZ, struct.pack("HHHH", LINES, COLUMNS, 0, 0))
    process = subprocess.Popen([sys.executable, "-m", "batch_rest", *args], stdin=follower, stdout=follower,
                               stderr=follower, env=env, close_fds=True)  # fmt: skip
    os.close(follower)
    screen = pyte.Screen(COLUMNS, LINES)
    stream = pyte.ByteStream(screen)
    raw = bytearray()
    deadline = time.monotonic() + timeout
    try:
        while time.monotonic() < deadline:
            ready, _, _ = select.select([leader], [], [], 0.1)
            if not ready:
                if process.poll() is not None and not select.select([leader], [], [], 0.2)[0]:
                    break
                continue
            try:
                chunk = os.read(leader, 65536)
            except OSError:  # EIO: every process holding the terminal has closed it
                break
            if not chunk:
                break
            raw += chunk
            stream.feed(chunk)
        returncode = process.wait(timeout=max(1, deadline - time.monotonic()))
    finally:
        os.close(leader)
        if process.poll() is None:
            process.kill()
            process.wait()
    text = raw.decode("utf-8", errors="replace")
    assert CANARY not in text
    assert "Traceback" not in text
    return Terminal(screen, bytes(raw), returncode)


def expected(server: FakeBatchServer, count: int) -> list[dict[str, str]]:
    return [server.segment(i) for i in range(count)]


def same_segments(rows: list[dict[str, str]], segments: list[dict[str, str]]) -> bool:
    from datetime import datetime

    def key(row):
        return row["code"], row["display_name"], datetime.fromisoformat(row["created_at"])

    return [key(r) for r in rows] == [key(s) for s in segments]


def test_json_on_a_terminal_shows_exactly_the_json_while_progress_is_drawn(batch_server):
    term = run_on_terminal("segments", "list", "--format", "json", "--max-items", "2", "--page-size", "1",
                           server=batch_server)  # fmt: skip
    assert term.returncode == 0, term.lines
    assert b"\x1b[K1 segment, 1 page" in term.raw  # the status line was drawn between the pages
    *json_lines, summary = term.lines
    assert json_lines[0] == "["  # the status line's `\r\x1b[K` used to erase it
    assert same_segments(json.loads("\n".join(json_lines)), expected(batch_server, 2))
    assert summary.startswith("2 segments, 2 pages in ")


def test_a_table_on_a_terminal_is_aligned_and_ends_with_a_summary(batch_server):
    batch_server.inject(Fault.slow(0.2), times=5)  # time for the status line to show between pages
    term = run_on_terminal("segments", "list", "--page-size", "7", server=batch_server)  # a table: the default
    assert term.returncode == 0, term.lines
    assert b"\x1b[K28 segments, 4 pages" in term.raw
    header, rule, *rows, summary = term.lines
    assert header.split() == ["code", "display_name", "created_at", "updated_at"]
    assert set(rule) == {"-", " "}
    assert [row.split()[0] for row in rows] == [s["code"] for s in expected(batch_server, SEGMENTS)]
    assert summary.startswith("30 segments, 5 pages in ")

    # Every column starts at the same terminal column on every line, wide characters included.
    header_cells = term.cells(0)
    starts = [x for x in range(COLUMNS) if header_cells[x] != " " and (x == 0 or header_cells[x - 1] == " ")]
    assert len(starts) == 4
    for y in range(2, 2 + len(rows)):
        cells = term.cells(y)
        assert [x for x in starts if cells[x] not in (" ", "") and (x == 0 or cells[x - 1] == " ")] == starts, (
            term.lines[y]
        )


def test_retries_are_shown_as_they_happen_and_the_listing_completes(batch_server):
    batch_server.inject(Fault.slow(0))  # page 1
    batch_server.inject(Fault.service_unavailable())  # page 2, first attempt
    term = run_on_terminal("segments", "list", "--format", "jsonl", "--page-size", "20", server=batch_server)
    assert term.returncode == 0, term.lines
    (retry,) = [line for line in term.lines if "retrying" in line]
    assert retry.startswith("batch-rest: retrying in ")
    assert retry.endswith(" s after 503, attempt 2 of 4")
    rows = [json.loads(line) for line in term.lines if line.startswith("{")]
    assert same_segments(rows, expected(batch_server, SEGMENTS))
    assert term.lines[-1].startswith("30 segments, 2 pages in ")


def test_the_final_error_says_how_many_attempts_were_made(batch_server):
    batch_server.inject(Fault.service_unavailable(), times=3)
    term = run_on_terminal("segments", "list", "--max-retries", "2", server=batch_server)
    assert term.returncode == 4
    assert len([line for line in term.lines if "retrying" in line]) == 2
    error = " ".join(term.lines)  # the error line may wrap
    assert "API error 503" in error
    assert "after 3 attempts;" in error


def test_csv_on_a_terminal_shows_control_characters_instead_of_obeying_them(batch_server):
    evil = "evil\x1b[31mRED"
    page = {"segments": [{"code": evil, "display_name": "x\x1b[2Jy", "created_at": "2024-05-01T10:00:00Z"}],
            "has_more": False}  # fmt: skip
    batch_server.inject(Fault.raw(200, {"Content-Type": "application/json"}, json.dumps(page).encode()))
    term = run_on_terminal("segments", "list", "--format", "csv", server=batch_server)
    assert term.returncode == 0, term.lines
    header, row = term.lines[:2]
    assert header == "code,display_name,created_at,updated_at"
    assert row == "evil?[31mRED,x?[2Jy,2024-05-01T10:00:00+00:00,"
    assert b"\x1b[31m" not in term.raw
    # Nothing on the screen turned red (or any colour), and the screen was not cleared.
    colours = {cell.fg for row in term.screen.buffer.values() for cell in row.values() if cell.data.strip()}
    assert colours == {"default"}
