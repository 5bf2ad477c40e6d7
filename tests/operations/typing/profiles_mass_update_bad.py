from batch_rest import BatchClient


def sync(client: BatchClient) -> None:
    client.profiles.mass_update(body={"identifiers": {"custom_id": "u"}})  # error: arg-type
    client.profiles.mass_update()  # error: call-arg
    count: int = client.profiles.mass_update(body=[])  # error: assignment
