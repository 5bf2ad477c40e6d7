"""Fuzz every operation of the package under test: whatever the server answers, a call ends in a result of the
operation's type or a BatchError, never another exception and never a hang.

Each example picks an operation, calls it with valid arguments (built from its schemas by the fake server's
sample builder) on the sync and the async client, and answers with a script of 1-3 of: any status (100-599,
the documented ones more often), a body (a valid sample of a documented response, random JSON, JSON of the
wrong shape, garbage, nothing), headers (Location present or not, odd Retry-After values, a Content-Encoding the
body does not have), or a transport exception. Retries happen (max_retries 0-2) but never sleep.
"""

from __future__ import annotations

import asyncio
import json

import httpx
from conftest import KEY, PROJECT
from fixtures.calls import call
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import batch_rest
from batch_rest import _seam
from batch_rest.testing._samples import Samples

SAMPLES = Samples(_seam.document(), seed=7)
OPERATIONS = sorted(_seam.OPERATIONS)
FAILURES = [
    httpx.ConnectError("refused"),
    httpx.ReadTimeout("slow"),
    httpx.RemoteProtocolError("dropped"),
    httpx.ReadError("reset"),
    httpx.DecodingError("bad gzip"),
    httpx.WriteError("broken pipe"),
]

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=10),
    lambda children: st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=6), children, max_size=3),
    max_leaves=8,
)


def documented_body(name: str, status: int) -> bytes | None:
    result = _seam.OPERATIONS[name]["results"].get(str(status))
    if not result or not result["schema"]:
        return None
    return json.dumps(SAMPLES.value(result["schema"])).encode()


@st.composite
def answers(draw, name: str):
    documented = [int(s) for s in _seam.OPERATIONS[name]["results"]]
    if draw(st.integers(0, 9)) == 0:
        return draw(st.sampled_from(FAILURES))
    status = draw(st.sampled_from(documented) | st.sampled_from([204, 302, 307, 400, 404, 429, 500, 503, 520])
                  | st.integers(100, 599))  # fmt: skip
    body = draw(
        st.sampled_from([documented_body(name, status) or b"{}"])
        | json_values.map(lambda v: json.dumps(v).encode())
        | st.binary(max_size=40)
        | st.just(b"")
    )
    headers = draw(
        st.dictionaries(
            st.sampled_from(["Location", "Retry-After", "Content-Encoding", "Content-Type"]),
            st.sampled_from(["/files/x", "https://files.example/x", "", "1", "0.5", "-3", "soon", "gzip", "text/html"]),
            max_size=3,
        )
    )
    return status, headers, body


@st.composite
def scenarios(draw):
    name = draw(st.sampled_from(OPERATIONS))
    script = draw(st.lists(answers(name), min_size=1, max_size=3))
    return name, script, draw(st.integers(0, 2))


def respond(script):
    queue = list(script)

    def handler(request: httpx.Request) -> httpx.Response:
        answer = queue.pop(0) if len(queue) > 1 else queue[0]
        if isinstance(answer, Exception):
            raise answer
        status, headers, body = answer
        return httpx.Response(status, headers=headers, content=body)

    return handler


def expected_result(name: str, result: object) -> bool:
    operation = _seam.operation(name)
    if _seam.OPERATIONS[name]["paging"]:
        return isinstance(result, batch_rest.Page)
    models = tuple(r.model for r in operation.results.values() if r.model is not None)
    return result is None or isinstance(result, (str, list, dict, *models))


def outcome(kind: str, name: str, script, max_retries: int):
    transport = httpx.MockTransport(respond(script))
    try:
        if kind == "sync":
            http = httpx.Client(transport=transport)
            client = batch_rest.BatchClient(KEY, PROJECT, http_client=http, max_retries=max_retries)
            client._sleep = lambda seconds: None
            return "result", call(client, name, SAMPLES)

        async def main():
            http = httpx.AsyncClient(transport=transport)
            client = batch_rest.AsyncBatchClient(KEY, PROJECT, http_client=http, max_retries=max_retries)

            async def no_sleep(seconds):
                return None

            client._sleep = no_sleep
            return await call(client, name, SAMPLES)

        return "result", asyncio.run(main())
    except batch_rest.BatchError as exc:
        return "error", (type(exc), str(exc))


@settings(max_examples=1000, suppress_health_check=[HealthCheck.too_slow], deadline=None)
@given(scenario=scenarios())
def test_any_answer_to_any_operation_ends_in_a_result_or_a_batch_error(scenario):
    name, script, max_retries = scenario
    sync = outcome("sync", name, script, max_retries)
    asynchronous = outcome("async", name, script, max_retries)
    assert sync[0] == asynchronous[0], (sync, asynchronous)
    if sync[0] == "result":
        assert expected_result(name, sync[1]), sync
    else:
        assert sync[1][0] is asynchronous[1][0]
        assert KEY not in sync[1][1]
