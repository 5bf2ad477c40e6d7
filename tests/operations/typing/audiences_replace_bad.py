from batch_rest import BatchClient


def sync(client: BatchClient) -> None:
    client.audiences.replace(body=[{"action": "add", "id": "u-1"}])  # error: arg-type
    client.audiences.replace()  # error: call-arg
    client.audiences.replace(body={"name": "vip", "ids": []}).name  # error: attr-defined
    client.audiences.bulk_replace([{"action": "add", "id": "u-1"}], body={"name": "vip"})  # error: attr-defined
