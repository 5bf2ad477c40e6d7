"""Fault soak over real loopback sockets: a 20,000-segment listing while a quarter of the requests fail.

The fake server fails ~25 % of requests (deterministic seed) with a 429 (Retry-After: 0), a 500, a 503, a
connection dropped mid-body, or an answer slower than the client's timeout. The client retries with a fast
policy (private, test-only) and must yield every segment exactly once, in order: sync and async.
"""

from __future__ import annotations

from collections import Counter

import pytest
from _reliability import KINDS, FakeBatchServer, Fault, codes_of, expected_codes, fast_retries, make_client

SEGMENTS, PAGE_SIZE = 20_000, 100
FAULT_RATE, FAULT_SEED = 0.25, 20_240_601
CLIENT_TIMEOUT, SLOW = 0.3, 0.6
FAULTS = (
    Fault.rate_limit(retry_after=0),
    Fault.server_error(),
    Fault.service_unavailable(),
    Fault.drop_mid_body(),
    Fault.slow(SLOW),
)


@pytest.mark.timeout(90)
@pytest.mark.parametrize("kind", KINDS)
def test_every_segment_once_in_order_while_a_quarter_of_requests_fail(kind, record_property):
    with FakeBatchServer(SEGMENTS, seed=3) as server:
        server.set_fault_rate(FAULT_RATE, FAULTS, seed=FAULT_SEED)
        client = make_client(kind, server, timeout=CLIENT_TIMEOUT)
        fast_retries(client, max_retries=10)
        if kind == "sync":
            with client:
                codes = codes_of(kind, client, page_size=PAGE_SIZE)
        else:
            codes = codes_of(kind, client, page_size=PAGE_SIZE)
        requests = server.requests

    expected = expected_codes(server)
    assert len(codes) == SEGMENTS
    assert len(set(codes)) == SEGMENTS, "a segment was yielded twice"
    assert codes == expected, "a segment is missing, extra or out of order"

    faults = Counter(r.fault for r in requests if r.fault is not None)
    clean = [r for r in requests if r.fault is None]
    # Every kind of fault happened, at roughly the rate asked for, and each page was served cleanly at least once.
    assert set(faults) == {f.kind for f in FAULTS}, faults
    assert 0.15 < sum(faults.values()) / len(requests) < 0.35, (faults, len(requests))
    assert len(clean) >= SEGMENTS // PAGE_SIZE
    assert {r.query.get("limit", [""])[0] for r in requests} == {str(PAGE_SIZE)}

    summary = {
        "kind": kind,
        "segments_checked": len(codes),
        "requests": len(requests),
        "faults": dict(sorted(faults.items())),
    }
    record_property("soak", summary)
    print(f"\nsoak: {summary}")
