from batch_rest import BatchClient
from batch_rest_generated.types import UNSET


def sync(client: BatchClient) -> None:
    client.audiences.view()  # error: call-arg
    client.audiences.view(name=5)  # error: arg-type
    client.audiences.view(nam="vip")  # error: call-arg
    client.audiences.view(name="vip", idempotent=True)  # error: call-arg
    client.audiences.view(name="vip").count  # error: attr-defined
    client.audiences.view(name="vip", indexing_token=UNSET)  # error: arg-type
    client.audiences.view(name="vip").name.upper()  # error: union-attr
