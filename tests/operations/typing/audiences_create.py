from batch_rest import BatchClient
from batch_rest_generated.models import AudiencesCreateBody, AudiencesCreateBodyType, AudiencesCreateResponse202


def sync(client: BatchClient) -> None:
    body = AudiencesCreateBody(name="vip", type_=AudiencesCreateBodyType.CUSTOM_IDS)
    token: AudiencesCreateResponse202 = client.audiences.create(body=body)
    other: AudiencesCreateResponse202 = client.audiences.create(body={"name": "vip", "type": "custom_ids"})
    print(token.indexing_token, other.indexing_token)
