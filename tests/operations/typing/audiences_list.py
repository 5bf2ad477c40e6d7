from batch_rest import BatchClient


def sync(client: BatchClient) -> None:
    for audience in client.audiences.list(start_cursor="c"):
        print(audience.name, audience.nb_ids)
    print(client.audiences.list_page().audiences)
