"""Everything the client raises on purpose.

    BatchError                     base of everything below
    ├── ConfigurationError         missing credentials, bad base URL or API version
    ├── APIError                   the server answered with an error status
    │   ├── BadRequestError        400
    │   ├── AuthenticationError    401
    │   ├── PermissionDeniedError  403
    │   ├── NotFoundError          404
    │   ├── RateLimitError         429 (see .retry_after)
    │   ├── ServerError            any 5xx, including non-standard ones such as 520
    │   │   └── ServiceUnavailableError  503
    │   └── UnexpectedStatusError  any other status (3xx, 409, 418, ...)
    ├── BatchConnectionError       could not reach the server, or the connection dropped
    │   └── BatchTimeoutError
    ├── MalformedResponseError     a success status whose body is not what the spec says
    └── PaginationError            the server's cursors make no progress

Bad arguments raise the built-in `TypeError` / `ValueError` before any request is sent.

`error_for_response` and `error_for_exception` are the only places that decide which error a response or a
foreign exception becomes. No message or attribute ever contains the API key: errors are built from the
response (status, headers, body) and the request line (method, URL), never from request headers, and the
body text is scrubbed of the key in case a server or proxy echoes it.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from typing import Any

import httpx

from ._retry import parse_retry_after
from ._secret import Secret

__all__ = [
    "APIError",
    "AuthenticationError",
    "BadRequestError",
    "BatchConnectionError",
    "BatchError",
    "BatchTimeoutError",
    "ConfigurationError",
    "MalformedResponseError",
    "NotFoundError",
    "PaginationError",
    "PermissionDeniedError",
    "RateLimitError",
    "ServerError",
    "ServiceUnavailableError",
    "UnexpectedStatusError",
]

_EXCERPT_CHARS = 200


class BatchError(Exception):
    """Base class of every error this client raises on purpose."""


class ConfigurationError(BatchError):
    """The client cannot be built as configured (missing key, bad base URL, ...)."""


class APIError(BatchError):
    """The server answered with an error status.

    `error_code` / `error_message` come from Batch's `{"error_code", "error_message"}` body when there is one;
    `body_excerpt` holds the start of any other body. `retry_after` is the server's Retry-After in seconds.
    """

    def __init__(
        self,
        *,
        status_code: int,
        method: str,
        url: str,
        headers: Mapping[str, str],
        error_code: str | None = None,
        error_message: str | None = None,
        body_excerpt: str | None = None,
        retry_after: float | None = None,
    ) -> None:
        self.status_code = status_code
        self.method = method
        self.url = url
        self.headers = dict(headers)
        self.error_code = error_code
        self.error_message = error_message
        self.body_excerpt = body_excerpt
        self.retry_after = retry_after
        detail = ": ".join(part for part in (error_code, error_message or body_excerpt) if part)
        super().__init__(f"{status_code} from {method} {url}" + (f" - {detail}" if detail else ""))


class BadRequestError(APIError):
    """400: the request is malformed (for example an unknown or expired cursor)."""


class AuthenticationError(APIError):
    """401: the REST API key is not valid for this project."""


class PermissionDeniedError(APIError):
    """403."""


class NotFoundError(APIError):
    """404."""


class RateLimitError(APIError):
    """429: too many requests. `retry_after` is the server's Retry-After in seconds, or None."""


class ServerError(APIError):
    """Any 5xx."""


class ServiceUnavailableError(ServerError):
    """503: Batch's services are under maintenance."""


class UnexpectedStatusError(APIError):
    """A status that is neither success nor one of the errors above."""


class BatchConnectionError(BatchError):
    """The server could not be reached, or the connection failed before a full response arrived."""


class BatchTimeoutError(BatchConnectionError):
    """The request took longer than the client's timeout."""


class MalformedResponseError(BatchError):
    """A success status whose body is not what the API description says."""

    def __init__(self, reason: str, *, status_code: int | None, method: str, url: str, body_excerpt: str) -> None:
        self.reason = reason
        self.status_code = status_code
        self.method = method
        self.url = url
        self.body_excerpt = body_excerpt
        status = f"{status_code} from " if status_code is not None else ""
        super().__init__(f"{status}{method} {url} has an unexpected body: {reason}")


class PaginationError(BatchError):
    """The server's cursors make no progress (has_more without next_from, or a cursor seen before)."""

    def __init__(self, reason: str, *, cursor: str | None) -> None:
        self.reason = reason
        self.cursor = cursor
        super().__init__(reason)


_ERROR_FOR_STATUS: dict[int, type[APIError]] = {
    400: BadRequestError,
    401: AuthenticationError,
    403: PermissionDeniedError,
    404: NotFoundError,
    429: RateLimitError,
    503: ServiceUnavailableError,
}


def _scrub(text: str, secrets: Iterable[Secret]) -> str:
    for secret in secrets:
        text = text.replace(secret.reveal(), "[REDACTED]")
    return text


def body_excerpt(content: bytes, secrets: Iterable[Secret] = ()) -> str:
    text = content[: _EXCERPT_CHARS * 4].decode("utf-8", errors="replace")
    excerpt = text[:_EXCERPT_CHARS] + ("..." if len(content) > _EXCERPT_CHARS else "")
    return _scrub(excerpt, secrets)


def _batch_error_fields(content: bytes) -> tuple[str | None, str | None]:
    try:
        body: Any = json.loads(content)
    except (ValueError, RecursionError):
        return None, None
    if not isinstance(body, dict):
        return None, None
    code, message = body.get("error_code"), body.get("error_message")
    return (code if isinstance(code, str) else None), (message if isinstance(message, str) else None)


def error_for_response(response: httpx.Response, *, secrets: Iterable[Secret] = ()) -> APIError:
    """The error an unsuccessful response means. Never raises, whatever the body."""
    status = response.status_code
    cls = _ERROR_FOR_STATUS.get(status) or (ServerError if 500 <= status <= 599 else UnexpectedStatusError)
    error_code, error_message = _batch_error_fields(response.content)
    secrets = tuple(secrets)
    return cls(
        status_code=status,
        method=response.request.method,
        url=str(response.request.url),
        headers=response.headers,
        error_code=error_code and _scrub(error_code, secrets),
        error_message=error_message and _scrub(error_message, secrets),
        body_excerpt=None if error_code or error_message else body_excerpt(response.content, secrets) or None,
        retry_after=parse_retry_after(response.headers.get("retry-after")),
    )


def malformed(reason: str, response: httpx.Response, *, secrets: Iterable[Secret] = ()) -> MalformedResponseError:
    secrets = tuple(secrets)
    return MalformedResponseError(
        _scrub(reason, secrets),
        status_code=response.status_code,
        method=response.request.method,
        url=str(response.request.url),
        body_excerpt=body_excerpt(response.content, secrets),
    )


def error_for_exception(exc: httpx.HTTPError, request: httpx.Request) -> BatchError:
    """The error an httpx exception raised while sending `request` means."""
    where = f"{request.method} {request.url}"
    if isinstance(exc, httpx.TimeoutException):
        return BatchTimeoutError(f"{where} timed out ({type(exc).__name__})")
    if isinstance(exc, httpx.DecodingError):
        return MalformedResponseError(
            f"body could not be decoded ({exc})",
            status_code=None,
            method=request.method,
            url=str(request.url),
            body_excerpt="",
        )
    return BatchConnectionError(f"{where} failed: {type(exc).__name__}: {exc}")
