from batch_rest import AsyncBatchClient, BatchClient


def sync(client: BatchClient) -> str:
    url: str = client.exports.download(id="export_1")
    return url.upper()


async def asynchronous(client: AsyncBatchClient) -> str:
    return await client.exports.download(id="export_1", timeout=3)
