from batch_rest import BatchClient
from batch_rest_generated.models import ExportsViewResponse200


def sync(client: BatchClient) -> None:
    export: ExportsViewResponse200 = client.exports.view(id="export_1")
    print(export.status, export.files)
