from batch_rest import BatchClient


def sync(client: BatchClient) -> None:
    client.catalogs.create(body=None)  # error: arg-type
