from batch_rest import BatchClient


def sync(client: BatchClient) -> None:
    client.profiles.export(body=["ATTRIBUTES"])  # error: arg-type
