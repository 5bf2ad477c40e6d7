"""Bulk calls of every chunkable operation of the package under test, sync and async, over httpx.MockTransport on
a fake clock: chunks, per-item checks, what each answer means for its items, arguments refused before any request,
resuming from a checkpoint. The same against the fake server over loopback: check_bulk_server.py."""

from __future__ import annotations

import asyncio
import json
import pickle
import threading

import httpx
import pytest
from _bulk_support import (
    BODIES,
    BULK,
    OPERATIONS,
    FakeTime,
    Server,
    bad_item,
    check_accounted,
    client,
    each,
    error,
    item,
    key,
    result_model,
    run,
    success,
)
from conftest import KEY, needs

import batch_rest

pytestmark = pytest.mark.timeout(120)


def max_items(name: str) -> int:
    return int(OPERATIONS[name]["bulk"]["max_items"])


# -- which operations have bulk methods ---------------------------------------------------------------------


def test_exactly_the_chunkable_operations_have_bulk_methods_on_both_clients(kind):
    made = client(kind, Server("x"))
    for name, facts in OPERATIONS.items():
        resource = getattr(made, facts["resource"])
        method = f"bulk_{facts['action']}"
        assert hasattr(resource, method) == bool(facts["bulk"]), name
        assert not hasattr(resource.with_raw_response, method), name  # a bulk call is many responses


@needs("audiences_replace")
def test_audiences_replace_has_no_bulk_method():
    # Every call replaces the whole audience: splitting it would leave only the last chunk.
    assert OPERATIONS["audiences_replace"]["bulk"] is None
    for made in (client("sync", Server("x")), client("async", Server("x"))):
        assert callable(made.audiences.replace)
        assert not [name for name in dir(made.audiences) if name.startswith("bulk_replace")]


# -- chunks -------------------------------------------------------------------------------------------------


@each(BULK)
def test_every_item_is_sent_once_in_chunks_of_the_document_s_max_items(kind, name):
    count = max_items(name) + 3
    server, time = Server(name), FakeTime()
    result = run(kind, client(kind, server, time), name, (item(name, i) for i in range(count)), items_per_second=1e9)
    assert (result.accepted, result.rejected, result.unknown, result.requests) == (count, 0, 0, 2)
    assert sorted(len(items) for items, _, _ in server.calls) == [3, max_items(name)]
    assert server.arrived() == {key(item(name, i)): 1 for i in range(count)}
    assert all(rest == BODIES.get(name, {}) for _, _, rest in server.calls)  # body= repeated in every call
    assert len(result.results) == 2
    assert all(isinstance(r, result_model(name)) for r in result.results)
    check_accounted(result, count)
    assert result.ok


@each(BULK)
def test_chunk_size_makes_chunks_smaller(kind, name):
    server = Server(name)
    made = client(kind, server, FakeTime())
    result = run(kind, made, name, [item(name, i) for i in range(23)], chunk_size=5, async_input=True)
    assert sorted(len(items) for items, _, _ in server.calls) == [3, 5, 5, 5, 5]
    assert server.arrived() == {key(item(name, i)): 1 for i in range(23)}
    assert result.accepted == 23


@needs("profiles_update")
def test_results_come_in_input_order(kind):
    def decide(number, items):
        return httpx.Response(202, json={"code": items[0]["identifiers"]["custom_id"]})

    server = Server("profiles_update", decide)
    result = run(kind, client(kind, server, FakeTime()), "profiles_update",
                 [item("profiles_update", i) for i in range(50)], chunk_size=10, max_in_flight=4)  # fmt: skip
    assert [r.code for r in result.results] == [f"u-{i}" for i in range(0, 50, 10)]


@needs("profiles_update")
def test_models_and_dicts_mixed_and_bad_items_rejected_alone(kind):
    from batch_rest_generated.models import EditProfile, EditProfileIdentifiers

    name = "profiles_update"
    items: list[object] = [item(name, i) for i in range(30)]
    items[4] = EditProfile(identifiers=EditProfileIdentifiers(custom_id="model-4"))
    items[7] = {"identifiers": {"custom_id": 7}}
    items[11] = {"attributes": {}}
    items[12] = "not an edit"
    server = Server(name)
    result = run(kind, client(kind, server, FakeTime()), name, items, chunk_size=10)
    assert (result.accepted, result.rejected) == (27, 3)
    sent = [i for batch, _, _ in server.calls for i in batch]
    assert {"identifiers": {"custom_id": "model-4"}} in sent
    assert len(sent) == 27
    assert items[7] not in sent
    assert items[11] not in sent
    assert [(f.start, f.items, f.outcome) for f in result.failures] == [
        (7, (items[7],), "rejected"), (11, (items[11],), "rejected"), (12, ("not an edit",), "rejected")
    ]  # fmt: skip
    errors = [(type(f.error), str(f.error)) for f in result.failures]
    assert errors == [
        (TypeError, "items[7].identifiers.custom_id: must be string, got a number (7)"),
        (ValueError, "items[11]: the required property 'identifiers' is missing"),
        (TypeError, "items[12] must be EditProfile or a dict, not str"),
    ]
    assert sorted(len(batch) for batch, _, _ in server.calls) == [7, 10, 10]  # the others chunk on without them


@needs("profiles_update")
def test_a_model_that_cannot_be_serialised_is_rejected_alone(kind):
    from batch_rest_generated.models import EditProfile, EditProfileIdentifiers

    name = "profiles_update"
    items: list[object] = [EditProfile(identifiers=EditProfileIdentifiers(custom_id=f"m-{i}")) for i in range(30)]
    items[13] = EditProfile(identifiers="not identifiers")  # type: ignore[arg-type]  # what mypy would refuse
    server = Server(name)
    result = run(kind, client(kind, server, FakeTime()), name, items, chunk_size=10)
    assert (result.accepted, result.rejected, result.requests) == (29, 1, 3)
    (failure,) = result.failures
    assert (failure.start, failure.items, type(failure.error)) == (13, (items[13],), TypeError)
    assert str(failure.error).startswith("items[13]: cannot be serialised (AttributeError")
    assert sorted(len(batch) for batch, _, _ in server.calls) == [9, 10, 10]


@each(BULK)
def test_an_invalid_item_of_each_operation_names_its_field(kind, name):
    bad, error_type, message = bad_item(name)
    server = Server(name)
    result = run(kind, client(kind, server, FakeTime()), name, [item(name, 0), bad, item(name, 2)])
    (failure,) = result.failures
    assert (failure.start, failure.outcome, type(failure.error)) == (1, "rejected", error_type)
    assert str(failure.error).startswith("items[1]")
    assert message in str(failure.error)
    assert server.arrived() == {key(item(name, 0)): 1, key(item(name, 2)): 1}


# -- answers ------------------------------------------------------------------------------------------------


@needs("profiles_update")
def test_a_chunk_that_gets_a_400_is_bisected_to_the_bad_item(kind):
    name = "profiles_update"

    def decide(number, items):
        return (
            error(400)
            if {"identifiers": {"custom_id": "u-37"}} in [{"identifiers": i["identifiers"]} for i in items]
            else success(name)
        )

    server = Server(name, decide)
    result = run(kind, client(kind, server, FakeTime()), name, [item(name, i) for i in range(200)])
    assert (result.accepted, result.rejected) == (199, 1)
    (failure,) = result.failures
    assert (failure.start, failure.items, failure.error.status_code) == (37, (item(name, 37),), 400)
    assert result.requests <= 1 + 2 * 8  # log2(200) levels, two calls each
    assert server.arrived() == {key(item(name, i)): 1 for i in range(200) if i != 37}


@needs("profiles_update")
def test_429s_pause_and_the_chunks_go_again(kind):
    name = "profiles_update"
    server = Server(name, lambda number, items: error(429) if number <= 3 else success(name))
    time = FakeTime()
    result = run(kind, client(kind, server, time), name, [item(name, i) for i in range(100)], chunk_size=10)
    assert (result.accepted, result.rate_limited, result.requests) == (100, 3, 13)
    assert server.arrived() == {key(item(name, i)): 1 for i in range(100)}
    assert time.slept  # paused, on the fake clock


@needs("profiles_update")
def test_a_429_retry_after_pauses_every_worker(kind):
    name = "profiles_update"
    server = Server(name, lambda number, items: error(429, **{"Retry-After": "30"}) if number == 1 else success(name))
    time = FakeTime()
    result = run(kind, client(kind, server, time), name, [item(name, i) for i in range(40)], chunk_size=10,
                 max_in_flight=1)  # fmt: skip
    assert result.accepted == 40
    assert time.now - 1000.0 >= 30  # nothing went before the 30 s the server asked for


@needs("profiles_update")
@pytest.mark.parametrize(
    "failure",
    [
        lambda: error(500),
        lambda: error(502),
        lambda: error(520),
        lambda: httpx.ReadTimeout("slow"),
        lambda: httpx.RemoteProtocolError("dropped"),
        lambda: httpx.ReadError("reset"),
        lambda: httpx.Response(202, content=b"<html>not JSON"),
    ],
    ids=["500", "502", "520", "ReadTimeout", "RemoteProtocolError", "ReadError", "malformed 202"],
)
def test_a_chunk_that_may_have_been_applied_is_unknown_and_not_sent_again(kind, failure):
    name = "profiles_update"
    server = Server(name, lambda number, items: failure() if items[0] == item(name, 10) else success(name))
    result = run(kind, client(kind, server, FakeTime()), name, [item(name, i) for i in range(30)], chunk_size=10)
    assert (result.accepted, result.unknown, result.requests) == (20, 10, 3)
    (unknown,) = result.failures
    assert (unknown.start, unknown.outcome, len(unknown.items)) == (10, "unknown", 10)
    assert isinstance(unknown.error, batch_rest.BatchError)
    assert server.arrived(accepted_only=False)[key(item(name, 10))] == 1  # never sent again


@needs("profiles_update")
def test_with_idempotent_the_chunk_is_retried_instead(kind):
    name = "profiles_update"
    answers = iter([error(500), httpx.RemoteProtocolError("dropped")])

    def decide(number, items):
        return next(answers, success(name)) if items[0] == item(name, 10) else success(name)

    server = Server(name, decide)
    result = run(kind, client(kind, server, FakeTime()), name, [item(name, i) for i in range(30)], chunk_size=10,
                 idempotent=True)  # fmt: skip
    assert (result.accepted, result.unknown, result.requests) == (30, 0, 5)


@needs("profiles_update")
def test_a_connection_that_could_not_be_made_is_retried(kind):
    name = "profiles_update"
    server = Server(name, lambda number, items: httpx.ConnectError("refused") if number <= 2 else success(name))
    result = run(kind, client(kind, server, FakeTime()), name, [item(name, i) for i in range(10)])
    assert (result.accepted, result.requests) == (10, 3)


@needs("profiles_update")
@pytest.mark.parametrize("status", [401, 403])
def test_a_refused_key_stops_the_run_and_keeps_every_item_read(kind, status):
    name = "profiles_update"
    consumed = []

    def edits():
        for i in range(100_000):
            consumed.append(i)
            yield item(name, i)

    server = Server(name, lambda number, items: error(status))
    source = edits()
    result = run(kind, client(kind, server, FakeTime()), name, source, chunk_size=10, max_in_flight=2)
    assert result.stopped.status_code == status
    assert not result.ok
    assert result.accepted == 0
    assert result.rejected == len(consumed) <= 6 * 10
    assert len(server.calls) <= 2  # not 10,000 chunks refused one by one
    check_accounted(result, len(consumed))
    following = item(name, len(consumed))
    assert next(source) == following  # the rest is still in the iterable


# -- arguments ----------------------------------------------------------------------------------------------


@each(BULK)
@pytest.mark.parametrize(
    ("kwargs", "error_type", "message"),
    [
        ({"chunk_size": 10_001}, ValueError, r"chunk_size must be from 1 to \d+ \(the document's maxItems\)"),
        ({"chunk_size": 0}, ValueError, "chunk_size must be from 1"),
        ({"chunk_size": "5"}, TypeError, "chunk_size must be an int"),
        ({"max_in_flight": 0}, ValueError, "max_in_flight must be from 1 to 100"),
        ({"max_in_flight": 1.5}, TypeError, "max_in_flight must be an int"),
        ({"items_per_second": -1}, ValueError, "items_per_second must be > 0"),
        ({"items_per_second": float("nan")}, ValueError, "items_per_second must be > 0"),
        ({"requests_per_second": "fast"}, TypeError, "requests_per_second must be a number"),
        ({"timeout": -1}, ValueError, "timeout"),
        ({"max_retries": -1}, ValueError, "max_retries"),
        ({"idempotent": "yes"}, TypeError, "idempotent"),
        ({"on_progress": 3}, TypeError, "on_progress must be callable"),
        ({"checkpoint": 3}, TypeError, "checkpoint must be a file path"),
    ],
)
def test_bad_arguments_are_refused_before_any_request(kind, name, kwargs, error_type, message):
    server = Server(name)
    with pytest.raises(error_type, match=message):
        run(kind, client(kind, server), name, [item(name, 0)], **kwargs)
    assert server.calls == []


@each(BULK)
@pytest.mark.parametrize("items", [{"identifiers": {"custom_id": "u"}}, "edits", b"edits", 3, None])
def test_items_must_be_an_iterable_of_items(kind, name, items):
    server = Server(name)
    with pytest.raises(TypeError, match="items must be an"):
        run(kind, client(kind, server), name, items)
    assert server.calls == []


@needs("catalogs_items_edit")
@pytest.mark.parametrize(
    ("body", "error_type", "message"),
    [
        ({}, ValueError, r"catalogs_items_edit: body: the required property 'name' is missing"),
        ({"name": 3}, TypeError, r"catalogs_items_edit: body.name: must be string"),
        ({"name": "shop", "items": []}, ValueError, "body must not hold 'items': those are the items"),
        (["shop"], TypeError, "body must be a dict of the body's other fields"),
    ],
)
def test_body_is_checked_before_any_request(kind, body, error_type, message):
    server = Server("catalogs_items_edit")
    with pytest.raises(error_type, match=message):
        run(kind, client(kind, server), "catalogs_items_edit", [item("catalogs_items_edit", 0)], body=body)
    assert server.calls == []


@needs("profiles_update")
def test_an_array_body_operation_takes_no_body(kind):
    server = Server("profiles_update")
    with pytest.raises(TypeError, match="body"):
        run(kind, client(kind, server), "profiles_update", [item("profiles_update", 0)], body={"x": 1})
    assert server.calls == []


# -- progress, the result -----------------------------------------------------------------------------------


@needs("profiles_update")
def test_on_progress_sees_counts_and_the_rate(kind):
    name, seen = "profiles_update", []
    server = Server(name, lambda number, items: error(500) if number == 3 else success(name))
    result = run(kind, client(kind, server, FakeTime()), name, [item(name, i) for i in range(100)], chunk_size=10,
                 items_per_second=100, on_progress=seen.append)  # fmt: skip
    assert all(isinstance(p, batch_rest.BulkProgress) for p in seen)
    done = [p.accepted + p.rejected + p.unknown for p in seen]
    assert done == sorted(done)
    assert done[-1] == 100
    last = seen[-1]
    assert (last.accepted, last.unknown, last.requests, last.in_flight, last.read) == (90, 10, 10, 0, 100)
    assert 0 < last.rate <= 100
    assert (result.accepted, result.unknown) == (last.accepted, last.unknown)


@each(BULK)
def test_items_rejected_alone_are_reported_as_they_are_read(kind, name, tmp_path):
    seen: list[batch_rest.BulkProgress] = []
    items = [{**bad_item(name)[0], "n": n} for n in range(25)]
    server = Server(name)
    checkpoint = tmp_path / "bulk.checkpoint"
    result = run(kind, client(kind, server, FakeTime()), name, items, chunk_size=5, on_progress=seen.append,
                 checkpoint=checkpoint)  # fmt: skip
    assert (result.rejected, result.requests, server.calls) == (25, 0, [])
    assert [p.rejected for p in seen][:5] == [5, 10, 15, 20, 25]  # without waiting for any answer
    assert len(checkpoint.read_text().splitlines()) == 1 + 25  # recorded too: a resumed run skips them


@needs("profiles_update")
def test_the_key_is_nowhere_in_the_result(kind):
    name = "profiles_update"
    answers = [error(401, **{"X-Echo": f"Bearer {KEY}"})]
    server = Server(name, lambda number, items: answers[0] if number == 2 else success(name))
    result = run(kind, client(kind, server, FakeTime()), name, [item(name, i) for i in range(30)], chunk_size=10,
                 max_in_flight=1)  # fmt: skip
    assert isinstance(result.stopped, batch_rest.AuthenticationError)
    for text in (repr(result), repr(result.failures), str(result.stopped), repr(result.stopped.__dict__)):
        assert KEY not in text
    assert KEY.encode() not in pickle.dumps(result)
    copy = pickle.loads(pickle.dumps(result))
    assert (copy.accepted, copy.rejected, copy.stopped.status_code) == (10, 20, 401)


# -- memory -------------------------------------------------------------------------------------------------


@needs("profiles_update")
def test_a_generator_streams_with_a_bounded_read_ahead(kind):
    name, answered, most_ahead = "profiles_update", [0], [0]
    consumed = [0]

    def decide(number, items):
        answered[0] += len(items)
        return success(name)

    def edits():
        for i in range(100_000):
            consumed[0] += 1
            most_ahead[0] = max(most_ahead[0], consumed[0] - answered[0])
            yield {"identifiers": {"custom_id": f"u-{i}"}}

    result = run(kind, client(kind, Server(name, decide), FakeTime()), name, edits(), items_per_second=1e9)
    assert result.accepted == 100_000
    assert most_ahead[0] <= (4 + 2) * 200  # max_in_flight + 2 chunks, whatever the input's size


@needs("profiles_update")
@pytest.mark.parametrize("max_in_flight", [1, 3])
def test_one_call_at_a_time_is_sent_by_the_caller_itself(kind, max_in_flight):
    """With max_in_flight=1 there is nothing to do while the call is in flight: the thread (or task) that reads the
    input sends it, with no worker to hand it to and wake twice; with more, workers (threads, tasks) send them.
    Either way the input is read max_in_flight + 2 chunks ahead."""
    name, chunk = "profiles_update", 200
    readers: set[object] = set()
    senders: list[object] = []
    consumed, answered, most_ahead = [0], [0], [0]

    def current() -> object:
        return threading.current_thread() if kind == "sync" else asyncio.current_task()

    def decide(number, items):
        senders.append(current())
        most_ahead[0] = max(most_ahead[0], consumed[0] - answered[0])
        answered[0] += len(items)
        return success(name)

    def edits():
        for i in range(10 * chunk):
            readers.add(current())
            consumed[0] += 1
            yield {"identifiers": {"custom_id": f"u-{i}"}}

    made = client(kind, Server(name, decide), FakeTime())
    result = run(kind, made, name, edits(), max_in_flight=max_in_flight, items_per_second=1e9)
    assert (result.accepted, len(senders), len(readers)) == (10 * chunk, 10, 1)
    (reader,) = readers
    if max_in_flight == 1:
        assert set(senders) == {reader}
        assert most_ahead[0] == (1 + 2) * chunk  # read ahead before each call, as while a worker's call is in flight
    else:
        assert reader not in senders
        assert most_ahead[0] <= (max_in_flight + 2) * chunk


# -- resuming -----------------------------------------------------------------------------------------------


class Interrupted(Exception):
    pass


@each(BULK)
def test_a_run_interrupted_then_resumed_sends_every_item(kind, name, tmp_path):
    checkpoint = tmp_path / "bulk.checkpoint"
    items = [item(name, i) for i in range(95)]
    items[42] = bad_item(name)[0]
    server = Server(name)
    settled_batches = []

    def stop_after_three(progress):
        settled_batches.append(progress)
        if len(settled_batches) == 3:
            raise Interrupted  # the user's Ctrl-C, or anything else raised while the run is going

    made = client(kind, server, FakeTime())
    with pytest.raises(Interrupted):
        run(
            kind, made, name, items, chunk_size=10, max_in_flight=3, checkpoint=checkpoint, on_progress=stop_after_three
        )
    first = server.arrived()
    assert 0 < sum(first.values()) < 94
    result = run(kind, client(kind, server, FakeTime()), name, items, chunk_size=10, max_in_flight=3,
                 checkpoint=checkpoint)  # fmt: skip
    both = server.arrived()
    assert set(both) == {key(i) for n, i in enumerate(items) if n != 42}  # every item arrived
    resent = [k for k, count in both.items() if count > 1]
    assert len(resent) <= 3 * 10  # at most the chunks that were in flight went twice
    assert result.skipped + result.accepted + result.rejected == 95
    assert result.skipped >= sum(first.values()) - len(resent)
    # the bad item was settled by the first run (rejected for its content): the second skips it
    assert 42 not in [f.start for f in result.failures] or result.rejected == 1


@each([name for name in BULK if name in BODIES])
def test_resuming_with_another_body_is_refused(kind, name, tmp_path):
    checkpoint = tmp_path / "bulk.checkpoint"
    run(kind, client(kind, Server(name), FakeTime()), name, [item(name, 0)], checkpoint=checkpoint)
    server = Server(name)
    with pytest.raises(ValueError, match="written by another call"):
        run(kind, client(kind, server), name, [item(name, 0)], checkpoint=checkpoint, body={"name": "other"})
    assert server.calls == []


@needs("profiles_update", "profiles_mass_update")
def test_resuming_another_operation_is_refused(kind, tmp_path):
    checkpoint = tmp_path / "bulk.checkpoint"
    edits = [item("profiles_update", 0)]
    run(kind, client(kind, Server("profiles_update"), FakeTime()), "profiles_update", edits, checkpoint=checkpoint)
    server = Server("profiles_mass_update")
    with pytest.raises(ValueError, match="written by another call"):
        run(kind, client(kind, server), "profiles_mass_update", edits, checkpoint=checkpoint)
    assert server.calls == []


@needs("profiles_update")
def test_cancelling_the_async_call_leaves_the_checkpoint_consistent(tmp_path):
    name, checkpoint = "profiles_update", tmp_path / "bulk.checkpoint"
    release = asyncio.Event()

    async def main():
        server = Server(name)
        made = client("async", server)
        progress = []

        async def edits():
            for i in range(1000):
                if i == 60:
                    progress.append("read ahead")
                    await release.wait()  # the input stalls: the task is cancelled while chunks are settled
                yield item(name, i)

        task = asyncio.ensure_future(
            made.profiles.bulk_update(edits(), chunk_size=10, items_per_second=1e9, checkpoint=checkpoint)
        )
        for _ in range(500):  # the answers are settled and recorded while the input stalls
            if progress and len(checkpoint.read_text().splitlines()) == 1 + 6:
                break
            await asyncio.sleep(0.01)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        return server

    server = asyncio.run(main())
    text = checkpoint.read_text()
    assert text.endswith("\n")
    records = [json.loads(line) for line in text.splitlines()[1:]]
    accepted = sorted(i for letter, spans in records for start, stop in spans for i in range(start, stop))
    arrived = sorted(int(k.split('"u-')[1].split('"')[0]) for k in server.arrived())
    assert {letter for letter, _ in records} == {"a"}
    assert accepted == arrived == list(range(60))  # everything answered is recorded, nothing else
