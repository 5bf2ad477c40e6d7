from batch_rest import BatchClient
from batch_rest_generated.models import ProfileEventsExport, ProfilesExportResponse202


def sync(client: BatchClient, export: ProfileEventsExport) -> None:
    first: ProfilesExportResponse202 = client.profiles.export(body=export)
    second: ProfilesExportResponse202 = client.profiles.export(body={"export_type": "ATTRIBUTES"})
    print(first.id, second.id)
