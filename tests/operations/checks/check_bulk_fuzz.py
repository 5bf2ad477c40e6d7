"""Fuzz the bulk calls of every chunkable operation: whatever the server answers, each item read ends in exactly
one outcome, what may have been applied is never sent again (unless idempotent=True), and nothing but a
BulkResult comes out: no exception, no hang.

Each example draws an operation, items (some invalid), the call's options, and a script of answers (any status,
the documented ones more often; a valid, empty, garbage or wrong-shaped body; odd Retry-After values; transport
exceptions). A chunk's answers depend on the chunk (its first item, how often it was sent), not on the order
requests arrive in, so that an example replays the same. MockTransport on a fake clock: nothing sleeps.
"""

from __future__ import annotations

import asyncio
import json
import threading
from typing import Any

import httpx
import pytest
from _bulk_support import (
    BODIES,
    BULK,
    FakeTime,
    any_bulk,
    bad_item,
    bulk_method,
    check_accounted,
    client,
    item,
    key,
)
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from batch_rest import _seam
from batch_rest.testing._samples import Samples

SAMPLES = Samples(_seam.document(), seed=3)
NOT_SENT = [httpx.ConnectError("refused"), httpx.ConnectTimeout("connect"), httpx.PoolTimeout("pool")]
SENT = [httpx.ReadTimeout("slow"), httpx.RemoteProtocolError("dropped"), httpx.ReadError("reset"),
        httpx.WriteError("pipe"), httpx.DecodingError("bad gzip")]  # fmt: skip
STATUSES = st.one_of(
    st.sampled_from([200, 202, 204, 400, 401, 403, 404, 409, 429, 429, 500, 502, 503, 503, 504, 520]),
    st.integers(100, 599),
)
BODY_KINDS = st.sampled_from(["valid", "valid", "empty", "garbage", "list", "error"])
RETRY_AFTER = st.sampled_from([None, None, "0", "1", "-5", "soon", "99999"])
ANSWERS = st.one_of(
    st.tuples(st.just("status"), STATUSES, BODY_KINDS, RETRY_AFTER),
    st.tuples(st.just("raise"), st.sampled_from(NOT_SENT + SENT)),
)


def response(name: str, status: int, body: str, retry_after: str | None) -> httpx.Response:
    headers = {"Retry-After": retry_after} if retry_after is not None else {}
    documented = min(int(s) for s in _seam.OPERATIONS[name]["results"])
    schema = _seam.OPERATIONS[name]["results"][str(documented)]["schema"]
    content = {
        "valid": json.dumps(SAMPLES.value(schema)).encode() if schema else b"",
        "empty": b"",
        "garbage": b"<html>\xff",
        "list": b"[1, 2]",
        "error": b'{"error_code": "X", "error_message": "no"}',
    }[body]
    return httpx.Response(status, content=content, headers={**headers, "Content-Type": "application/json"})


def maybe_applied(answer: tuple[Any, ...]) -> bool:
    """Whether the server may have acted on a request so answered (the single-call rule's view)."""
    if answer[0] == "raise":
        return answer[1] in SENT
    status = answer[1]
    return not (400 <= status < 500 or status == 503)


@any_bulk
@pytest.mark.timeout(600)
@settings(max_examples=1000, deadline=None, suppress_health_check=list(HealthCheck))
@given(data=st.data())
def test_each_item_ends_in_exactly_one_outcome(kind, data):
    name = data.draw(st.sampled_from(BULK), label="operation")
    bad = data.draw(st.lists(st.booleans(), max_size=40), label="invalid items")
    items = [{**bad_item(name)[0], "n": n} if invalid else item(name, n) for n, invalid in enumerate(bad)]
    answers = data.draw(st.lists(ANSWERS, min_size=1, max_size=6), label="answers")
    options = {
        "chunk_size": data.draw(st.integers(1, 8), label="chunk_size"),
        "max_in_flight": data.draw(st.integers(1, 4), label="max_in_flight"),
        "idempotent": data.draw(st.booleans(), label="idempotent"),
        "max_retries": data.draw(st.integers(0, 3), label="max_retries"),
        "items_per_second": data.draw(st.sampled_from([None, 50.0, 1e9]), label="items_per_second"),
    }
    if name in BODIES:
        options["body"] = BODIES[name]

    lock, sent_to, log = threading.Lock(), {}, []

    def handler(request: httpx.Request) -> httpx.Response:
        body = json.loads(request.content)
        array = _seam.OPERATIONS[name]["bulk"]["array"]
        chunk = body if array is None else body[array]
        with lock:
            first = key(chunk[0])
            times = sent_to.get(first, 0)
            sent_to[first] = times + 1
            answer = answers[(len(first) + times) % len(answers)]
            log.append(([key(i) for i in chunk], answer))
        if answer[0] == "raise":
            raise answer[1]
        return response(name, *answer[1:])

    made = client(kind, handler, FakeTime())  # type: ignore[arg-type]
    method = bulk_method(made, name)
    result = method(items, **options) if kind == "sync" else asyncio.run(method(items, **options))

    read = len(items) if result.stopped is None else result.read  # a stopped run leaves the rest unread
    assert read <= len(items)
    check_accounted(result, read)
    assert not [n for n in range(read, len(items)) if key(items[n]) in {k for c, _ in log for k in c}]
    outcome = {key(i): f.outcome for f in result.failures for i in f.items}
    assert len(outcome) == result.rejected + result.unknown  # items are unique: no item in two failures
    history: dict[str, list[tuple[Any, ...]]] = {}
    for chunk_items, answer in log:
        for k in chunk_items:
            history.setdefault(k, []).append(answer)
    for n, value in enumerate(items[:read]):
        k = key(value)
        answered = history.get(k, [])
        if bad[n]:
            assert not answered
            assert outcome[k] == "rejected"
            continue
        applied = [a for a in answered if maybe_applied(a)]
        if k not in outcome:  # accepted: its last answer was a success, and nothing followed it
            assert answered, k
            assert answered[-1][0] == "status", answered
            assert 200 <= answered[-1][1] < 300, answered
        elif outcome[k] == "unknown":
            assert answered[-1] in applied, answered
        else:
            assert not [a for a in answered if a[0] == "status" and 200 <= a[1] < 300], answered
        if not options["idempotent"]:
            assert len(applied) <= 1, answered
            assert not applied or answered[-1] == applied[0], answered
