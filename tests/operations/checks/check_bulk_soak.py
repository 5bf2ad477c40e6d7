"""Soak: 100,000 items through the fake server over loopback, 10 % of the requests failing with a fault of every
kind (429 as Batch sends it, without Retry-After; 503; 500; the connection dropped before the response; dropped
in the middle of the body), on both clients. Every item read is accounted for; every accepted item arrived
exactly once in a request the server answered; nothing that may have been applied was sent again."""

from __future__ import annotations

import asyncio
import json
from collections import Counter
from typing import Any

import pytest
from _bulk_support import check_accounted
from conftest import needs

import batch_rest
from batch_rest._retry import RetryPolicy
from batch_rest.testing import FakeBatchServer, Fault

ITEMS = 100_000
MAYBE_APPLIED = {"server_error", "drop_before_response", "drop_mid_body"}
FAULTS = [
    Fault.rate_limit(),
    Fault.service_unavailable(),
    Fault.server_error(),
    Fault.drop_before_response(),
    Fault.drop_mid_body(),
]


def edits() -> Any:
    for n in range(ITEMS):
        yield {"identifiers": {"custom_id": f"u{n}"}}


@needs("profiles_update")
@pytest.mark.timeout(300)
def test_every_item_is_accounted_for_through_faults_of_every_kind(kind):
    with FakeBatchServer() as server:
        server.set_fault_rate(0.10, FAULTS, seed=11)
        cls = batch_rest.BatchClient if kind == "sync" else batch_rest.AsyncBatchClient
        client = cls(server.api_key, server.project_key, base_url=server.url, timeout=10)
        # Backoffs shortened (not the rule): a soak must not sleep through minutes of them.
        client._retry_policy = RetryPolicy(max_retries=6, initial_backoff=0.001, max_backoff=0.01)
        call = client.profiles.bulk_update
        options = {"items_per_second": 1e9, "max_in_flight": 8}
        result = call(edits(), **options) if kind == "sync" else asyncio.run(call(edits(), **options))
        requests = server.requests
    check_accounted(result, ITEMS)
    assert result.stopped is None
    faults = Counter(r.fault for r in requests)
    assert set(faults) == {None, *(f.kind for f in FAULTS)}, faults  # every kind happened
    answered: Counter[str] = Counter()
    maybe_applied: Counter[str] = Counter()  # in a request the server may have acted on before failing
    last: dict[str, str | None] = {}  # the fault of the last request holding each item
    for request in requests:
        ids = [edit["identifiers"]["custom_id"] for edit in json.loads(request.body)]
        last.update(dict.fromkeys(ids, request.fault))
        if request.fault is None:
            answered.update(ids)
        elif request.fault in MAYBE_APPLIED:
            maybe_applied.update(ids)
    failed = {edit["identifiers"]["custom_id"]: f.outcome for f in result.failures for edit in f.items}
    accepted = {f"u{n}" for n in range(ITEMS)} - failed.keys()
    assert len(accepted) == result.accepted
    assert all(answered[i] == 1 for i in accepted)  # every accepted item arrived exactly once, answered
    assert sum(answered.values()) == result.accepted  # and nothing else was answered
    unknown = [i for i, outcome in failed.items() if outcome == "unknown"]
    assert all(maybe_applied[i] == 1 and last[i] in MAYBE_APPLIED for i in unknown)  # never sent again after
    assert not any(maybe_applied[i] for i in accepted)  # and nothing that may have been applied was resent
    assert result.unknown > 0
    assert result.rate_limited > 0
