from batch_rest import BatchClient
from batch_rest_generated.models import AudiencesCreateBody, AudiencesCreateBodyType, AudiencesCreateResponse202
from batch_rest_generated.params import AudiencesCreateBodyDict


def sync(client: BatchClient) -> None:
    body = AudiencesCreateBody(name="vip", type_=AudiencesCreateBodyType.CUSTOM_IDS)
    token: AudiencesCreateResponse202 = client.audiences.create(body=body)
    other: AudiencesCreateResponse202 = client.audiences.create(body={"name": "vip", "type": "custom_ids"})
    typed: AudiencesCreateBodyDict = {"name": "vip", "type": "install_ids", "display_name": "VIP"}
    third = client.audiences.create(body=typed, idempotent=True)
    print(token.indexing_token, other.indexing_token, third.indexing_token)
