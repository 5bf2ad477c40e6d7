from batch_rest import BatchClient
from batch_rest_generated.models import ProfileEventsExport, ProfilesExportResponse202
from batch_rest_generated.params import ProfileEventsExportDict


def sync(client: BatchClient, export: ProfileEventsExport) -> None:
    first: ProfilesExportResponse202 = client.profiles.export(body=export)
    second: ProfilesExportResponse202 = client.profiles.export(body={"export_type": "ATTRIBUTES"})
    third = client.profiles.export(body={"export_type": "events", "events": ["purchase"], "from": "2026-01-01T00:00Z"})
    events: ProfileEventsExportDict = {"export_type": "events", "to": "2026-02-01T00:00:00Z"}
    fourth = client.profiles.export(body=events)
    print(first.id, second.id, third.id, fourth.id)
