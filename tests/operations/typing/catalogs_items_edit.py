from batch_rest import AsyncBatchClient, BatchClient, BulkResult
from batch_rest_generated.models import (
    CatalogsItemsEditBody,
    CatalogsItemsEditBodyItemsItem,
    CatalogsItemsEditBodyItemsItemAction,
    CatalogsItemsEditResponse202,
)


def sync(client: BatchClient) -> None:
    item = CatalogsItemsEditBodyItemsItem(id="sku-1", action=CatalogsItemsEditBodyItemsItemAction.UPSERT)
    result: CatalogsItemsEditResponse202 = client.catalogs.items_edit(
        body=CatalogsItemsEditBody(name="shop", items=[item])
    )
    other: CatalogsItemsEditResponse202 = client.catalogs.items_edit(
        body={"name": "shop", "items": [{"id": "sku-2", "action": "delete"}]}
    )
    print(result.indexing_token, other.indexing_token)


async def asynchronous(client: AsyncBatchClient) -> None:
    result: CatalogsItemsEditResponse202 = await client.catalogs.items_edit(body={"name": "shop", "items": []})
    print(result.indexing_token)


def bulk(client: BatchClient) -> None:
    item = CatalogsItemsEditBodyItemsItem(id="sku-1", action=CatalogsItemsEditBodyItemsItemAction.UPSERT)
    result: BulkResult[CatalogsItemsEditResponse202] = client.catalogs.bulk_items_edit(
        [item, {"id": "sku-2", "action": "delete"}], body={"name": "shop"}, requests_per_second=2.0
    )
    print(result.results[0].indexing_token)


async def bulk_async(client: AsyncBatchClient) -> None:
    result: BulkResult[CatalogsItemsEditResponse202] = await client.catalogs.bulk_items_edit([], body={"name": "shop"})
    print(result.accepted)
