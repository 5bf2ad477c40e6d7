from typing import assert_type

from batch_rest import BatchClient
from batch_rest_generated.models import ExportsViewResponse200, ExportsViewResponse200FilesItem


def sync(client: BatchClient) -> None:
    export: ExportsViewResponse200 = client.exports.view(id="export_1")
    print(export.status, export.files)
    assert_type(export.end_date, None | str)  # nullable: None when null or absent; model_fields_set tells them apart
    assert_type(export.request_date, str | None)
    assert_type(export.files, list[ExportsViewResponse200FilesItem] | None)
    ended = "end_date" in export.model_fields_set and export.end_date is None
    print(ended, sorted(export.model_fields_set))
