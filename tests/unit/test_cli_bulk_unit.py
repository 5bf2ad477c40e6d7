"""The pure parts of the bulk commands (batch_rest._cli_bulk), without a server or a chunkable operation: reading
JSON lines, the rejects files and their rebuilding on --resume, the progress and summary lines, exit codes.

The commands themselves run against packages regenerated with chunkable fixture operations:
tests/operations/checks/check_cli_bulk.py."""

import io
import json

import pytest

from batch_rest import _cli_bulk as bulk
from batch_rest import _cli_output as output
from batch_rest import cli, errors
from batch_rest._bulk import BulkFailure, BulkProgress, BulkResult

URL = "https://api.batch.com/2.11/profiles/update"


def read(data: bytes, size=None, **hooks):
    reader = bulk.Reader(io.BytesIO(data), size, **hooks)
    return reader, list(reader)


# -- reading ----------------------------------------------------------------------------------------------------


def test_each_line_is_an_item_with_its_line_number_position_and_text():
    data = b'{"a": 1}\n\n   \n{"b": [2]}\r\n{"c": 3}'  # blank lines, a CRLF, no newline at the end
    reader, items = read(data)
    assert items == [{"a": 1}, {"b": [2]}, {"c": 3}]
    assert all(isinstance(item, bulk.Line) for item in items)
    assert [item.number for item in items] == [1, 4, 5]  # blank lines are skipped but keep the numbering
    assert [item.position for item in items] == [0, 1, 2]  # what the client and its checkpoint count
    assert [item.text for item in items] == [b'{"a": 1}', b'{"b": [2]}\r', b'{"c": 3}']  # exactly as read
    assert (reader.lines, reader.items, reader.bytes_read, reader.ended) == (5, 3, len(data), True)


@pytest.mark.parametrize(
    ("line", "reason"),
    [
        (b"{not json", "not JSON: "),
        (b'{"a": 1} x', "not JSON: Extra data"),
        (b"[1, 2]", "not a JSON object but an array"),
        (b'"text"', "not a JSON object but a string"),
        (b"12", "not a JSON object but a number"),
        (b"null", "not a JSON object but null"),
        (b"true", "not a JSON object but true"),
        (b'{"a": "\xff"}', "not JSON: "),  # not UTF-8
    ],
)
def test_a_line_that_is_not_a_json_object_is_handed_over_as_its_text_with_a_reason(line, reason):
    _, (first, bad, last) = read(b'{"a": 1}\n' + line + b'\n{"a": 2}\n')
    assert isinstance(bad, bulk.BadLine)
    assert isinstance(bad, str)  # what the client takes and rejects alone (a TypeError): neither dict nor model
    assert not isinstance(bad, dict)
    assert bad.reason.startswith(reason)
    assert (bad.number, bad.position, bad.text) == (2, 1, line)
    assert (first, last) == ({"a": 1}, {"a": 2})


def test_a_byte_order_mark_is_no_error():
    _, items = read(b'\xef\xbb\xbf{"a": 1}\n{"a": 2}\n')
    assert items == [{"a": 1}, {"a": 2}]
    assert items[0].text == b'\xef\xbb\xbf{"a": 1}'  # kept as read


def test_the_total_is_estimated_from_the_share_of_the_file_read_then_exact():
    line = b'{"identifiers": {"custom_id": "u-0000"}}\n'
    data = line * 1000
    reader = bulk.Reader(io.BytesIO(data), len(data))
    assert reader.total() == (None, False)  # nothing read yet
    items = iter(reader)
    for _ in range(250):
        next(items)
    total, exact = reader.total()
    assert not exact
    assert 990 <= total <= 1010  # the buffered reader reads ahead, the estimate counts lines handed over
    assert list(items)
    assert reader.total() == (1000, True)
    piped = bulk.Reader(io.BytesIO(data), None)  # a pipe has no size
    next(iter(piped))
    assert piped.total() == (None, False)


def test_the_reader_starts_its_hooks_only_when_the_client_reads():
    calls = []
    reader = bulk.Reader(io.BytesIO(b'{"a": 1}\n\n{"a": 2}\n'), None, on_start=lambda: calls.append("start"),
                         on_item=lambda item: calls.append(item.number))  # fmt: skip
    assert calls == []
    assert not reader.started
    list(reader)
    assert calls == ["start", 1, 3]


# -- failures -----------------------------------------------------------------------------------------------------


def line_item(number, position, value=None, text=None):
    value = {"n": number} if value is None else value
    raw = text if text is not None else json.dumps(value).encode()
    return bulk.parse_line(raw + b"\n", number, position)


def api_error(cls, status, **fields):
    return cls(status_code=status, method="POST", url=URL, headers={}, **fields)


def test_error_texts_say_what_is_wrong_without_the_clients_item_index():
    item = line_item(18, 16)
    check = TypeError("items[16].identifiers.custom_id: must be string, got a number (7)")
    assert bulk.error_text(check, item) == "identifiers.custom_id: must be string, got a number (7)"
    missing = ValueError("items[16]: the required property 'identifiers' is missing")
    assert bulk.error_text(missing, item) == "the required property 'identifiers' is missing"
    server = api_error(errors.ServerError, 500, error_code="ERR", error_message="went\nwrong")
    assert bulk.error_text(server, item) == f"ServerError: 500 from POST {URL} - ERR: went wrong"
    bad = line_item(3, 2, text=b"nope")
    assert bulk.error_text(TypeError("items[2] must be EditProfile or a dict, not BadLine"), bad).startswith("not JSON")


def test_a_failure_on_stderr_names_its_lines():
    error = api_error(errors.ServerError, 500)
    one = BulkFailure(0, (line_item(1, 0),), error, "unknown")
    run = BulkFailure(3, tuple(line_item(n, n - 1) for n in range(4, 7)), error, "unknown")
    gaps = BulkFailure(3, (line_item(4, 3), line_item(7, 5)), error, "rejected")
    assert bulk.failure_line(one) == f"line 1 unknown: ServerError: 500 from POST {URL}"
    assert bulk.failure_line(run).startswith("lines 4-6 unknown: ServerError")
    assert bulk.failure_line(gaps).startswith("2 items of lines 4-7 rejected: ServerError")


def lines(path):
    return path.read_bytes().splitlines(keepends=True)


def entries(rejects):
    with open(rejects.errors_path, "rb") as file:
        return [json.loads(line) for line in file]


def test_rejects_write_each_item_as_read_and_its_entry_beside_it(tmp_path):
    path = tmp_path / "rejects.jsonl"
    path.write_text("an earlier run's\n")
    (tmp_path / "rejects.jsonl.errors").write_text("{}\n")
    rejects = bulk.Rejects(str(path))
    rejects.open()  # a new run: both files start empty
    bad = line_item(2, 1, text=b"{nope\r")
    odd = line_item(5, 4, text=b'{"a": "\xff"}')  # not UTF-8: kept byte for byte
    rejects.write([(line_item(1, 0), "rejected", "why"), (bad, "rejected", bad.reason)])
    rejects.write([(odd, "unknown", "ServerError: 500")])
    rejects.close()
    assert lines(path) == [b'{"n": 1}\n', b"{nope\r\n", b'{"a": "\xff"}\n']
    assert [(e["line"], e["index"], e["outcome"]) for e in entries(rejects)] == [
        (1, 0, "rejected"), (2, 1, "rejected"), (5, 4, "unknown")
    ]  # fmt: skip
    assert entries(rejects)[1]["error"].startswith("not JSON")
    assert [bulk._text_bytes(e["text"]) for e in entries(rejects)] == [line.rstrip(b"\n") for line in lines(path)]
    assert rejects.count == 3


def test_resuming_keeps_the_entries_of_the_items_the_checkpoint_accounts_for_once_each(tmp_path):
    path = tmp_path / "rejects.jsonl"
    first = bulk.Rejects(str(path))
    first.open()
    items = [line_item(n + 1, n) for n in range(8)]
    first.write([(items[0], "rejected", "a"), (items[2], "unknown", "b"), (items[5], "rejected", "stopped: 401")])
    first.write([(items[6], "rejected", "c"), (items[6], "rejected", "c again")])
    first.close()
    with open(first.errors_path, "ab") as torn:  # killed while writing its next entry
        torn.write(b'{"line": 8, "index": 7, "outc')
    path.write_bytes(path.read_bytes() + b'{"n": 8')
    # The checkpoint has 0 rejected and 2 unknown (and 6 rejected, 7 too); 5 was rejected because the run stopped,
    # which a checkpoint does not record (it is sent again); 7's entry is torn; 3 is accepted.
    failed = {"r": [(0, 1), (6, 8)], "u": [(2, 3)]}
    again = bulk.Rejects(str(path), failed=failed)
    again.open()
    assert [(e["index"], e["error"]) for e in entries(again)] == [(0, "a"), (2, "b"), (6, "c")]
    assert lines(path) == [b'{"n": 1}\n', b'{"n": 3}\n', b'{"n": 7}\n']
    assert again.count == 3
    for item in items:  # the resumed run reads the input again: 7 is the checkpoint's, with no entry
        again.recover(item)
    again.close()
    recovered = entries(again)[3:]
    assert [(e["index"], e["outcome"]) for e in recovered] == [(7, "rejected")]
    assert recovered[0]["error"] == bulk.NOT_RECORDED.format(outcome="rejected")
    assert lines(path)[3:] == [b'{"n": 8}\n']


def test_a_crash_between_the_rebuilt_files_is_repaired_by_the_next_resume(tmp_path):
    path = tmp_path / "rejects.jsonl"
    first = bulk.Rejects(str(path))
    first.open()
    first.write([(line_item(1, 0), "rejected", "a"), (line_item(2, 1), "rejected", "b")])
    first.close()
    failed = {"r": [(1, 2)]}
    rebuilt = bulk.Rejects(str(path), failed=failed)
    rebuilt.open()
    rebuilt.close()
    path.write_bytes(b'{"n": 1}\n{"n": 2}\n')  # as if killed after FILE.errors was replaced, before FILE
    again = bulk.Rejects(str(path), failed=failed)
    again.open()
    again.close()
    assert lines(path) == [b'{"n": 2}\n']
    assert [e["index"] for e in entries(again)] == [1]


def test_resuming_without_an_errors_file_recovers_every_failed_item_from_the_input(tmp_path):
    rejects = bulk.Rejects(str(tmp_path / "rejects.jsonl"), failed={"u": [(1, 3)]})
    rejects.open()
    for number in range(1, 5):
        rejects.recover(line_item(number, number - 1))
    rejects.close()
    assert [(e["line"], e["outcome"]) for e in entries(rejects)] == [(2, "unknown"), (3, "unknown")]


def test_a_damaged_errors_file_stops_a_resume_with_exit_3(tmp_path):
    path = tmp_path / "rejects.jsonl"
    (tmp_path / "rejects.jsonl.errors").write_text('{"line": 1, "index": 0, "text": "{}"}\nnot an entry\n')
    with pytest.raises(cli._Failure) as failure:
        bulk.Rejects(str(path), failed={"r": [(0, 1)]}).open()
    assert failure.value.code == cli.EXIT_CONFIG
    assert "line 2" in failure.value.message


def test_a_rejects_file_that_cannot_be_written_exits_3(tmp_path):
    with pytest.raises(cli._Failure) as failure:
        bulk.Rejects(str(tmp_path / "missing" / "rejects.jsonl")).open()
    assert failure.value.code == cli.EXIT_CONFIG
    assert "--rejects" in failure.value.message


# -- progress, summary, exit codes --------------------------------------------------------------------------------


def progress(*, accepted=0, rejected=0, unknown=0, skipped=0, rate=0.0, rate_limited=0, failures=()):
    done = accepted + rejected + unknown + skipped
    return BulkProgress(read=done, accepted=accepted, rejected=rejected, unknown=unknown, skipped=skipped,
                        in_flight=0, rate=rate, rate_limited=rate_limited, requests=0, elapsed=1.0,
                        failures=failures)  # fmt: skip


def test_the_progress_line_shows_done_total_rate_eta_failures_and_429s():
    now = progress(accepted=11_990, rejected=8, unknown=2, rate_limited=3)
    assert bulk.progress_text(now, 20_000, False, 300.0) == (
        "12,000/~20,000 items (60 %), 300 items/s, ETA 27 s, 8 rejected, 2 unknown, 429s: 3"
    )
    assert bulk.progress_text(now, 20_000, True, 300.0).startswith("12,000/20,000 items (60 %)")
    assert bulk.progress_text(now, None, False, 300.0).startswith("12,000 items, 300 items/s, 8 rejected")  # a pipe
    assert "ETA" not in bulk.progress_text(progress(accepted=100), 1000, False, 0.0)  # stalled
    assert bulk.progress_text(progress(accepted=1200), 1000, False, 1.0).startswith("1,200/~1,200 items (100 %)")
    resumed = bulk.progress_text(progress(accepted=5, rejected=1, skipped=10), 20, True, 1.0, {"a": 7, "r": 2, "u": 1})
    assert resumed.endswith(", 3 rejected, 1 unknown, 429s: 0")  # the runs it resumes count too


@pytest.mark.parametrize(
    ("seconds", "text"), [(0.4, "0 s"), (59.4, "59 s"), (61, "1 min 01 s"), (3600 * 2 + 65, "2 h 01 min")]
)
def test_durations(seconds, text):
    assert bulk.duration(seconds) == text


def result(*, accepted=0, rejected=0, unknown=0, skipped=0, stopped=None, rate_limited=0):
    return BulkResult(accepted=accepted, rejected=rejected, unknown=unknown, failures=(), results=(),
                      skipped=skipped, stopped=stopped, rate_limited=rate_limited)  # fmt: skip


def test_the_summary_says_what_this_run_did_and_what_the_checkpoint_had_done():
    text = bulk.summary_text(result(accepted=990, rejected=8, unknown=2, rate_limited=4), 2.0)
    assert text == "1,000 items in 2.0 s (500 items/s): 990 accepted, 8 rejected, 2 unknown; 429s: 4"
    resumed = bulk.summary_text(result(accepted=10, skipped=990), 1.0, {"a": 980, "r": 7, "u": 3})
    assert resumed.endswith("; 990 skipped, already accounted for (7 rejected, 3 unknown)")
    assert bulk.summary_text(result(rejected=1), 1.0).startswith("1 item in 1.0 s (1 items/s): 0 accepted, 1 rejected")


@pytest.mark.parametrize(
    ("outcome", "earlier", "code"),
    [
        (result(accepted=10), None, 0),
        (result(accepted=10, skipped=5), {"a": 5, "r": 0, "u": 0}, 0),
        (result(accepted=9, rejected=1), None, cli.EXIT_REJECTED),
        (result(accepted=9, unknown=1), None, cli.EXIT_UNKNOWN),
        (result(accepted=8, rejected=1, unknown=1), None, cli.EXIT_UNKNOWN),
        (result(accepted=10, skipped=5), {"a": 4, "r": 1, "u": 0}, cli.EXIT_REJECTED),  # an earlier run's
        (result(accepted=10, skipped=5), {"a": 4, "r": 0, "u": 1}, cli.EXIT_UNKNOWN),
        (result(accepted=5, rejected=5, stopped=api_error(errors.AuthenticationError, 401)), None, cli.EXIT_API),
        (result(rejected=5, stopped=errors.BatchConnectionError(f"POST {URL} failed")), None, cli.EXIT_CONNECTION),
    ],
)
def test_exit_codes(outcome, earlier, code):
    assert bulk.exit_status(outcome, earlier) == code


def test_the_exit_codes_are_documented():
    bulk_codes = {int(line.split()[0]) for line in cli.BULK_EPILOG.splitlines()[1:]}
    assert bulk_codes == {0, cli.EXIT_USAGE, cli.EXIT_CONFIG, cli.EXIT_API, cli.EXIT_CONNECTION, cli.EXIT_REJECTED,
                          cli.EXIT_UNKNOWN, cli.EXIT_INTERRUPTED}  # fmt: skip
    codes = {int(line.split()[0]) for line in cli.EPILOG.splitlines()[1:]}
    has_bulk = any(facts["bulk"] for facts in cli._seam.OPERATIONS.values())
    assert ({cli.EXIT_REJECTED, cli.EXIT_UNKNOWN} <= codes) == has_bulk  # only where there are bulk commands


class Terminal(io.StringIO):
    def isatty(self):
        return True


def test_the_view_records_failures_as_they_come_and_redraws_at_most_ten_times_a_second(tmp_path):
    said, now = [], [0.0]
    stderr = Terminal()
    status = output.StatusLine(stderr, io.StringIO())
    reader = bulk.Reader(io.BytesIO(b""), None)
    rejects = bulk.Rejects(str(tmp_path / "rejects.jsonl"))
    rejects.open()
    view = bulk.View(reader, status, rejects, said.append, clock=lambda: now[0])
    failed = BulkFailure(1, (line_item(2, 1), line_item(3, 2)), api_error(errors.ServerError, 500), "unknown")
    view(progress(accepted=1, unknown=2, failures=(failed,)))
    now[0] = 0.05
    view(progress(accepted=2, unknown=2))  # too soon to redraw
    now[0] = 1.0
    view(progress(accepted=300, unknown=2))
    now[0] = 12.0
    view(progress(accepted=3600, unknown=2))
    rejects.close()
    assert [e["line"] for e in entries(rejects)] == [2, 3]
    assert said == []
    draws = stderr.getvalue().split("\r\x1b[K")[1:]
    assert [draw.split(", ")[:2] for draw in draws] == [
        ["3 items", "0 items/s"], ["302 items", "299 items/s"], ["3,602 items", "300 items/s"]
    ]  # done: accepted + unknown; the rate over the last 10 s (from 1.0 s on, at the end)  # fmt: skip

    to_stderr = bulk.View(reader, output.StatusLine(None, io.StringIO()), None, said.append)
    to_stderr(progress(unknown=2, failures=(failed,)))
    assert said == [bulk.failure_line(failed)]
