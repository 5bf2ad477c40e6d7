from collections.abc import AsyncIterator, Iterator
from pathlib import Path

from batch_rest import AsyncBatchClient, BatchClient, BulkFailure, BulkProgress, BulkResult, RawResponse
from batch_rest_generated.models import EditProfile, EditProfileIdentifiers, ProfilesUpdateResponse202
from batch_rest_generated.params import EditProfileDict


def sync(client: BatchClient) -> None:
    model = EditProfile(identifiers=EditProfileIdentifiers(custom_id="u1"))
    result: ProfilesUpdateResponse202 = client.profiles.update(
        body=[model, {"identifiers": {"custom_id": "u2"}}], timeout=5.0, max_retries=1, idempotent=True
    )
    edits: list[EditProfile] = [model]
    raw: RawResponse[ProfilesUpdateResponse202] = client.profiles.with_raw_response.update(body=edits)
    print(result.code, raw.status_code, raw.parse().code)
    edit: EditProfileDict = {
        "identifiers": {"custom_id": "u3"},
        "attributes": {"plan": "gold", "age": 41, "tags": ["a"]},  # additionalProperties: any JSON
        "events": [{"name": "seen", "attributes": {"page": 3}}],
    }
    plain: list[EditProfileDict] = [edit]
    client.profiles.update(body=plain)
    client.profiles.update(body=(model, edit))


async def asynchronous(client: AsyncBatchClient) -> None:
    result: ProfilesUpdateResponse202 = await client.profiles.update(body=[{"identifiers": {"custom_id": "u"}}])
    print(result.code)


def bulk(client: BatchClient, edits: Iterator[EditProfile]) -> None:
    def show(progress: BulkProgress) -> None:
        print(progress.accepted, progress.rate, progress.in_flight)

    model = EditProfile(identifiers=EditProfileIdentifiers(custom_id="u1"))
    result: BulkResult[ProfilesUpdateResponse202] = client.profiles.bulk_update(
        [model, {"identifiers": {"custom_id": "u2"}}],
        chunk_size=100,
        max_in_flight=8,
        items_per_second=250.0,
        requests_per_second=None,
        idempotent=True,
        timeout=5.0,
        max_retries=2,
        extra_headers={"X-Trace": "t"},
        on_progress=show,
        checkpoint=Path("edits.checkpoint"),
    )
    streamed: BulkResult[ProfilesUpdateResponse202] = client.profiles.bulk_update(edits, checkpoint="run.ckpt")
    first: ProfilesUpdateResponse202 = result.results[0]
    failure: BulkFailure = streamed.failures[0]
    print(first.code, failure.start, failure.outcome, failure.error, result.accepted + result.skipped, result.ok)


async def bulk_async(client: AsyncBatchClient) -> None:
    async def edits() -> AsyncIterator[EditProfile | EditProfileDict]:
        yield {"identifiers": {"custom_id": "u1"}}

    result: BulkResult[ProfilesUpdateResponse202] = await client.profiles.bulk_update(edits(), max_in_flight=16)
    listed: BulkResult[ProfilesUpdateResponse202] = await client.profiles.bulk_update(
        [{"identifiers": {"custom_id": "u2"}}]
    )
    print(result.unknown, listed.rejected)
