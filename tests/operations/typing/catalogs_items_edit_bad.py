from batch_rest import BatchClient


def sync(client: BatchClient) -> None:
    client.catalogs.items_edit(body=[{"id": "sku-1"}])  # error: arg-type
    client.catalogs.items_edit()  # error: call-arg
    client.catalogs.items_edit(body={"name": "shop", "items": []}).name  # error: attr-defined
