from batch_rest import AsyncBatchClient, BatchClient
from batch_rest_generated.models import (
    AudienceIdEdit,
    AudienceIdEditAction,
    AudiencesReplaceBody,
    AudiencesReplaceResponse202,
)


def sync(client: BatchClient) -> None:
    edit = AudienceIdEdit(action=AudienceIdEditAction.ADD, id="u-1")
    result: AudiencesReplaceResponse202 = client.audiences.replace(body=AudiencesReplaceBody(name="vip", ids=[edit]))
    other: AudiencesReplaceResponse202 = client.audiences.replace(
        body={"name": "vip", "ids": [{"action": "remove", "id": "u-2"}]}
    )
    print(result.indexing_token, other.indexing_token)


async def asynchronous(client: AsyncBatchClient) -> None:
    result: AudiencesReplaceResponse202 = await client.audiences.replace(body={"name": "vip", "ids": []})
    print(result.indexing_token)
