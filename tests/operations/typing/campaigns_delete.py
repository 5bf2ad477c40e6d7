from batch_rest import BatchClient
from batch_rest_generated.models import CampaignsDeleteBody


def sync(client: BatchClient) -> None:
    client.campaigns.delete(body=CampaignsDeleteBody(id="orchestration_1"))
    client.campaigns.delete(body={"id": "orchestration_2"}, idempotent=True)
