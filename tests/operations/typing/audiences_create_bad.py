from batch_rest import BatchClient


def sync(client: BatchClient) -> None:
    client.audiences.create(body="vip")  # error: arg-type
    client.audiences.create(name="vip")  # error: call-arg
    client.audiences.create(body={}).name  # error: attr-defined
