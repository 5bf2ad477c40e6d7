"""The `batch-rest` CLI and `tools/demo.py`, run as real subprocesses against a fake Batch server on loopback.

Every CLI run goes through `cli()` / `start_cli()`, which check that the API key (a unique canary) never shows
on stdout or stderr and that no run prints a traceback.
"""

import csv
import io
import json
import os
import queue
import shlex
import signal
import socket
import subprocess
import sys
import threading
import time
import unicodedata
import uuid
from datetime import datetime
from pathlib import Path

import pytest

from batch_rest.testing import FakeBatchServer, Fault

CANARY = f"canary-{uuid.uuid4().hex}"
SEGMENTS = 250
ROOT = Path(__file__).resolve().parents[2]

pytestmark = [pytest.mark.timeout(30), pytest.mark.batch_server(segments=SEGMENTS, api_key=CANARY)]

# Runs the CLI like `python -m batch_rest`, with Ctrl-C handled even if this test run was started with SIGINT
# ignored (as a shell does for background jobs): a child inherits that, and Python then keeps ignoring it.
SIGINT_BOOT = (
    "import runpy, signal, sys; signal.signal(signal.SIGINT, signal.default_int_handler); "
    "sys.argv[0] = 'batch_rest'; runpy.run_module('batch_rest', run_name='__main__', alter_sys=True)"
)


def env_for(server: FakeBatchServer | None, **overrides: str | None) -> dict[str, str]:
    # Without PYTHONUNBUFFERED, a pipe is block-buffered: the streaming test sees the CLI's own flushes.
    env = {k: v for k, v in os.environ.items() if not k.startswith("BATCH_") and k != "PYTHONUNBUFFERED"}
    if server is not None:
        env |= {"BATCH_BASE_URL": server.url, "BATCH_REST_API_KEY": server.api_key,
                "BATCH_PROJECT_KEY": server.project_key}  # fmt: skip
    for name, value in overrides.items():
        if value is None:
            env.pop(name, None)
        else:
            env[name] = value
    return env


def check_output(stdout: str, stderr: str, *secrets: str) -> None:
    for secret in (CANARY, *secrets):
        assert secret not in stdout
        assert secret not in stderr
    assert "Traceback" not in stderr


def cli(*args: str, server: FakeBatchServer | None, secrets: tuple[str, ...] = (), **env: str | None):
    result = subprocess.run(
        [sys.executable, "-m", "batch_rest", *args],
        env=env_for(server, **env), capture_output=True, text=True, timeout=25, check=False,
    )  # fmt: skip
    check_output(result.stdout, result.stderr, *secrets)
    return result


class Running:
    """A CLI subprocess whose stdout is read line by line while it runs."""

    def __init__(self, *args: str, server: FakeBatchServer) -> None:
        self.process = subprocess.Popen(
            [sys.executable, "-c", SIGINT_BOOT, *args],
            env=env_for(server), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        )  # fmt: skip
        self.lines: queue.Queue[str | None] = queue.Queue()
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            self.lines.put(line)
        self.lines.put(None)

    def read_lines(self, count: int, timeout: float = 10) -> list[str]:
        return [line for _ in range(count) if (line := self.lines.get(timeout=timeout)) is not None]

    def finish(self, timeout: float = 15) -> tuple[int, str]:
        assert self.process.stderr is not None
        returncode = self.process.wait(timeout=timeout)
        stderr = self.process.stderr.read()
        rest = []
        while (line := self.lines.get(timeout=5)) is not None:
            rest.append(line)
        check_output("".join(rest), stderr)
        return returncode, stderr


@pytest.fixture
def server(batch_server: FakeBatchServer) -> FakeBatchServer:
    return batch_server


def codes(server: FakeBatchServer, start: int = 0, stop: int = SEGMENTS) -> list[str]:
    return [server.segment(i)["code"] for i in range(start, stop)]


def resume_cursor(stderr: str) -> str:
    (line,) = [line for line in stderr.splitlines() if "--start-cursor" in line]
    words = shlex.split(line.partition("to resume:")[2])
    return words[words.index("--start-cursor") + 1]


def parse(fmt: str, stdout: str) -> list[dict[str, str]]:
    if fmt == "jsonl":
        return [json.loads(line) for line in stdout.splitlines()]
    if fmt == "json":
        return json.loads(stdout)
    if fmt == "csv":
        return list(csv.DictReader(io.StringIO(stdout)))
    header, rule, *rows = stdout.splitlines()
    assert header.split() == ["code", "display_name", "created_at", "updated_at"]
    assert set(rule) == {"-", " "}
    return [{"code": row.split()[0]} for row in rows]


@pytest.mark.parametrize("fmt", ["jsonl", "json", "csv", "table", None])
def test_every_format_lists_every_segment_once_in_order(server, fmt):
    result = cli("segments", "list", "--page-size", "60", *(["--format", fmt] if fmt else []), server=server)
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""  # not a terminal: no progress line
    rows = parse(fmt or "jsonl", result.stdout)  # jsonl when stdout is not a terminal
    assert [row["code"] for row in rows] == codes(server)
    assert len(server.requests) == 5
    if fmt != "table":
        for i, row in enumerate(rows):
            expected = server.segment(i)
            assert row["display_name"] == expected["display_name"]
            for field in ("created_at", "updated_at"):
                assert datetime.fromisoformat(row[field]) == datetime.fromisoformat(expected[field])


def test_max_items_stops_without_fetching_further_pages(server):
    result = cli("segments", "list", "--max-items", "25", "--page-size", "10", server=server)
    assert result.returncode == 0, result.stderr
    assert [json.loads(line)["code"] for line in result.stdout.splitlines()] == codes(server, 0, 25)
    assert [r.query["limit"] for r in server.requests] == [["10"]] * 3

    server.clear_requests()
    result = cli("segments", "list", "--max-items", "5", server=server)
    assert len(result.stdout.splitlines()) == 5
    assert [r.query["limit"] for r in server.requests] == [["5"]]  # one short page, not 100 segments


@pytest.mark.parametrize("size", ["0", "101", "500"])
def test_page_size_out_of_range_is_a_usage_error_before_any_request(server, size):
    result = cli("segments", "list", "--page-size", size, server=server)
    assert result.returncode == 2
    assert result.stderr.startswith("usage: batch-rest segments list")
    assert "--page-size" in result.stderr.splitlines()[-1]
    assert "1 to 100" in result.stderr.splitlines()[-1]
    assert server.requests == []


def test_every_bad_option_value_exits_2(server):
    for args in (["--timeout", "abc"], ["--page-size", "500"], ["--max-items", "x"], ["--api-version", "v3"]):
        result = cli("segments", "list", *args, server=server)
        assert result.returncode == 2, (args, result.stderr)
        assert args[0] in result.stderr.splitlines()[-1]
    assert server.requests == []


def test_a_misspelt_option_shows_the_commands_usage(server):
    result = cli("segments", "list", "--formt", "csv", server=server)
    assert result.returncode == 2
    assert result.stderr.startswith("usage: batch-rest segments list")
    assert "--formt" in result.stderr
    assert "did you mean --format?" in result.stderr


def test_version():
    result = cli("--version", server=None)
    assert result.returncode == 0
    assert result.stdout.startswith("batch-rest ")
    assert "2.11" in result.stdout


def raw_page(*segments: dict[str, object]) -> Fault:
    """One page answered with exactly these segments, as the server sent them."""
    body = json.dumps({"segments": list(segments), "has_more": False}, ensure_ascii=False).encode()
    return Fault.raw(200, {"Content-Type": "application/json"}, body)


CREATED = "2024-05-01T10:00:00Z"


@pytest.mark.parametrize("fmt", ["jsonl", "json"])
def test_json_puts_the_documented_fields_first_as_csv_and_the_table_do(server, fmt):
    server.inject(raw_page({"zeta": 1, "updated_at": CREATED, "alpha": "a", "code": "C", "display_name": "D",
                            "created_at": CREATED}))  # fmt: skip
    result = cli("segments", "list", "--format", fmt, server=server)
    assert result.returncode == 0, result.stderr
    (row,) = parse(fmt, result.stdout)
    assert list(row) == ["code", "display_name", "created_at", "updated_at", "zeta", "alpha"]


@pytest.mark.parametrize("fmt", ["csv", "jsonl"])
def test_piped_output_passes_control_characters_through_byte_for_byte(server, fmt):
    evil = "evil\x1b[31mRED \x9b2J"
    server.inject(raw_page({"code": evil, "display_name": "D", "created_at": CREATED}))
    result = subprocess.run(
        [sys.executable, "-m", "batch_rest", "segments", "list", "--format", fmt],
        env=env_for(server), capture_output=True, timeout=25, check=False,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    expected = evil if fmt == "csv" else json.dumps(evil, ensure_ascii=False)
    assert expected.encode() in result.stdout


def test_start_cursor_resumes_a_listing(server):
    result = cli("segments", "list", "--start-cursor", server.cursor(100), server=server)
    assert result.returncode == 0, result.stderr
    assert [json.loads(line)["code"] for line in result.stdout.splitlines()] == codes(server, 100)


def test_no_api_key_is_a_configuration_error(server):
    result = cli("segments", "list", server=server, BATCH_REST_API_KEY=None)
    assert result.returncode == 3
    assert "BATCH_REST_API_KEY" in result.stderr
    assert server.requests == []


def test_with_both_keys_missing_both_are_named(server):
    result = cli("segments", "list", server=server, BATCH_REST_API_KEY=None, BATCH_PROJECT_KEY=None)
    assert result.returncode == 3
    (line,) = result.stderr.splitlines()
    for word in ("BATCH_REST_API_KEY", "BATCH_PROJECT_KEY", "--api-key", "--project-key"):
        assert word in line
    assert server.requests == []


def test_plain_http_names_the_cli_flag_and_the_flag_allows_it(server):
    refused = cli("segments", "list", "--base-url", "http://192.0.2.1:9/2.11", server=server)
    assert refused.returncode == 2
    assert "--allow-insecure-http" in refused.stderr
    assert "allow_insecure_http" not in refused.stderr
    allowed = cli("segments", "list", "--base-url", "http://192.0.2.1:9/2.11", "--allow-insecure-http",
                  "--timeout", "0.5", "--max-retries", "0", server=server)  # fmt: skip
    assert allowed.returncode == 5  # TEST-NET-1: nothing answers, but the request was tried


@pytest.mark.parametrize("where", ["env", "option"])
def test_a_wrong_api_key_is_an_api_error_that_does_not_echo_the_key(server, where):
    wrong = f"wrong-{uuid.uuid4().hex}"
    option = ["--api-key", wrong] if where == "option" else []
    result = cli("segments", "list", "-v", *option, server=server, secrets=(wrong,), BATCH_REST_API_KEY=wrong)
    assert result.returncode == 4
    (line,) = [line for line in result.stderr.splitlines() if "error" in line.lower() and "DEBUG" not in line]
    assert "401" in line
    assert "AUTHENTICATION_INVALID" in line
    assert "BATCH_REST_API_KEY" in line


def test_connection_refused_exits_5(server):
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    result = cli("segments", "list", "--max-retries", "0", server=server,
                 BATCH_BASE_URL=f"http://127.0.0.1:{port}/2.11")  # fmt: skip
    assert result.returncode == 5
    assert "connection failed" in result.stderr
    assert "--base-url" in result.stderr


def test_a_503_mid_listing_prints_a_cursor_that_resumes_exactly_where_it_stopped(server):
    server.inject(Fault.slow(0), times=2)  # two normal pages first
    server.inject(Fault.service_unavailable())
    result = cli("segments", "list", "--page-size", "50", "--max-retries", "0", server=server)
    assert result.returncode == 4
    assert "503" in result.stderr
    assert "SERVICE_UNAVAILABLE" in result.stderr
    assert "retry later" in result.stderr
    first = [json.loads(line)["code"] for line in result.stdout.splitlines()]
    assert first == codes(server, 0, 100)
    cursor = resume_cursor(result.stderr)
    assert cursor == server.cursor(100)

    again = cli("segments", "list", "--page-size", "50", "--start-cursor", cursor, server=server)
    assert again.returncode == 0, again.stderr
    assert first + [json.loads(line)["code"] for line in again.stdout.splitlines()] == codes(server)


def test_the_resume_hint_repeats_every_option_needed_and_resumes_exactly(server):
    server.inject(Fault.slow(0), times=2)  # two pages of 20, then a 503
    server.inject(Fault.service_unavailable())
    options = {"--page-size": "20", "--format": "csv", "--base-url": server.url}
    result = cli("segments", "list", *[w for pair in options.items() for w in pair], "--max-retries", "0",
                 server=server, BATCH_BASE_URL=None)  # fmt: skip
    assert result.returncode == 4
    first = list(csv.DictReader(io.StringIO(result.stdout)))  # what was listed is written, header and all
    assert [row["code"] for row in first] == codes(server, 0, 40)
    (line,) = [line for line in result.stderr.splitlines() if "to resume:" in line]
    words = shlex.split(line.partition("to resume: ")[2])
    assert words[:3] == ["batch-rest", "segments", "list"]
    for option, value in options.items():
        assert words[words.index(option) + 1] == value
    assert words[words.index("--start-cursor") + 1] == server.cursor(40)

    again = cli(*words[1:], server=server, BATCH_BASE_URL=None)
    assert again.returncode == 0, again.stderr
    rest = list(csv.DictReader(io.StringIO(again.stdout)))
    assert [row["code"] for row in first + rest] == codes(server)
    assert {tuple(r.query["limit"]) for r in server.requests} == {("20",)}


def terminal_cells(line: str) -> list[str]:
    """A line as a terminal shows it: one entry per column, "" for the right half of a wide character."""
    return [part for c in line for part in ([c, ""] if unicodedata.east_asian_width(c) in "WF" else [c])]


def column_starts(cells: list[str]) -> list[int]:
    return [x for x, c in enumerate(cells) if c not in (" ", "") and (x == 0 or cells[x - 1] == " ")]


@pytest.mark.batch_server(segments=2500)
def test_a_table_of_2500_rows_stays_aligned(server):
    result = cli("segments", "list", "--format", "table", server=server)
    assert result.returncode == 0, result.stderr
    header, rule, *rows = result.stdout.splitlines()
    starts = column_starts(terminal_cells(header))
    assert len(starts) == 4
    assert len(rows) == 2500
    shifted = [row for row in rows if not set(starts) <= set(column_starts(terminal_cells(row)))]
    assert shifted == []
    assert column_starts(terminal_cells(rule)) == starts


def test_rows_stream_out_before_the_last_page_is_fetched(server):
    server.inject(Fault.slow(0))
    server.inject(Fault.slow(3))  # the second page
    run = Running("segments", "list", "--page-size", "100", server=server)
    first_page = run.read_lines(100)
    assert run.process.poll() is None  # still waiting for page 2...
    assert run.lines.empty()  # ...of which nothing has arrived
    assert [json.loads(line)["code"] for line in first_page] == codes(server, 0, 100)
    returncode, _ = run.finish()
    assert returncode == 0
    assert len(server.requests) == 3


def test_ctrl_c_during_a_slow_response_exits_130_with_a_resume_cursor(server):
    server.inject(Fault.slow(0))
    server.inject(Fault.slow(20))
    run = Running("segments", "list", "--page-size", "100", server=server)
    run.read_lines(100)
    deadline = time.monotonic() + 5
    while len(server.requests) < 2 and time.monotonic() < deadline:  # the CLI is waiting for page 2
        time.sleep(0.01)
    run.process.send_signal(signal.SIGINT)
    returncode, stderr = run.finish(timeout=5)
    assert returncode == 130
    assert "interrupted" in stderr
    assert resume_cursor(stderr) == server.cursor(100)


def test_fake_server_prints_its_url_and_credentials_and_stops_on_ctrl_c():
    process = subprocess.Popen(
        [sys.executable, "-c", SIGINT_BOOT, "fake-server", "--port", "0", "--segments", "30"],
        env=env_for(None), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        assert process.stdout is not None
        first = process.stdout.readline()
        exports = dict(shlex.split(process.stdout.readline())[1].split("=", 1) for _ in range(3))
        assert exports.keys() == {"BATCH_BASE_URL", "BATCH_REST_API_KEY", "BATCH_PROJECT_KEY"}
        assert exports["BATCH_BASE_URL"] in first
        assert exports["BATCH_BASE_URL"].startswith("http://127.0.0.1:")
        result = subprocess.run(
            [sys.executable, "-m", "batch_rest", "segments", "list", "--format", "csv"],
            env=env_for(None, **exports), capture_output=True, text=True, timeout=20, check=False,
        )  # fmt: skip
        assert result.returncode == 0, result.stderr
        assert len(list(csv.DictReader(io.StringIO(result.stdout)))) == 30
        process.send_signal(signal.SIGINT)
        assert process.wait(timeout=10) == 0
        assert process.stderr is not None
        assert "Traceback" not in process.stderr.read()
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()


def processes_in_session(session: int) -> list[int]:
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rpartition(")")[2].split()
        except OSError:  # the process is gone
            continue
        if int(fields[3]) == session:  # pgrp, session: fields 5 and 6 of proc(5), after the command name
            found.append(int(stat.parent.name))
    return found


@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="needs Linux's /proc")
@pytest.mark.timeout(60)
def test_demo_shows_the_head_of_the_table_and_a_summary_and_leaves_nothing_running():
    demo = subprocess.Popen(
        [sys.executable, str(ROOT / "tools" / "demo.py")],
        env=env_for(None), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True,
    )  # fmt: skip
    stdout, stderr = demo.communicate(timeout=50)
    assert demo.returncode == 0, stderr
    check_output(stdout, stderr)
    lines = stdout.splitlines()
    rule = next(i for i, line in enumerate(lines) if line and set(line) <= {"-", " "})  # under the header
    header, rows = lines[rule - 1], lines[rule + 1 : rule + 11]
    expected = FakeBatchServer(2500).segment
    assert header.split() == ["code", "display_name", "created_at", "updated_at"]
    assert [row.split()[0] for row in rows] == [expected(i)["code"] for i in range(10)]
    starts = column_starts(terminal_cells(header))
    assert all(set(starts) <= set(column_starts(terminal_cells(row))) for row in rows)
    assert lines[rule + 11] == "... and 2,490 more rows"  # not 2,500 rows scrolling by
    (summary,) = [line for line in lines if " pages in " in line]
    assert summary.startswith("2,500 segments, 25 pages in ")
    assert "BATCH_REST_API_KEY" in lines[-1]  # how to point the CLI at the real API
    assert stderr == ""
    time.sleep(0.2)
    left = processes_in_session(demo.pid)
    for pid in left:
        os.kill(pid, signal.SIGKILL)
    assert left == []


@pytest.mark.parametrize("args", [["--help"], ["segments", "list", "--help"], ["fake-server", "--help"], ["--version"]])
def test_help_and_version_import_neither_httpx_nor_the_generated_code(args):
    result = subprocess.run(
        [sys.executable, "-X", "importtime", "-m", "batch_rest", *args],
        env=env_for(None), capture_output=True, text=True, timeout=20, check=False,
    )  # fmt: skip
    assert result.returncode == 0
    assert "exit codes" in result.stdout or "fake" in result.stdout or result.stdout.startswith("batch-rest 0.")
    imported = {line.rpartition("|")[2].strip() for line in result.stderr.splitlines() if "|" in line}
    assert "argparse" in imported
    assert "batch_rest_generated._operations" in imported  # the commands are built from the operations' data...
    heavy = {"httpx", "httpcore", "anyio", "h11"}
    generated = {"batch_rest_generated.api", "batch_rest_generated.models", "batch_rest_generated._typed",
                 "batch_rest_generated.client"}  # ...not from the generated code  # fmt: skip
    assert {name for name in imported if name.split(".")[0] in heavy} == set()
    assert {name for name in imported if name.rpartition(".")[0] in generated or name in generated} == set()


@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="needs Linux's /proc")
def test_demo_leaves_nothing_running_after_ctrl_c():
    boot = ("import runpy, signal, sys; signal.signal(signal.SIGINT, signal.default_int_handler); "
            "runpy.run_path(sys.argv[1], run_name='__main__')")  # fmt: skip
    demo = subprocess.Popen(
        [sys.executable, "-c", boot, str(ROOT / "tools" / "demo.py")],
        env=env_for(None), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True,
    )  # fmt: skip
    try:
        assert demo.stdout is not None
        while not demo.stdout.readline().startswith("Server at"):  # the server is up, the listing starting
            pass
        os.killpg(demo.pid, signal.SIGINT)  # what Ctrl-C in a terminal does: the whole foreground group
        demo.communicate(timeout=15)
        assert demo.returncode in (0, 130)
    finally:
        if demo.poll() is None:
            demo.kill()
            demo.wait()
        time.sleep(0.2)
        left = processes_in_session(demo.pid)
        for pid in left:
            os.kill(pid, signal.SIGKILL)
    assert left == []


class FakeTerminal(io.StringIO):
    def isatty(self) -> bool:
        return True


@pytest.mark.parametrize("stdout_is_a_terminal", [False, True])
def test_progress_line_only_on_a_terminal_and_erased_at_the_end(server, monkeypatch, stdout_is_a_terminal):
    from batch_rest.cli import main

    for name, value in env_for(server).items():
        monkeypatch.setenv(name, value)
    out, err = (FakeTerminal() if stdout_is_a_terminal else io.StringIO()), FakeTerminal()
    monkeypatch.setattr(sys, "stdout", out)
    monkeypatch.setattr(sys, "stderr", err)
    assert main(["segments", "list"]) == 0
    assert "\x1b[K250 segments, 3 pages\r" in err.getvalue()  # the status line, redrawn over itself
    assert "\x1b[K250 segments, 3 pages in " in err.getvalue()  # the summary, left in its place
    assert err.getvalue().endswith(" s\n")  # and no status line left
    lines = out.getvalue().splitlines()
    if stdout_is_a_terminal:  # a table by default
        assert lines[0].split() == ["code", "display_name", "created_at", "updated_at"]
        assert [line.split()[0] for line in lines[2:]] == codes(server)
    else:
        assert [json.loads(line)["code"] for line in lines] == codes(server)
    check_output(out.getvalue(), err.getvalue())


@pytest.mark.parametrize(
    ("fault", "code", "words"),
    [
        (Fault.rate_limit(retry_after=120), 4, ["429", "TOO_MANY_REQUESTS", "retry later", "120 s"]),
        (Fault.server_error(), 4, ["500", "SERVER_ERROR", "Batch's side"]),
        (Fault.raw(200, {"Content-Type": "application/json"}, b"<html>"), 6, ["unexpected", "not JSON"]),
        (Fault.drop_before_response(), 5, ["connection failed"]),
    ],
)
def test_error_exit_codes_and_messages(server, fault, code, words):
    server.inject(fault)
    result = cli("segments", "list", "--max-retries", "0", server=server)
    assert result.returncode == code
    assert result.stdout == ""
    (line,) = result.stderr.splitlines()  # one line, and no resume hint: nothing was listed
    for word in words:
        assert word in line
