from batch_rest import BatchClient
from batch_rest_generated.models import CatalogsCreateResponse201
from batch_rest_generated.params import CatalogsCreateBodyDict, CatalogsCreateBodyFieldsItemDict


def sync(client: BatchClient) -> None:
    created: CatalogsCreateResponse201 = client.catalogs.create(
        body={"name": "products", "fields": [{"name": "price", "field_type": "float"}]}
    )
    fields: list[CatalogsCreateBodyFieldsItemDict] = [{"name": "title", "field_type": "string"}]
    body: CatalogsCreateBodyDict = {"name": "books", "fields": fields}
    client.catalogs.create(body=body)
    print(created.additional_properties)
