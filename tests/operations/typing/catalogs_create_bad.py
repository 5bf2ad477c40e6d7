from batch_rest import BatchClient


def sync(client: BatchClient) -> None:
    client.catalogs.create(body=None)  # error: arg-type
    # a nested item: a value outside the enum, a missing required key, an unknown key
    client.catalogs.create(body={"name": "p", "fields": [{"name": "a", "field_type": "money"}]})  # error: arg-type
    client.catalogs.create(body={"name": "p", "fields": [{"name": "a"}]})  # error: arg-type
    client.catalogs.create(body={"name": "", "fields": [{"name": "a", "field_type": "url", "y": 0}]})  # error: arg-type
    client.catalogs.create(body={"name": "p"})  # error: arg-type
