from batch_rest import BatchClient


def sync(client: BatchClient) -> None:
    client.audiences.create(body="vip")  # error: arg-type
    client.audiences.create(name="vip")  # error: call-arg
    client.audiences.create(body={"name": "v", "type": "custom_ids"}).name  # error: attr-defined
    # a literal dict body: an unknown key, a wrong value type, a value outside the enum, a missing required key
    client.audiences.create(body={"nme": "vip", "type": "custom_ids"})  # error: arg-type
    client.audiences.create(body={"name": "vip", "type": 12})  # error: arg-type
    client.audiences.create(body={"name": "vip", "type": "emails"})  # error: arg-type
    client.audiences.create(body={"type": "custom_ids"})  # error: arg-type
    # an optional response field may be None
    client.audiences.create(body={"name": "vip", "type": "custom_ids"}).indexing_token.upper()  # error: union-attr
