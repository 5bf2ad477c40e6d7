from batch_rest import AsyncBatchClient, BatchClient, BulkResult
from batch_rest_generated.models import ProfilesUpdateResponse202


def sync(client: BatchClient) -> None:
    client.profiles.update(body={"identifiers": {"custom_id": "u"}})  # error: arg-type
    client.profiles.update(body=[1, 2])  # error: list-item
    client.profiles.update()  # error: call-arg
    client.profiles.update(body=[], timeout="5")  # error: arg-type
    count: int = client.profiles.update(body=[])  # error: assignment
    # an item of the array body: an unknown key, a wrong value type, missing required keys (nested, then top)
    client.profiles.update(body=[{"identifiers": {"custom_id": "u"}, "atributes": {}}])  # error: list-item
    client.profiles.update(body=[{"identifiers": {"custom_id": 7}}])  # error: list-item
    client.profiles.update(body=[{"identifiers": {}}])  # error: list-item
    client.profiles.update(body=[{"attributes": {"plan": "gold"}}])  # error: list-item
    client.profiles.update(body=[{"identifiers": {"custom_id": "u"}, "events": [{"nme": "seen"}]}])  # error: list-item


async def asynchronous(client: AsyncBatchClient) -> None:
    client.profiles.update(body=[]).code  # error: attr-defined


def bulk(client: BatchClient) -> None:
    client.profiles.bulk_update([1, 2])  # error: list-item
    client.profiles.bulk_update([{"identifiers": {"custom_id": "u"}, "atributes": {}}])  # error: list-item
    client.profiles.bulk_update([], body={"x": 1})  # error: call-arg
    client.profiles.bulk_update([], chunk_size="5")  # error: arg-type
    client.profiles.bulk_update([], on_progress=len)  # error: arg-type
    client.profiles.with_raw_response.bulk_update([])  # error: attr-defined
    count: BulkResult[int] = client.profiles.bulk_update([])  # error: assignment


async def bulk_async(client: AsyncBatchClient) -> None:
    result: BulkResult[ProfilesUpdateResponse202] = client.profiles.bulk_update([])  # error: assignment
