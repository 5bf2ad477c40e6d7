from batch_rest import BatchClient


def sync(client: BatchClient) -> None:
    client.audiences.update(body=[{"action": "add", "id": "u-1"}])  # error: arg-type
    client.audiences.update()  # error: call-arg
    client.audiences.update(body={"name": "vip", "ids": []}).name  # error: attr-defined
    client.audiences.bulk_update([], body={"name": "vip"}).indexing_token  # error: attr-defined
