from batch_rest import AsyncBatchClient, BatchClient, RawResponse
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
