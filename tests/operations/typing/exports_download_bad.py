from batch_rest import BatchClient


def sync(client: BatchClient) -> None:
    size: int = client.exports.download(id="e")  # error: assignment
    client.exports.download(id=1)  # error: arg-type
    client.exports.download()  # error: call-arg
