"""`batch-rest <resource> bulk-<action>`: the CLI run as a real subprocess (`python -m batch_rest`) against the fake
server over loopback, with a JSON-lines file of edits: what arrives (server.requests), the rejects files, exit
codes, Ctrl-C (SIGINT) and SIGKILL mid-run then --resume, and the progress line on a pseudo-terminal rendered by
pyte. Usage errors run in process (cli.main), against a fake server that must see no request.

The shipped document has no chunkable operation: tests/operations/test_operations.py runs this module against
packages regenerated with the fixture pages (`@needs` keeps a test where the package has its operation).
"""

from __future__ import annotations

import fcntl
import json
import os
import pty
import re
import select
import shlex
import signal
import struct
import subprocess
import sys
import termios
import time
import uuid
from collections import Counter
from pathlib import Path
from typing import Any

import pyte
import pytest
from conftest import needs

import batch_rest
from batch_rest import _seam, cli
from batch_rest._bulk_checkpoint import parse
from batch_rest.testing import FakeBatchServer, Fault, RateLimit

pytestmark = pytest.mark.timeout(120)
NAME = "profiles_update"
CANARY = f"sk-canary-{uuid.uuid4().hex}"
COMMAND = ["profiles", "bulk-update"]
FAST = ["--items-per-second", "inf"]  # no client-side pace: about what arrives, not when
# Ctrl-C handled even when this test run was started with SIGINT ignored (a shell's background job): see test_cli.py.
SIGINT_BOOT = (
    "import runpy, signal, sys; signal.signal(signal.SIGINT, signal.default_int_handler); "
    "sys.argv[0] = 'batch_rest'; runpy.run_module('batch_rest', run_name='__main__', alter_sys=True)"
)
SUMMARY = re.compile(r"^[\d,]+ items in [\d.]+ s \([\d,]+ items/s\): [\d,]+ accepted, [\d,]+ rejected, [\d,]+ unknown")


def edit(n: int) -> bytes:
    return json.dumps({"identifiers": {"custom_id": f"u-{n}"}, "attributes": {"n": n}}).encode()


def write_items(path: Path, count: int, bad: dict[int, bytes] | None = None) -> list[bytes]:
    """`count` lines of edits, line n+1 being edit n unless `bad` replaces it; the lines, as written."""
    lines = [(bad or {}).get(n, edit(n)) for n in range(count)]
    path.write_bytes(b"".join(line + b"\n" for line in lines))
    return lines


BAD = {  # line index -> a line the CLI rejects alone: not JSON, not an object, an item the document refuses
    3: b"{not json",
    57: b'["an", "array"]',
    158: json.dumps({"identifiers": {"custom_id": 7}}).encode(),
    401: b'{"identifiers": {"custom_id": "u-\xff"}}',  # not UTF-8
}


def environment(server: FakeBatchServer, **overrides: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("BATCH_")}
    return env | {"BATCH_BASE_URL": server.url, "BATCH_REST_API_KEY": server.api_key,
                  "BATCH_PROJECT_KEY": server.project_key} | overrides  # fmt: skip


def check_output(*texts: str) -> None:
    for text in texts:
        assert CANARY not in text
        assert "Traceback" not in text


def run(*args: str, server: FakeBatchServer, cwd: Path, stdin: bytes | None = None, **env: str) -> Any:
    result = subprocess.run([sys.executable, "-m", "batch_rest", *args], input=stdin, cwd=cwd,
                            env=environment(server, **env), capture_output=True, timeout=60, check=False)  # fmt: skip
    result.stdout, result.stderr = result.stdout.decode(), result.stderr.decode()
    check_output(result.stdout, result.stderr)
    return result


def arrivals(server: FakeBatchServer, *, answered: bool = True) -> Counter[str]:
    """How many times each edit arrived in a request the server answered normally (or in any request)."""
    found: Counter[str] = Counter()
    for request in server.requests:
        if request.operation == NAME and (request.fault is None or not answered):
            found.update(json.dumps(e, sort_keys=True) for e in json.loads(request.body))
    return found


def key(line: bytes) -> str:
    return json.dumps(json.loads(line), sort_keys=True)


def entries(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_bytes().splitlines()]


# -- a run --------------------------------------------------------------------------------------------------------


@needs(NAME)
def test_every_line_arrives_exactly_once_and_the_run_exits_0(tmp_path):
    lines = write_items(tmp_path / "edits.jsonl", 450)
    with FakeBatchServer(api_key=CANARY) as server:
        result = run(*COMMAND, "--items", "@edits.jsonl", server=server, cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert result.stdout == ""
    (summary,) = result.stderr.splitlines()  # not a terminal: no progress line, the summary alone
    assert SUMMARY.match(summary), summary
    assert summary.endswith("450 accepted, 0 rejected, 0 unknown")
    assert "\x1b" not in result.stderr
    assert arrivals(server) == {key(line): 1 for line in lines}
    assert sorted(len(json.loads(r.body)) for r in server.requests) == [50, 200, 200]  # the document's maxItems


@needs(NAME)
def test_stdin_works_as_a_file_does(tmp_path):
    lines = write_items(tmp_path / "edits.jsonl", 30)
    with FakeBatchServer(api_key=CANARY) as server:
        result = run(*COMMAND, "--items", "-", "--chunk-size", "7", server=server, cwd=tmp_path,
                     stdin=(tmp_path / "edits.jsonl").read_bytes())  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert arrivals(server) == {key(line): 1 for line in lines}
    assert len(server.requests) == 5


@needs(NAME)
def test_bad_lines_are_rejected_alone_into_the_rejects_file_exactly_as_read(tmp_path):
    bad = {**BAD, 200: b"", 201: b"   \t"}  # blank lines: skipped, not items
    lines = write_items(tmp_path / "edits.jsonl", 500, bad)
    with FakeBatchServer(api_key=CANARY) as server:
        result = run(*COMMAND, "--items", "@edits.jsonl", "--rejects", "rejects.jsonl", *FAST, server=server,
                     cwd=tmp_path)  # fmt: skip
    assert result.returncode == cli.EXIT_REJECTED, result.stderr
    (summary,) = result.stderr.splitlines()
    assert "494 accepted, 4 rejected, 0 unknown" in summary
    assert "4 items in rejects.jsonl (errors: rejects.jsonl.errors)" in summary
    assert (tmp_path / "rejects.jsonl").read_bytes() == b"".join(BAD[n] + b"\n" for n in sorted(BAD))
    found = entries(tmp_path / "rejects.jsonl.errors")
    assert [(e["line"], e["outcome"]) for e in found] == [(n + 1, "rejected") for n in sorted(BAD)]
    assert [e["index"] for e in found] == [3, 57, 158, 399]  # the client's count: lines 201 and 202 are blank
    errors = [e["error"] for e in found]
    assert errors[0].startswith("not JSON")
    assert errors[1] == "not a JSON object but an array"
    assert errors[2] == "identifiers.custom_id: must be string, got a number (7)"
    assert errors[3].startswith("not JSON")
    good = [line for n, line in enumerate(lines) if n not in bad]
    assert arrivals(server) == {key(line): 1 for line in good}  # none of the bad ones reached the server


@needs(NAME)
def test_rejected_chunks_go_to_the_rejects_file_which_can_be_fed_back(tmp_path):
    lines = write_items(tmp_path / "edits.jsonl", 600)
    with FakeBatchServer(api_key=CANARY) as server:
        server.inject(Fault.error(422, "INVALID", "refused"), operation=NAME)  # the first chunk: not applied
        first = run(*COMMAND, "--items", "@edits.jsonl", "--rejects", "rejects.jsonl", "--max-in-flight", "1",
                    *FAST, server=server, cwd=tmp_path)  # fmt: skip
        assert first.returncode == cli.EXIT_REJECTED, first.stderr
        assert (tmp_path / "rejects.jsonl").read_bytes() == b"".join(line + b"\n" for line in lines[:200])
        found = entries(tmp_path / "rejects.jsonl.errors")
        assert [e["line"] for e in found] == list(range(1, 201))
        assert {e["outcome"] for e in found} == {"rejected"}
        assert "422" in found[0]["error"]
        again = run(*COMMAND, "--items", "@rejects.jsonl", "--rejects", "again.jsonl", *FAST, server=server,
                    cwd=tmp_path)  # fmt: skip
    assert again.returncode == 0, again.stderr
    assert (tmp_path / "again.jsonl").read_bytes() == b""
    assert arrivals(server) == {key(line): 1 for line in lines}  # every edit accepted, once


@needs(NAME)
def test_unknown_outcomes_exit_8_and_are_never_sent_again(tmp_path):
    lines = write_items(tmp_path / "edits.jsonl", 400)
    with FakeBatchServer(api_key=CANARY) as server:
        server.inject(Fault.server_error(), operation=NAME)  # a 500: the chunk may have been applied
        with_file = run(*COMMAND, "--items", "@edits.jsonl", "--rejects", "rejects.jsonl", "--max-in-flight", "1",
                        *FAST, server=server, cwd=tmp_path)  # fmt: skip
        assert with_file.returncode == cli.EXIT_UNKNOWN, with_file.stderr
        assert {e["outcome"] for e in entries(tmp_path / "rejects.jsonl.errors")} == {"unknown"}
        assert (tmp_path / "rejects.jsonl").read_bytes() == b"".join(line + b"\n" for line in lines[:200])
        assert arrivals(server, answered=False) == {key(line): 1 for line in lines}

        server.clear_requests()
        server.inject(Fault.server_error(), operation=NAME)
        without = run(*COMMAND, "--items", "@edits.jsonl", "--max-in-flight", "1", *FAST, server=server, cwd=tmp_path)
    assert without.returncode == cli.EXIT_UNKNOWN
    failure, summary = without.stderr.splitlines()  # without --rejects: each failure on stderr, as it happens
    assert failure.startswith("batch-rest: lines 1-200 unknown: ServerError: 500 from POST ")
    assert "200 unknown" in summary


@needs(NAME)
def test_a_wrong_key_stops_the_run_with_exit_4_and_the_right_one_resumes_it(tmp_path):
    lines = write_items(tmp_path / "edits.jsonl", 2000, BAD)
    args = [*COMMAND, "--items", "@edits.jsonl", "--rejects", "rejects.jsonl", "--checkpoint", "run.checkpoint",
            "--chunk-size", "50", *FAST]  # fmt: skip
    with FakeBatchServer(api_key=CANARY) as server:
        wrong = run(*args, server=server, cwd=tmp_path, BATCH_REST_API_KEY="sk-wrong-key")
        assert wrong.returncode == cli.EXIT_API, wrong.stderr
        assert "sk-wrong-key" not in wrong.stderr
        stopped = [line for line in wrong.stderr.splitlines() if line.startswith("batch-rest: stopped:")]
        assert stopped
        assert "API error 401" in stopped[0]
        assert "BATCH_REST_API_KEY" in stopped[0]
        assert "not read" in wrong.stderr  # the lines it never read
        hint = wrong.stderr.split("to resume once that is fixed: ", 1)[1].splitlines()[0]
        assert shlex.split(hint)[:3] == ["batch-rest", *COMMAND]
        assert hint.endswith("--resume")
        assert 0 < len(server.requests) <= 4  # --max-in-flight: not 2,000 edits refused
        rejected_before = len(entries(tmp_path / "rejects.jsonl.errors"))
        assert rejected_before > len(BAD)  # those read and not sent: rejected because the run stopped

        server.clear_requests()  # all answered 401
        resumed = run(*shlex.split(hint)[1:], server=server, cwd=tmp_path)
    assert resumed.returncode == cli.EXIT_REJECTED, resumed.stderr
    good = [line for n, line in enumerate(lines) if n not in BAD]
    assert arrivals(server) == {key(line): 1 for line in good}
    # The rejects of the stop were sent again by the resumed run, and left the rejects file; the bad lines, once.
    assert (tmp_path / "rejects.jsonl").read_bytes() == b"".join(BAD[n] + b"\n" for n in sorted(BAD))
    assert sorted(e["line"] for e in entries(tmp_path / "rejects.jsonl.errors")) == [n + 1 for n in sorted(BAD)]


@needs(NAME)
def test_no_connection_exits_5(tmp_path):
    write_items(tmp_path / "edits.jsonl", 10)
    with FakeBatchServer(api_key=CANARY) as server:
        url = server.url
    result = run(*COMMAND, "--items", "@edits.jsonl", "--max-retries", "0", server=server, cwd=tmp_path,
                 BATCH_BASE_URL=url)  # fmt: skip
    assert result.returncode == cli.EXIT_CONNECTION, result.stderr
    assert "stopped: connection failed" in result.stderr


@needs("catalogs_items_edit")
def test_an_operation_split_along_a_body_property_takes_the_other_fields_in_body(tmp_path):
    items = [json.dumps({"id": f"sku-{n}", "action": "upsert"}).encode() for n in range(30)]
    (tmp_path / "items.jsonl").write_bytes(b"\n".join(items))  # no newline at the end
    (tmp_path / "body.json").write_text('{"name": "shop"}')
    with FakeBatchServer(api_key=CANARY) as server:
        result = run("catalogs", "bulk-items_edit", "--items", "@items.jsonl", "--body", "@body.json",
                     "--chunk-size", "20", *FAST, server=server, cwd=tmp_path)  # fmt: skip
        missing = run("catalogs", "bulk-items_edit", "--items", "@items.jsonl", server=server, cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    bodies = [json.loads(r.body) for r in server.requests]
    assert [body["name"] for body in bodies] == ["shop", "shop"]
    assert [item for body in bodies for item in body["items"]] == [json.loads(item) for item in items]
    assert missing.returncode == cli.EXIT_USAGE
    assert "--body" in missing.stderr


# -- usage errors: in process, nothing sent -----------------------------------------------------------------------


USAGE = [
    (["--items", "edits.jsonl"], "--items: expected @FILE (a JSON-lines file) or - (stdin), got 'edits.jsonl' "
     "(did you mean @edits.jsonl?)"),
    (["--items", "@missing.jsonl"], "--items @missing.jsonl: cannot read it: No such file or directory"),
    (["--items", "@edits.jsonl", "--checkpoint", "old.checkpoint"], "--checkpoint old.checkpoint exists: add "
     "--resume"),
    (["--items", "@edits.jsonl", "--checkpoint", "new.checkpoint", "--resume"], "--resume: there is no "
     "--checkpoint new.checkpoint"),
    (["--items", "@edits.jsonl", "--resume"], "--resume needs --checkpoint FILE"),
    (["--items", "@edits.jsonl", "--rejects", "edits.jsonl"], "--items and --rejects name the same file"),
    (["--items", "@edits.jsonl", "--checkpoint", "r.errors", "--rejects", "r"], "--checkpoint and --rejects "
     "FILE.errors name the same file"),
    (["--items", "@edits.jsonl", "--chunk-size", "500"], "--chunk-size must be from 1 to 200"),
    (["--items", "@edits.jsonl", "--max-in-flight", "0"], "--max-in-flight must be from 1 to"),
    (["--items", "@edits.jsonl", "--items-per-second", "0"], "--items-per-second must be > 0 (inf: no pace"),
    (["--items", "@edits.jsonl", "--checkpoint", "other.checkpoint", "--resume"], "--checkpoint other.checkpoint "
     "was written by another call"),
    (["--items", "@edits.jsonl", "--checkpoint", "edits.jsonl.bak", "--resume"], "--checkpoint edits.jsonl.bak: "
     "not a bulk checkpoint"),
]  # fmt: skip


@needs(NAME)
@pytest.mark.parametrize(("args", "message"), USAGE)
def test_usage_errors_exit_2_before_any_request(tmp_path, monkeypatch, capsys, args, message):
    monkeypatch.chdir(tmp_path)
    write_items(tmp_path / "edits.jsonl", 5)
    (tmp_path / "edits.jsonl.bak").write_bytes((tmp_path / "edits.jsonl").read_bytes())
    (tmp_path / "old.checkpoint").write_text("")
    header = {"bulk_checkpoint": 1, "operation": "profiles_mass_update", "call": "x"}
    (tmp_path / "other.checkpoint").write_text(json.dumps(header) + "\n")
    with FakeBatchServer(api_key=CANARY) as server:
        for name, value in environment(server).items():
            if name.startswith("BATCH_"):
                monkeypatch.setenv(name, value)
        code = cli.main([*COMMAND, *args])
    err = capsys.readouterr().err
    assert code == cli.EXIT_USAGE, err
    assert err.startswith("usage: batch-rest profiles bulk-update")
    assert message in err.splitlines()[-1]
    assert server.requests == []
    assert not (tmp_path / "r").exists()  # no rejects file made by a command that was refused
    assert (tmp_path / "other.checkpoint").read_text() == json.dumps(header) + "\n"


@needs(NAME)
def test_help_imports_neither_httpx_nor_the_bulk_code():
    result = subprocess.run([sys.executable, "-X", "importtime", "-m", "batch_rest", *COMMAND, "--help"],
                            capture_output=True, text=True, timeout=30, check=False)  # fmt: skip
    assert result.returncode == 0
    assert "--items @FILE|-" in result.stdout
    assert "7    some items were rejected" in result.stdout
    imported = {line.rpartition("|")[2].strip() for line in result.stderr.splitlines() if "|" in line}
    assert "batch_rest.cli" in imported
    assert not {name for name in imported if name.split(".")[0] in {"httpx", "httpcore", "h11", "anyio"}}
    assert not {"batch_rest._cli_bulk", "batch_rest._bulk", "batch_rest._bulk_io"} & imported


# -- Ctrl-C and SIGKILL, then --resume ------------------------------------------------------------------------------


def checkpoint_records(path: Path) -> int:
    try:
        return max(0, len(path.read_bytes().splitlines()) - 1)
    except FileNotFoundError:
        return 0


def start(args: list[str], server: FakeBatchServer, cwd: Path) -> subprocess.Popen[bytes]:
    return subprocess.Popen([sys.executable, "-c", SIGINT_BOOT, *args], cwd=cwd, env=environment(server),
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)  # fmt: skip


def wait_for_records(path: Path, count: int, process: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 30
    while checkpoint_records(path) < count:
        assert process.poll() is None, process.communicate()
        assert time.monotonic() < deadline
        time.sleep(0.01)


CHUNK, IN_FLIGHT, COUNT = 20, 2, 1200


@needs(NAME)
@pytest.mark.parametrize("how", ["SIGINT", "SIGKILL", "SIGKILL twice"])
def test_interrupted_mid_run_then_resumed_every_line_arrives_and_only_chunks_in_flight_go_twice(tmp_path, how):
    lines = write_items(tmp_path / "edits.jsonl", COUNT, BAD)
    checkpoint = tmp_path / "run.checkpoint"
    args = [*COMMAND, "--items", "@edits.jsonl", "--rejects", "rejects.jsonl", "--checkpoint", checkpoint.name,
            "--chunk-size", str(CHUNK), "--max-in-flight", str(IN_FLIGHT), *FAST]  # fmt: skip
    interruptions = 2 if how == "SIGKILL twice" else 1
    with FakeBatchServer(api_key=CANARY, latency=0.05) as server:  # slow enough to stop mid-run: 1.5 s a run
        process = start(args, server, tmp_path)
        wait_for_records(checkpoint, 8, process)
        if how == "SIGINT":
            process.send_signal(signal.SIGINT)
            _, stderr = process.communicate(timeout=30)
            assert process.returncode == cli.EXIT_INTERRUPTED, stderr
            text = stderr.decode()
            check_output(text)
            assert text.splitlines()[0].startswith("batch-rest: interrupted after ")
            hint = text.split("to resume: ", 1)[1].splitlines()[0]
            assert shlex.split(hint)[1:] == [*args, "--resume"]
        else:
            process.kill()
            process.communicate(timeout=30)
            if interruptions == 2:
                process = start([*args, "--resume"], server, tmp_path)
                wait_for_records(checkpoint, checkpoint_records(checkpoint) + 8, process)
                process.kill()
                process.communicate(timeout=30)
        before = sum(arrivals(server).values())
        assert 0 < before < COUNT - len(BAD)  # stopped mid-run
        resumed = run(*args, "--resume", server=server, cwd=tmp_path)
    assert resumed.returncode == cli.EXIT_REJECTED, resumed.stderr  # the bad lines
    assert re.search(r"; [\d,]+ skipped, already accounted for \(\d rejected, 0 unknown\)", resumed.stderr)
    arrived = arrivals(server)
    good = {key(line) for n, line in enumerate(lines) if n not in BAD}
    assert set(arrived) == good  # every line arrived, nothing else did
    assert sum(count - 1 for count in arrived.values()) <= interruptions * IN_FLIGHT * CHUNK  # only those in flight
    # The rejects file holds each bad line once, whichever run rejected it, and its errors beside it.
    assert (tmp_path / "rejects.jsonl").read_bytes() == b"".join(BAD[n] + b"\n" for n in sorted(BAD))
    found = entries(tmp_path / "rejects.jsonl.errors")
    assert sorted(e["line"] for e in found) == [n + 1 for n in sorted(BAD)]


# -- the library hook the CLI's rejects rely on ---------------------------------------------------------------------


@needs(NAME)
def test_on_progress_gets_each_failure_once_before_the_checkpoint_records_it(tmp_path):
    checkpoint = tmp_path / "run.checkpoint"
    items: list[Any] = [json.loads(edit(n)) for n in range(300)]
    for n in (5, 250):
        items[n] = {"identifiers": {"custom_id": n}}
    seen: list[tuple[int, bool]] = []

    def on_progress(progress: batch_rest.BulkProgress) -> None:
        settled = parse(checkpoint.read_bytes()).settled
        seen.extend((failure.start, any(a <= failure.start < b for a, b in settled)) for failure in progress.failures)

    with FakeBatchServer() as server:
        server.inject(Fault.server_error(), operation=NAME)
        with batch_rest.BatchClient(server.api_key, server.project_key, base_url=server.url) as client:
            result = client.profiles.bulk_update(items, chunk_size=100, max_in_flight=1, items_per_second=1e9,
                                                 on_progress=on_progress, checkpoint=checkpoint)  # fmt: skip
    assert sorted(start for start, _ in seen) == sorted(f.start for f in result.failures) == [0, 5, 250]
    assert not any(recorded for _, recorded in seen)  # not yet in the checkpoint when on_progress saw it
    text = checkpoint.read_text()
    assert '["r",[[5,6]]]' in text
    assert '["u",[[0,5],[6,101]]]' in text  # the first chunk, without 5 (rejected alone when read)


# -- the progress line on a terminal -------------------------------------------------------------------------------


COLUMNS, ROWS = 200, 40


def run_on_terminal(args: list[str], server: FakeBatchServer, cwd: Path) -> tuple[int, bytes, list[str]]:
    """The CLI with stdin, stdout and stderr on one pseudo-terminal: its exit status, what it wrote, the screen."""
    leader, follower = pty.openpty()
    fcntl.ioctl(follower, termios.TIOCSWINSZ, struct.pack("HHHH", ROWS, COLUMNS, 0, 0))
    env = environment(server, TERM="xterm", COLUMNS=str(COLUMNS))
    process = subprocess.Popen([sys.executable, "-m", "batch_rest", *args], stdin=follower, stdout=follower,
                               stderr=follower, env=env, cwd=cwd, close_fds=True)  # fmt: skip
    os.close(follower)
    screen = pyte.Screen(COLUMNS, ROWS)
    stream, raw = pyte.ByteStream(screen), bytearray()
    deadline = time.monotonic() + 60
    try:
        while time.monotonic() < deadline:
            if not select.select([leader], [], [], 0.1)[0]:
                if process.poll() is not None and not select.select([leader], [], [], 0.2)[0]:
                    break
                continue
            try:
                chunk = os.read(leader, 65536)
            except OSError:  # EIO: the terminal is closed
                break
            if not chunk:
                break
            raw += chunk
            stream.feed(chunk)
        returncode = process.wait(timeout=10)
    finally:
        os.close(leader)
        if process.poll() is None:
            process.kill()
            process.wait()
    check_output(raw.decode("utf-8", "replace"))
    lines = [line.rstrip() for line in screen.display]
    return returncode, bytes(raw), [line for line in lines if line]


@needs(NAME)
def test_on_a_terminal_progress_is_drawn_in_place_and_the_summary_stays(tmp_path):
    write_items(tmp_path / "edits.jsonl", 900, {10: b"nope"})
    # The server takes 1,500 edits a second and the client is told 5,000: 429s, shown as they happen.
    limits = {NAME: RateLimit(items_per_second=1500, items_burst=200)}
    with FakeBatchServer(api_key=CANARY, limits=limits) as server:
        code, raw, screen = run_on_terminal(
            [*COMMAND, "--items", "@edits.jsonl", "--chunk-size", "50", "--items-per-second", "5000"], server, tmp_path
        )
    assert code == cli.EXIT_REJECTED, screen
    # What follows each `\r\x1b[K` (erase the line): a status, or a permanent line (ending with a newline).
    progress = [part.decode() for part in raw.split(b"\r\x1b[K")[1:] if part and b"\n" not in part]
    assert progress, raw
    pattern = re.compile(r"^[\d,]+/~?[\d,]+ items \(\d+ %\), [\d,]+ items/s(, ETA [\w ]+)?, \d+ rejected, "
                         r"\d+ unknown, 429s: \d+$")  # fmt: skip
    assert all(pattern.match(text) for text in progress), progress
    assert any(not text.split("429s: ")[1].startswith("0") for text in progress)  # the 429s are counted
    assert "/~" in progress[0]  # the total, estimated from the file's size until it is all read
    # What stays on the screen: the rejected line, then the summary; the progress line was erased.
    assert screen[0] == "batch-rest: line 11 rejected: not JSON: Expecting value: line 1 column 1 (char 0)"
    assert screen[1].startswith("900 items in "), screen
    assert "899 accepted, 1 rejected, 0 unknown; 429s: " in screen[1]
    assert len(screen) == 2, screen


@needs(NAME)
def test_the_commands_are_built_from_the_operations_data():
    chunkable = sorted(name for name, facts in _seam.OPERATIONS.items() if facts["bulk"])
    parser = cli._parser()
    resources = parser._subparsers._group_actions[0].choices  # type: ignore[union-attr]
    for name in chunkable:
        facts = _seam.OPERATIONS[name]
        actions = resources[facts["resource"]]._subparsers._group_actions[0].choices
        command = actions[f"bulk-{facts['action']}"]
        assert command.get_default("operation") == name
        options = {s for action in command._actions for s in action.option_strings}
        assert {"--items", "--rejects", "--checkpoint", "--resume", "--chunk-size", "--max-in-flight",
                "--items-per-second", "--requests-per-second", "--idempotent"} <= options  # fmt: skip
        assert ("--body" in options) == (facts["bulk"]["array"] is not None)
    not_chunkable = [n for n, f in _seam.OPERATIONS.items() if not f["bulk"]]
    for name in not_chunkable:
        facts = _seam.OPERATIONS[name]
        actions = resources[facts["resource"]]._subparsers._group_actions[0].choices
        assert f"bulk-{facts['action']}" not in actions
