from batch_rest import BatchClient
from batch_rest_generated.models import CatalogsItemsEditBody


def sync(client: BatchClient) -> None:
    client.catalogs.items_edit(body=[{"id": "sku-1"}])  # error: arg-type
    client.catalogs.items_edit()  # error: call-arg
    client.catalogs.items_edit(body={"name": "shop", "items": []}).name  # error: attr-defined
    client.catalogs.bulk_items_edit([{"id": "sku-1", "action": "upsert"}])  # error: call-arg
    client.catalogs.bulk_items_edit([], body=["shop"])  # error: arg-type
    client.catalogs.bulk_items_edit([{"id": "sku-1", "action": "upsrt"}], body={"name": "shop"})  # error: list-item
    client.catalogs.bulk_items_edit([CatalogsItemsEditBody(name="shop", items=[])], body={})  # error: list-item
