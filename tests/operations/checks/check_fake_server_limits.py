"""The fake server's per-operation rate limits (batch_rest.testing.RateLimit), over real loopback sockets, on the
chunkable operations of the fixture pages.

tests/operations/test_operations.py runs this module in a subprocess importing a package regenerated from the
shipped pages plus fixture pages; each test runs only when the package has its operation (`@needs`). The limits'
clock is frozen (`clock=`) wherever a count is asserted, so that "exactly beyond the limit" does not depend on
the machine's speed; one test runs on the real clock and bounds what passed by the time it measured.
"""

from __future__ import annotations

import asyncio
import copy
import json
import math
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from conftest import KEY, PROJECT, needs
from openapi_core import OpenAPI
from openapi_core.testing import MockRequest, MockResponse

import batch_rest
from batch_rest import _seam
from batch_rest.testing import FakeBatchServer, RateLimit

pytestmark = pytest.mark.timeout(60)

OPERATIONS = _seam.OPERATIONS
AUTH = {"Authorization": f"Bearer {KEY}", "X-Batch-Project": PROJECT}
MS = 1_000_000  # the clock's unit is the nanosecond
OPENAPI = OpenAPI.from_dict(copy.deepcopy(dict(_seam.document())))


class Clock:
    """A frozen clock for the limits, moved by hand."""

    def __init__(self) -> None:
        self.now = 7_000 * MS

    def __call__(self) -> int:
        return self.now

    def advance(self, milliseconds: int) -> None:
        self.now += milliseconds * MS


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def http() -> Iterator[httpx.Client]:
    with httpx.Client(verify=False, headers=AUTH, timeout=10) as client:
        yield client


def edits(n: int, start: int = 0) -> list[dict[str, Any]]:
    return [
        {"identifiers": {"custom_id": f"user-{i}"}, "attributes": {"plan": "gold"}} for i in range(start, start + n)
    ]


def catalog_items(n: int) -> dict[str, Any]:
    return {"name": "shop", "items": [{"id": f"sku-{i}", "action": "upsert", "attributes": {}} for i in range(n)]}


def post(http: httpx.Client, server: FakeBatchServer, operation: str, body: Any) -> httpx.Response:
    return http.post(server.url + OPERATIONS[operation]["path"], json=body)


def statuses(responses: list[httpx.Response]) -> list[int]:
    return [response.status_code for response in responses]


def success(operation: str) -> int:
    return min(int(status) for status in OPERATIONS[operation]["results"])


def refused_as_documented(response: httpx.Response, *, retry_after: str | None = None) -> None:
    """A 429 with Batch's error body, valid against the document, with (or, as Batch documents, without) a
    Retry-After."""
    assert response.status_code == 429
    assert response.json()["error_code"] == "TOO_MANY_REQUESTS"
    assert response.headers.get("retry-after") == retry_after
    sent = response.request
    request = MockRequest("https://api.batch.com", sent.method, sent.url.path, headers=dict(sent.headers),
                          data=sent.content, content_type=sent.headers["content-type"])  # fmt: skip
    OPENAPI.validate_request(request)
    OPENAPI.validate_response(request, MockResponse(response.content, 429, dict(response.headers), "application/json"))


# -- items a second, with a burst ----------------------------------------------------------------------------------


@needs("profiles_update")
def test_chunks_get_429_exactly_beyond_the_items_limit(clock: Clock, http: httpx.Client) -> None:
    limit = RateLimit(items_per_second=20_000, items_burst=2_000)
    with FakeBatchServer(limits={"profiles_update": limit}, clock=clock, api_key=KEY, project_key=PROJECT) as server:
        ok = success("profiles_update")
        burst = [post(http, server, "profiles_update", edits(200, 200 * n)) for n in range(12)]
        assert statuses(burst) == [ok] * 10 + [429] * 2  # 2,000 items: ten chunks of 200
        refused_as_documented(burst[10])
        clock.advance(9)  # 180 items back: not enough for a chunk of 200...
        assert statuses([post(http, server, "profiles_update", edits(200))]) == [429]
        assert statuses([post(http, server, "profiles_update", edits(180))]) == [ok]  # ...but for 180
        clock.advance(10)  # 200 items back, and the refusals took none
        assert statuses([post(http, server, "profiles_update", edits(200)) for _ in range(2)]) == [ok, 429]
        clock.advance(60_000)  # a minute idle is one burst, not 1.2 million items
        assert statuses([post(http, server, "profiles_update", edits(500)) for _ in range(4)]) == [400] * 4
        # ^ 500 edits is more than a call takes (400), yet counted: the limit comes before the body check
        assert statuses([post(http, server, "profiles_update", edits(1)) for _ in range(2)]) == [429] * 2
        recorded = [(r.operation, r.fault) for r in server.requests]
    assert recorded.count(("profiles_update", "rate_limit")) == 2 + 1 + 1 + 2
    assert recorded[:12] == [("profiles_update", None)] * 10 + [("profiles_update", "rate_limit")] * 2


@needs("profiles_update", "segments_list")
def test_a_limit_is_the_operations_own(clock: Clock, http: httpx.Client) -> None:
    limit = RateLimit(items_per_second=1, items_burst=200)
    with FakeBatchServer(limits={"profiles_update": limit}, clock=clock, api_key=KEY, project_key=PROJECT) as server:
        assert post(http, server, "profiles_update", edits(200)).status_code == success("profiles_update")
        assert post(http, server, "profiles_update", edits(1)).status_code == 429
        assert [http.get(server.url + "/segments/list").status_code for _ in range(50)] == [200] * 50
        assert server.limits == {"profiles_update": limit}


@needs("profiles_update")
def test_retry_after_is_sent_when_asked(clock: Clock, http: httpx.Client) -> None:
    limit = RateLimit(items_per_second=100, items_burst=200, retry_after=True)
    with FakeBatchServer(limits={"profiles_update": limit}, clock=clock, api_key=KEY, project_key=PROJECT) as server:
        assert post(http, server, "profiles_update", edits(200)).status_code == success("profiles_update")
        refused_as_documented(post(http, server, "profiles_update", edits(150)), retry_after="2")  # 1.5 s
        clock.advance(1_400)
        refused_as_documented(post(http, server, "profiles_update", edits(150)), retry_after="1")  # 0.1 s
        tiny = RateLimit(items_per_second=100, items_burst=50, retry_after=True)
    with FakeBatchServer(limits={"profiles_update": tiny}, clock=clock, api_key=KEY, project_key=PROJECT) as server:
        refused_as_documented(post(http, server, "profiles_update", edits(51)))  # never passes: no promise made


@needs("profiles_update")
def test_the_typed_client_sees_the_limit(clock: Clock, kind: str) -> None:
    limit = RateLimit(items_per_second=1_000, items_burst=400)
    with FakeBatchServer(limits={"profiles_update": limit}, clock=clock, api_key=KEY, project_key=PROJECT) as server:

        async def async_calls() -> list[str]:
            async with batch_rest.AsyncBatchClient(KEY, PROJECT, base_url=server.url, max_retries=0) as client:
                return [await outcome(client.profiles.update(body=edits(200))) for _ in range(3)]

        async def outcome(call: Any) -> str:
            try:
                await call
            except batch_rest.RateLimitError as exc:
                return f"429 {exc.retry_after}"
            return "ok"

        if kind == "async":
            outcomes = asyncio.run(async_calls())
        else:
            outcomes = []
            with batch_rest.BatchClient(KEY, PROJECT, base_url=server.url, max_retries=0) as client:
                for _ in range(3):
                    try:
                        client.profiles.update(body=edits(200))
                        outcomes.append("ok")
                    except batch_rest.RateLimitError as exc:
                        outcomes.append(f"429 {exc.retry_after}")
        assert outcomes == ["ok", "ok", "429 None"]
        clock.advance(200)
        with batch_rest.BatchClient(KEY, PROJECT, base_url=server.url, max_retries=0) as client:
            client.profiles.update(body=edits(200))  # 200 items back in 0.2 s
        assert [r.fault for r in server.requests] == [None, None, "rate_limit", None]


@needs("profiles_update")
def test_on_the_real_clock_what_passes_is_the_burst_plus_what_came_back(http: httpx.Client) -> None:
    limit = RateLimit(items_per_second=2_000, items_burst=1_000)
    with FakeBatchServer(limits={"profiles_update": limit}, api_key=KEY, project_key=PROJECT) as server:
        started = time.monotonic()
        answers = statuses([post(http, server, "profiles_update", edits(100)) for _ in range(40)])
        elapsed = time.monotonic() - started
    passed = answers.count(success("profiles_update"))
    assert answers.count(429) == 40 - passed
    # At least the burst; at most the burst and what refilled while the requests were sent (whatever the speed).
    assert 10 <= passed <= 10 + math.ceil(elapsed * 2_000 / 100)


# -- items along a property, and requests too: the documented limits -------------------------------------------------


@needs("catalogs_items_edit")
def test_documented_limits_of_catalogs_items_edit(clock: Clock, http: httpx.Client) -> None:
    with FakeBatchServer(documented_limits=True, clock=clock, api_key=KEY, project_key=PROJECT) as server:
        assert server.limits["catalogs_items_edit"] == RateLimit(items_per_second=1_000, requests_per_second=5)
        assert RateLimit.documented("catalogs_items_edit") == server.limits["catalogs_items_edit"]
        ok = success("catalogs_items_edit")
        full = [post(http, server, "catalogs_items_edit", catalog_items(200)) for _ in range(6)]
        assert statuses(full) == [ok] * 5 + [429]  # 1,000 items in 5 requests: both buckets are empty
        refused_as_documented(full[5])
        clock.advance(200)  # a request and 200 items back
        assert statuses([post(http, server, "catalogs_items_edit", catalog_items(200)) for _ in range(2)]) == [ok, 429]
        clock.advance(1_000)  # 5 requests and 1,000 items back: small calls run out of requests first
        small = [post(http, server, "catalogs_items_edit", catalog_items(3)) for _ in range(6)]
        assert statuses(small) == [ok] * 5 + [429]
        clock.advance(1_000)
        assert post(http, server, "catalogs_items_edit", {"name": "shop", "items": []}).status_code in {ok, 400}
        assert [r.fault for r in server.requests].count("rate_limit") == 3


@needs("profiles_update", "profiles_mass_update", "audiences_replace")
def test_documented_limits_of_the_profiles_and_overrides(clock: Clock, http: httpx.Client) -> None:
    mine = RateLimit(requests_per_second=1)
    limits = {"profiles_mass_update": mine}
    with FakeBatchServer(
        documented_limits=True, limits=limits, clock=clock, api_key=KEY, project_key=PROJECT
    ) as server:
        assert server.limits["profiles_update"] == RateLimit(items_per_second=300, items_burst=1_000)
        assert server.limits["profiles_mass_update"] == mine  # given, over the documented 10,000 items/s
        assert "audiences_replace" not in server.limits  # Batch documents no limit for it
        ok = success("profiles_update")
        assert statuses([post(http, server, "profiles_update", edits(200)) for _ in range(6)]) == [ok] * 5 + [429]
        clock.advance(1_000)  # 300 items back: one chunk of 200, and 100 left over
        assert statuses([post(http, server, "profiles_update", edits(200)) for _ in range(2)]) == [ok, 429]
        assert statuses([post(http, server, "profiles_update", edits(100))]) == [ok]
        mass_ok = success("profiles_mass_update")
        assert statuses([post(http, server, "profiles_mass_update", edits(2)) for _ in range(2)]) == [mass_ok, 429]


@needs("profiles_mass_update")
def test_documented_no_burst_is_one_second_of_the_rate(clock: Clock, http: httpx.Client) -> None:
    with FakeBatchServer(documented_limits=True, clock=clock, api_key=KEY, project_key=PROJECT) as server:
        assert server.limits["profiles_mass_update"] == RateLimit(items_per_second=10_000)
        ok = success("profiles_mass_update")
        full = edits(10_000)  # the most a call takes, ~2 MB: the server reads it whole
        for edit in full:
            edit["attributes"]["bio"] = "x" * 150
        assert statuses([post(http, server, "profiles_mass_update", full) for _ in range(2)]) == [ok, 429]
        clock.advance(500)
        assert statuses([post(http, server, "profiles_mass_update", edits(5_000)) for _ in range(2)]) == [ok, 429]
        assert len(server.requests[0].body) > 2_000_000


@needs("audiences_update")
def test_items_are_counted_along_the_ids_of_audiences_update(clock: Clock, http: httpx.Client) -> None:
    limit = RateLimit(items_per_second=10, items_burst=25)
    with FakeBatchServer(limits={"audiences_update": limit}, clock=clock, api_key=KEY, project_key=PROJECT) as server:
        ids = [{"action": "add", "id": f"user-{i}"} for i in range(10)]
        answers = [post(http, server, "audiences_update", {"name": "vip", "ids": ids}) for _ in range(3)]
        assert statuses(answers) == [success("audiences_update")] * 2 + [429]
        assert json.loads(server.requests[2].body)["ids"] == ids  # the refused request is recorded too


# -- from the shell ------------------------------------------------------------------------------------------------


@needs("profiles_update", "catalogs_items_edit")
def test_the_shell_command_serves_the_documented_limits_and_given_ones(http: httpx.Client) -> None:
    # `batch-rest fake-server` of the regenerated package this module imports: the subprocess inherits PYTHONPATH.
    command = [sys.executable, "-m", "batch_rest", "fake-server"]
    options = ["--documented-limits", "--limit", "profiles_update=0.001/s,burst=400", "-v"]
    process = subprocess.Popen([*command, *options], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        assert process.stdout is not None
        banner = [process.stdout.readline() for _ in range(5)]
        url = banner[1].strip().removeprefix("export BATCH_BASE_URL=")
        expected = {name: RateLimit.documented(name) for name in OPERATIONS}
        expected["profiles_update"] = RateLimit(items_per_second=0.001, items_burst=400)
        limits = "; ".join(f"{name} {limit}" for name, limit in sorted(expected.items()) if limit is not None)
        assert banner[4] == f"# rate limits: {limits}\n"
        assert "catalogs_items_edit 1000 items/s (burst 1000), 5 requests/s (burst 5)" in limits
        http.headers.update({"Authorization": "Bearer demo-rest-api-key", "X-Batch-Project": "demo-project-key"})
        profiles = [http.post(url + "/profiles/update", json=edits(200)) for _ in range(3)]
        assert statuses(profiles) == [success("profiles_update")] * 2 + [429]
        assert "retry-after" not in profiles[2].headers
        started = time.monotonic()
        catalog = statuses([http.post(url + "/catalogs/items/edit", json=catalog_items(200)) for _ in range(7)])
        elapsed = time.monotonic() - started
        passed = catalog.count(success("catalogs_items_edit"))
        assert catalog.count(429) == 7 - passed
        assert 5 <= passed <= 5 + math.ceil(elapsed * 5)  # 5 requests/s, burst 5, on the real clock
    finally:
        process.send_signal(signal.SIGINT)
        _, stderr = process.communicate(timeout=10)
    assert process.returncode == 0, stderr
    assert stderr.count("fault=rate_limit") == 1 + catalog.count(429)
