from batch_rest import BatchClient


def sync(client: BatchClient) -> None:
    client.catalogs.list(page_size="10")  # error: arg-type
    client.catalogs.list_page(cursor=5)  # error: arg-type
    client.catalogs.list_page().segments  # error: attr-defined
    for catalog in client.catalogs.list():
        catalog.code  # error: attr-defined
