"""A bulk call's checkpoint (batch_rest._bulk_checkpoint): its lines, a torn last line, a wrong resume refused."""

from __future__ import annotations

import json
import os
import stat

import pytest

from batch_rest._bulk_checkpoint import (
    CheckpointFile,
    call_fingerprint,
    header_line,
    parse,
    ranges,
    record_line,
)

HEADER = header_line("profiles_update", "f" * 64)


def test_indices_are_written_as_ranges():
    assert ranges([0, 1, 2, 5, 7, 8]) == [[0, 3], [5, 6], [7, 9]]
    assert ranges([]) == []
    assert ranges(range(3, 7)) == ranges(list(range(3, 7))) == [[3, 7]]  # a range (the core's accepted chunks)
    assert ranges(range(5, 5)) == []
    assert record_line("a", [3, 4, 5, 9]) == b'["a",[[3,6],[9,10]]]\n'


def test_records_are_read_back_merged():
    data = HEADER + record_line("a", range(0, 200)) + record_line("u", range(400, 600)) + record_line("r", [200])
    data += record_line("a", range(201, 400))
    parsed = parse(data)
    assert parsed.header == {"bulk_checkpoint": 1, "operation": "profiles_update", "call": "f" * 64}
    assert parsed.settled == ((0, 600),)
    assert dict(parsed.counts) == {"a": 399, "r": 1, "u": 200}
    assert parsed.length == len(data)


def test_a_torn_last_line_is_ignored():
    whole = HEADER + record_line("a", range(10))
    for cut in range(1, len(record_line("a", range(10, 20)))):
        data = whole + record_line("a", range(10, 20))[:cut]  # killed in the middle of a write
        parsed = parse(data)
        assert (parsed.settled, parsed.length) == (((0, 10),), len(whole)), cut


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b'{"something": "else"}\n', "not a bulk checkpoint of this client"),
        (b"hello\n", "line 1 is not JSON"),
        (HEADER + b'["a", [[0, 10]]]\nnot json\n["a", [[10, 20]]]\n', "line 3 is not JSON"),
        (HEADER + b'["x", [[0, 10]]]\n', "line 2 is not a checkpoint record"),
        (HEADER + b'["a", [[10, 0]]]\n', "line 2 is not a checkpoint record"),
        (HEADER + b'["a", [[0, 1.5]]]\n', "line 2 is not a checkpoint record"),
    ],
)
def test_a_damaged_checkpoint_is_refused(data, message):
    with pytest.raises(ValueError, match=message):
        parse(data)


def test_a_new_checkpoint_gets_its_header_and_appends_whole_lines(tmp_path):
    path = tmp_path / "run.checkpoint"
    checkpoint = CheckpointFile(path, "profiles_update", "f" * 64)
    assert checkpoint.settled == ()
    checkpoint.append([("a", list(range(10))), ("r", [10])])
    checkpoint.close()
    assert path.read_bytes() == HEADER + record_line("a", range(10)) + record_line("r", [10])
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600  # it may hold nothing secret, but it is the user's


def test_resuming_reads_what_is_settled_and_drops_a_torn_line(tmp_path):
    path = tmp_path / "run.checkpoint"
    path.write_bytes(HEADER + record_line("a", range(10)) + b'["a",[[10,2')
    checkpoint = CheckpointFile(path, "profiles_update", "f" * 64)
    assert checkpoint.settled == ((0, 10),)
    checkpoint.append([("u", list(range(10, 20)))])
    checkpoint.close()
    assert parse(path.read_bytes()).settled == ((0, 20),)  # the torn line is gone, not glued to the next record


def test_a_checkpoint_of_another_call_is_refused(tmp_path):
    path = tmp_path / "run.checkpoint"
    CheckpointFile(path, "profiles_update", call_fingerprint("profiles_update", {"body": None})).close()
    before = path.read_bytes()
    with pytest.raises(ValueError, match="written by another call"):
        CheckpointFile(path, "profiles_mass_update", call_fingerprint("profiles_mass_update", {"body": None}))
    other = call_fingerprint("profiles_update", {"body": {"name": "other"}})
    with pytest.raises(ValueError, match="written by another call"):
        CheckpointFile(path, "profiles_update", other)
    assert path.read_bytes() == before


def test_a_header_torn_by_a_kill_is_written_again(tmp_path):
    path = tmp_path / "run.checkpoint"
    path.write_bytes(HEADER[:10])
    CheckpointFile(path, "profiles_update", "f" * 64).close()
    assert path.read_bytes() == HEADER


def test_the_fingerprint_depends_on_the_call_only():
    body = {"name": "shop", "nested": {"b": 1, "a": [1, 2]}}
    same = json.loads(json.dumps(body))
    assert call_fingerprint("x", {"body": body}) == call_fingerprint("x", {"body": same})
    assert call_fingerprint("x", {"body": body}) != call_fingerprint("x", {"body": {**body, "name": "shop2"}})
    assert call_fingerprint("x", {"body": body}) != call_fingerprint("y", {"body": body})


def test_a_checkpoint_must_be_a_path():
    with pytest.raises(TypeError, match="checkpoint must be a file path"):
        CheckpointFile(3, "profiles_update", "f")  # type: ignore[arg-type]
