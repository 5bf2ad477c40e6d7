from batch_rest import BatchClient


def sync(client: BatchClient) -> None:
    client.profiles.export(body=["ATTRIBUTES"])  # error: arg-type
    # anyOf: no alternative takes the value, or the key, or the type; or the required key is missing
    client.profiles.export(body={"export_type": "everything"})  # error: arg-type
    client.profiles.export(body={"export_type": "ATTRIBUTES", "colour": "red"})  # error: arg-type
    client.profiles.export(body={"export_type": "reachability", "from": 20260101})  # error: arg-type
    client.profiles.export(body={"events": ["purchase"]})  # error: arg-type
