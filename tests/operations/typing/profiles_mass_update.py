from batch_rest import AsyncBatchClient, BatchClient, BulkResult
from batch_rest_generated.models import EditProfile, EditProfileIdentifiers, ProfilesMassUpdateResponse202


def sync(client: BatchClient) -> None:
    model = EditProfile(identifiers=EditProfileIdentifiers(custom_id="u1"))
    result: ProfilesMassUpdateResponse202 = client.profiles.mass_update(
        body=[model, {"identifiers": {"custom_id": "u2"}}]
    )
    print(result.code)


async def asynchronous(client: AsyncBatchClient) -> None:
    result: ProfilesMassUpdateResponse202 = await client.profiles.mass_update(body=[])
    print(result.code)


def bulk(client: BatchClient) -> None:
    model = EditProfile(identifiers=EditProfileIdentifiers(custom_id="u1"))
    result: BulkResult[ProfilesMassUpdateResponse202] = client.profiles.bulk_mass_update(
        (model for _ in range(10)), chunk_size=5_000
    )
    print(result.accepted, [r.code for r in result.results])
