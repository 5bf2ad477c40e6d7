from batch_rest import BatchClient


def sync(client: BatchClient) -> None:
    client.exports.view(export_id="export_1")  # error: call-arg
