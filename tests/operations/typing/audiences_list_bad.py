from batch_rest import BatchClient


def sync(client: BatchClient) -> None:
    client.audiences.list(limit=5)  # error: call-arg
    name: int = client.audiences.list_page().audiences[0].name  # error: assignment
