from batch_rest import BatchClient
from batch_rest_generated.models import CatalogsCreateResponse201


def sync(client: BatchClient) -> None:
    created: CatalogsCreateResponse201 = client.catalogs.create(
        body={"name": "products", "fields": [{"name": "price", "field_type": "float"}]}
    )
    print(created.additional_properties)
