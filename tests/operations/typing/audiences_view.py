from batch_rest import AsyncBatchClient, BatchClient, RawResponse
from batch_rest_generated.models import OneAudience
from batch_rest_generated.types import UNSET


def sync(client: BatchClient) -> None:
    audience: OneAudience = client.audiences.view(name="vip", indexing_token=UNSET)
    raw: RawResponse[OneAudience] = client.audiences.with_raw_response.view(name="vip", indexing_token="t")
    print(audience.nb_ids, raw.parse().name)


async def asynchronous(client: AsyncBatchClient) -> None:
    audience: OneAudience = await client.audiences.view(name="vip", extra_headers={"X-Trace": "1"})
    print(audience.display_name)
