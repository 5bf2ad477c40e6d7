"""max_retries is bounded (0 to _config.MAX_RETRIES) wherever it is given: the constructors, with_options() and a
call's own option, on both clients; a value past the bound is a ValueError naming it, before any request."""

import asyncio

import httpx
import pytest

import batch_rest
from batch_rest import _config

BOUND = _config.MAX_RETRIES
MESSAGE = rf"^max_retries must be from 0 to {BOUND} \(0 turns retries off\), got {BOUND + 1}$"


class Counting:
    def __init__(self) -> None:
        self.requests: list[httpx.Request] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        return httpx.Response(200, json={"segments": [], "has_more": False, "next_from": "end"})


@pytest.mark.parametrize("cls", [batch_rest.BatchClient, batch_rest.AsyncBatchClient])
def test_the_constructors_take_the_bound_and_refuse_one_more(cls):
    assert cls("k", "p", max_retries=BOUND)._settings.max_retries == BOUND
    assert cls("k", "p", max_retries=0)._settings.max_retries == 0
    with pytest.raises(ValueError, match=MESSAGE):
        cls("k", "p", max_retries=BOUND + 1)


def test_with_options_and_a_calls_option_refuse_one_more_before_any_request_sync():
    api = Counting()
    with batch_rest.BatchClient("k", "p", http_client=httpx.Client(transport=httpx.MockTransport(api))) as client:
        with pytest.raises(ValueError, match=MESSAGE):
            client.with_options(max_retries=BOUND + 1)
        with pytest.raises(ValueError, match=MESSAGE):
            client.segments.list_page(max_retries=BOUND + 1)
        assert api.requests == []
        client.with_options(max_retries=BOUND).segments.list_page(max_retries=BOUND)
        assert len(api.requests) == 1


def test_with_options_and_a_calls_option_refuse_one_more_before_any_request_async():
    api = Counting()

    async def main() -> None:
        http = httpx.AsyncClient(transport=httpx.MockTransport(api))
        async with batch_rest.AsyncBatchClient("k", "p", http_client=http) as client:
            with pytest.raises(ValueError, match=MESSAGE):
                client.with_options(max_retries=BOUND + 1)
            with pytest.raises(ValueError, match=MESSAGE):
                await client.segments.list_page(max_retries=BOUND + 1)
            assert api.requests == []
            await client.with_options(max_retries=BOUND).segments.list_page(max_retries=BOUND)
            assert len(api.requests) == 1

    asyncio.run(main())
