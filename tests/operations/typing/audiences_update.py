from batch_rest import AsyncBatchClient, BatchClient, BulkResult
from batch_rest_generated.models import (
    AudienceIdEdit,
    AudienceIdEditAction,
    AudiencesUpdateBody,
    AudiencesUpdateResponse202,
)


def sync(client: BatchClient) -> None:
    edit = AudienceIdEdit(action=AudienceIdEditAction.ADD, id="u-1")
    result: AudiencesUpdateResponse202 = client.audiences.update(body=AudiencesUpdateBody(name="vip", ids=[edit]))
    other: AudiencesUpdateResponse202 = client.audiences.update(
        body={"name": "vip", "ids": [{"action": "remove", "id": "u-2"}]}
    )
    print(result.indexing_token, other.indexing_token)


async def asynchronous(client: AsyncBatchClient) -> None:
    result: AudiencesUpdateResponse202 = await client.audiences.update(body={"name": "vip", "ids": []})
    print(result.indexing_token)


def bulk(client: BatchClient) -> None:
    edits = [AudienceIdEdit(action=AudienceIdEditAction.ADD, id=f"u-{n}") for n in range(3)]
    result: BulkResult[AudiencesUpdateResponse202] = client.audiences.bulk_update(edits, body={"name": "vip"})
    print(result.results[0].indexing_token)
