from typing import assert_type

from batch_rest import AsyncBatchClient, BatchClient, RawResponse
from batch_rest_generated.models import OneAudience, OneAudienceIndexingState


def sync(client: BatchClient) -> None:
    audience: OneAudience = client.audiences.view(name="vip", indexing_token=None)
    raw: RawResponse[OneAudience] = client.audiences.with_raw_response.view(name="vip", indexing_token="t")
    print(audience.nb_ids, raw.parse().name)
    assert_type(audience.nb_ids, int | None)  # an optional field the server may leave out: None then
    assert_type(audience.indexing_state, OneAudienceIndexingState | None)
    if audience.name is not None:
        print(audience.name.upper())


async def asynchronous(client: AsyncBatchClient) -> None:
    audience: OneAudience = await client.audiences.view(name="vip", extra_headers={"X-Trace": "1"})
    print(audience.display_name)
