from batch_rest import BatchClient


def sync(client: BatchClient) -> None:
    result = client.campaigns.delete(body={"id": "c"})  # error: func-returns-value
    client.campaigns.delete(body=["c"])  # error: arg-type
