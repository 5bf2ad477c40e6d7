from batch_rest import BatchClient


def sync(client: BatchClient) -> None:
    client.exports.view(export_id="export_1")  # error: call-arg
    client.exports.view(id="export_1").end_date.upper()  # error: union-attr
    client.exports.view(id="export_1").files[0]  # error: index
