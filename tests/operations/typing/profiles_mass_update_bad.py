from batch_rest import BatchClient


def sync(client: BatchClient) -> None:
    client.profiles.mass_update(body={"identifiers": {"custom_id": "u"}})  # error: arg-type
    client.profiles.mass_update()  # error: call-arg
    count: int = client.profiles.mass_update(body=[])  # error: assignment
    client.profiles.bulk_mass_update({"identifiers": {"custom_id": "u"}})  # error: dict-item
    client.profiles.bulk_mass_update(["u1"])  # error: list-item
