from batch_rest import AsyncBatchClient, AsyncPager, BatchClient, Pager
from batch_rest_generated._typed import CatalogsListPage
from batch_rest_generated.models import OneCatalog


def sync(client: BatchClient) -> None:
    pager: Pager[OneCatalog, CatalogsListPage] = client.catalogs.list(page_size=50)
    for catalog in pager:
        print(catalog.name)
    for page in pager.pages():
        print(page.catalogs, page.has_more, page.next_cursor, page.count, len(page))
    one: CatalogsListPage = client.catalogs.list_page(limit=5, cursor=None)
    print([c.name for c in one.catalogs])


async def asynchronous(client: AsyncBatchClient) -> None:
    pager: AsyncPager[OneCatalog, CatalogsListPage] = client.catalogs.list()
    async for catalog in pager:
        print(catalog.fields)
    page: CatalogsListPage = await client.catalogs.list_page()
    print(page.catalogs)
