"""A bulk call's checkpoint: which input indices are accounted for, so that the same call resumes where it stood.

One JSON document a line, appended, never rewritten:

    {"bulk_checkpoint": 1, "operation": "profiles_update", "call": "<sha256 of the body= and params>"}
    ["a", [[0, 200], [201, 400]]]        accepted: input indices 0-199 and 201-399 ([start, stop) ranges)
    ["r", [[200, 201]]]                  rejected for its own content (a failed check, a 400...): resending won't help
    ["u", [[400, 600]]]                  unknown: may have been applied, so never sent again blindly

Items rejected because of the run as a whole (a 401, the server unavailable through the retries) are not recorded:
a resumed run sends them again, like those that were in flight. Each line goes to the file in one write() as soon
as its chunk is settled, so a SIGKILL leaves at most a torn last line, which reading ignores (and truncates before
appending). The header ties the file to the operation and to the call's other arguments: another call is refused.
"""

from __future__ import annotations

import enum
import hashlib
import json
import os
from collections.abc import Iterable, Mapping
from typing import Any

from attrs import frozen

FORMAT = "bulk_checkpoint"
VERSION = 1
LETTERS = frozenset({"a", "r", "u"})


def call_fingerprint(operation: str, args: Mapping[str, object]) -> str:
    """What ties a checkpoint to a call: the operation's other arguments (body= fields, parameters)."""

    def plain(value: object) -> object:
        return value.value if isinstance(value, enum.Enum) else str(value)

    text = json.dumps({"operation": operation, "args": args}, sort_keys=True, default=plain, ensure_ascii=False)
    return hashlib.sha256(text.encode()).hexdigest()


def ranges(indices: Iterable[int]) -> list[list[int]]:
    """Increasing indices as [start, stop) ranges: [0, 1, 2, 5] -> [[0, 3], [5, 6]]."""
    if isinstance(indices, range) and indices.step == 1:  # an accepted chunk's, as the core keeps them: not walked
        return [[indices.start, indices.stop]] if indices else []
    found: list[list[int]] = []
    for index in indices:
        if found and found[-1][1] == index:
            found[-1][1] += 1
        else:
            found.append([index, index + 1])
    return found


def record_line(letter: str, indices: Iterable[int]) -> bytes:
    return (json.dumps([letter, ranges(indices)], separators=(",", ":")) + "\n").encode()


def header_line(operation: str, fingerprint: str) -> bytes:
    header = {FORMAT: VERSION, "operation": operation, "call": fingerprint}
    return (json.dumps(header) + "\n").encode()


@frozen
class Parsed:
    header: dict[str, Any] | None
    settled: tuple[tuple[int, int], ...]  # merged [start, stop) ranges
    counts: Mapping[str, int]  # items per letter
    ranges: Mapping[str, tuple[tuple[int, int], ...]]  # merged [start, stop) ranges per letter
    length: int  # bytes up to the end of the last complete line


def parse(data: bytes, where: str = "checkpoint") -> Parsed:
    """A checkpoint's content. A torn last line (no newline: the writer was killed) is ignored; any other line
    that does not read is ValueError, as is a file that is not a checkpoint."""
    complete = data[: data.rfind(b"\n") + 1]
    header, counts = None, dict.fromkeys(sorted(LETTERS), 0)
    by_letter: dict[str, list[tuple[int, int]]] = {letter: [] for letter in sorted(LETTERS)}
    for number, line in enumerate(complete.splitlines(), start=1):
        try:
            value = json.loads(line)
        except ValueError:
            raise ValueError(f"{where}: line {number} is not JSON: not a bulk checkpoint, or damaged") from None
        if number == 1:
            if not isinstance(value, dict) or value.get(FORMAT) != VERSION:
                raise ValueError(f"{where}: not a bulk checkpoint of this client (format {FORMAT} {VERSION})")
            header = value
            continue
        if not _is_record(value):
            raise ValueError(f"{where}: line {number} is not a checkpoint record: {line[:80]!r}")
        for start, stop in value[1]:
            by_letter[value[0]].append((start, stop))
            counts[value[0]] += stop - start
    ranges = {letter: tuple(_merged(spans)) for letter, spans in by_letter.items()}
    settled = _merged([span for spans in ranges.values() for span in spans])
    return Parsed(header, tuple(settled), counts, ranges, len(complete))


def _is_record(value: object) -> bool:
    return (
        isinstance(value, list)
        and len(value) == 2
        and value[0] in LETTERS
        and isinstance(value[1], list)
        and all(
            isinstance(r, list) and len(r) == 2 and all(type(i) is int for i in r) and 0 <= r[0] < r[1]
            for r in value[1]
        )
    )


def _merged(found: list[tuple[int, int]]) -> list[tuple[int, int]]:
    merged: list[tuple[int, int]] = []
    for start, stop in sorted(found):
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], stop))
        else:
            merged.append((start, stop))
    return merged


class CheckpointFile:
    """The checkpoint of one call, open for appending. `settled`: the ranges it already accounts for."""

    def __init__(self, path: str | os.PathLike[str], operation: str, fingerprint: str) -> None:
        if not isinstance(path, str | os.PathLike):
            raise TypeError(f"checkpoint must be a file path, not {type(path).__name__}")
        self.path = os.fspath(path)
        self._fd = os.open(self.path, os.O_RDWR | os.O_CREAT | os.O_APPEND, 0o600)
        try:
            with open(self._fd, "rb", closefd=False) as file:
                parsed = parse(file.read(), f"checkpoint {self.path}")
            if parsed.header is None:
                os.ftruncate(self._fd, 0)
                os.write(self._fd, header_line(operation, fingerprint))
            elif (parsed.header.get("operation"), parsed.header.get("call")) != (operation, fingerprint):
                raise ValueError(
                    f"checkpoint {self.path} was written by another call ({parsed.header.get('operation')}, other "
                    "body= or parameters): resume with the same call, or use another checkpoint file"
                )
            else:
                os.ftruncate(self._fd, parsed.length)  # a torn last line goes: the next record starts a line
        except BaseException:
            os.close(self._fd)
            raise
        self.settled = parsed.settled

    def append(self, records: Iterable[tuple[str, Iterable[int]]]) -> None:
        data = b"".join(record_line(letter, indices) for letter, indices in records)
        while data:  # one write() in practice: a kill leaves whole lines and at most one torn one
            data = data[os.write(self._fd, data) :]

    def close(self) -> None:
        if self._fd >= 0:
            os.close(self._fd)
            self._fd = -1
