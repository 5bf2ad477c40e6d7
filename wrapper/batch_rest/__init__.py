"""Python client for Batch's REST API.

    import batch_rest
    with batch_rest.BatchClient() as client:          # keys from $BATCH_REST_API_KEY / $BATCH_PROJECT_KEY
        for segment in client.segments.list():        # every operation: client.<resource>.<action>(...)
            print(segment.code, segment.created_at)

Imports are lazy (PEP 562), so that `batch-rest --help` and `import batch_rest.testing` stay fast: httpx,
attrs and the generated package load on first use of a name below.
"""

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ._bulk import BulkFailure, BulkProgress, BulkResult
    from ._client import AsyncBatchClient, BatchClient
    from ._paging import AsyncPager, Page, Pager
    from ._resource import RawResponse
    from ._seam import Segment
    from ._version import __version__
    from .errors import (
        APIError,
        AuthenticationError,
        BadRequestError,
        BatchConnectionError,
        BatchError,
        BatchTimeoutError,
        ClientClosedError,
        ConfigurationError,
        MalformedResponseError,
        NotFoundError,
        PaginationError,
        PermissionDeniedError,
        RateLimitError,
        ServerError,
        ServiceUnavailableError,
        UnexpectedStatusError,
    )

__all__ = [
    "APIError",
    "AsyncBatchClient",
    "AsyncPager",
    "AuthenticationError",
    "BadRequestError",
    "BatchClient",
    "BatchConnectionError",
    "BatchError",
    "BatchTimeoutError",
    "BulkFailure",
    "BulkProgress",
    "BulkResult",
    "ClientClosedError",
    "ConfigurationError",
    "MalformedResponseError",
    "NotFoundError",
    "Page",
    "Pager",
    "PaginationError",
    "PermissionDeniedError",
    "RateLimitError",
    "RawResponse",
    "Segment",
    "ServerError",
    "ServiceUnavailableError",
    "UnexpectedStatusError",
    "__version__",
]

_MODULE_OF = {
    "._bulk": ("BulkFailure", "BulkProgress", "BulkResult"),
    "._client": ("AsyncBatchClient", "BatchClient"),
    "._paging": ("AsyncPager", "Page", "Pager"),
    "._resource": ("RawResponse",),
    "._seam": ("Segment",),
    ".errors": tuple(name for name in __all__ if name.endswith("Error")),
}
_WHERE = {name: module for module, names in _MODULE_OF.items() for name in names} | {"__version__": "._version"}


def __getattr__(name: str) -> Any:
    if name not in _WHERE:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(_WHERE[name], __name__), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(__all__)
