"""Everything the client raises on purpose.

    BatchError                     base of everything below
    ├── ConfigurationError         missing credentials, bad base URL or API version, broken generated code
    ├── ClientClosedError          the client was used after close()
    ├── APIError                   the server answered with an error status
    │   ├── BadRequestError        400
    │   ├── AuthenticationError    401
    │   ├── PermissionDeniedError  403
    │   ├── NotFoundError          404
    │   ├── RateLimitError         429 (see .retry_after)
    │   ├── ServerError            any 5xx, including non-standard ones such as 520
    │   │   └── ServiceUnavailableError  503
    │   └── UnexpectedStatusError  any other status (3xx, 409, 418, ...)
    ├── BatchConnectionError       could not reach the server, or the connection dropped (.request_sent)
    │   └── BatchTimeoutError
    ├── MalformedResponseError     a success status whose body is not what the spec says
    └── PaginationError            the server's cursors make no progress

Bad arguments raise the built-in `TypeError` / `ValueError` before any request is sent.

`error_for_response` and `error_for_exception` are the only places that decide which error a response or a
foreign exception becomes. No message or attribute ever contains the API key: errors are built from the
response (status, headers, body) and the request line (method, URL); the `.request` and `.response` they keep
are copies with Authorization redacted and the key scrubbed from bodies and headers, in case a server or proxy
echoes it. Every error pickles with its attributes (multiprocessing, task queues).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any

from ._secret import Secret

if TYPE_CHECKING:
    import httpx  # imported where used, so that the CLI's --help (which imports this module) does not load it

__all__ = [
    "APIError",
    "AuthenticationError",
    "BadRequestError",
    "BatchConnectionError",
    "BatchError",
    "BatchTimeoutError",
    "ClientClosedError",
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
    """Base class of every error this client raises on purpose. `attempts`: requests sent before giving up."""

    attempts: int | None = None

    def __reduce__(self) -> tuple[Any, ...]:
        # Exception's own pickling calls cls(*args), which keyword-only constructors refuse.
        return _rebuild, (type(self), self.args, self.__dict__)


def _rebuild(cls: type[BatchError], args: tuple[Any, ...], state: dict[str, Any]) -> BatchError:
    error = cls.__new__(cls)
    error.args = args
    error.__dict__.update(state)
    return error


class ConfigurationError(BatchError):
    """The client cannot be built as configured (missing key, bad base URL, ...)."""


class ClientClosedError(BatchError):
    """The client was used after close() (or after its `with` block); create a new one."""


class APIError(BatchError):
    """The server answered with an error status.

    `error_code` / `error_message` come from Batch's `{"error_code", "error_message"}` body when there is one;
    `body_excerpt` holds the start of any other body. `retry_after` is the server's Retry-After in seconds.
    `request` / `response` are the httpx objects, the body read, Authorization redacted and the key scrubbed.
    """

    request: httpx.Request | None = None
    response: httpx.Response | None = None

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
    """The server could not be reached, or the connection failed before a full response arrived.

    `request_sent` is False when the connection could not even be made: the server cannot have acted on it.
    """

    request_sent: bool = True


class BatchTimeoutError(BatchConnectionError):
    """The request took longer than the client's timeout."""


class MalformedResponseError(BatchError):
    """A success status whose body is not what the API description says. `response`: as on APIError."""

    response: httpx.Response | None = None

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


def _shown_request(request: httpx.Request, secrets: tuple[Secret, ...]) -> httpx.Request:
    import httpx  # noqa: PLC0415 - see the imports

    return httpx.Request(
        request.method,
        request.url,
        headers=_shown_headers(request.headers, secrets),
        content=_scrub_bytes(request.content, secrets),
    )


def _shown_response(response: httpx.Response, secrets: tuple[Secret, ...]) -> httpx.Response:
    """A copy of `response` that is safe to show, log or pickle; its body is already decoded."""
    import httpx  # noqa: PLC0415 - see the imports

    return httpx.Response(
        response.status_code,
        headers=_shown_headers(response.headers, secrets, drop={b"content-encoding", b"content-length"}),
        content=_scrub_bytes(response.content, secrets),
        request=_shown_request(response.request, secrets),
    )


def _shown_headers(
    headers: httpx.Headers, secrets: tuple[Secret, ...], drop: frozenset[bytes] | set[bytes] = frozenset()
) -> list[tuple[bytes, bytes]]:
    # Raw bytes: a server may send values that are not ASCII, and they must survive the copy as they came.
    return [
        (name, b"[REDACTED]" if name.lower() == b"authorization" else _scrub_bytes(value, secrets))
        for name, value in headers.raw
        if name.lower() not in drop and name.lower() != b"transfer-encoding"
    ]


def _scrub_bytes(content: bytes, secrets: tuple[Secret, ...]) -> bytes:
    for secret in secrets:
        content = content.replace(secret.reveal().encode(), b"[REDACTED]")
    return content


def error_for_response(response: httpx.Response, *, secrets: Iterable[Secret] = ()) -> APIError:
    """The error an unsuccessful response means. Never raises, whatever the body."""
    from ._retry import parse_retry_after  # noqa: PLC0415 - see the imports

    status = response.status_code
    cls = _ERROR_FOR_STATUS.get(status) or (ServerError if 500 <= status <= 599 else UnexpectedStatusError)
    error_code, error_message = _batch_error_fields(response.content)
    secrets = tuple(secrets)
    error = cls(
        status_code=status,
        method=response.request.method,
        url=str(response.request.url),
        headers={k: _scrub(v, secrets) for k, v in response.headers.items()},
        error_code=error_code and _scrub(error_code, secrets),
        error_message=error_message and _scrub(error_message, secrets),
        body_excerpt=None if error_code or error_message else body_excerpt(response.content, secrets) or None,
        retry_after=parse_retry_after(response.headers.get("retry-after")),
    )
    error.response = _shown_response(response, secrets)
    error.request = error.response.request
    return error


def malformed(reason: str, response: httpx.Response, *, secrets: Iterable[Secret] = ()) -> MalformedResponseError:
    secrets = tuple(secrets)
    error = MalformedResponseError(
        _scrub(reason, secrets),
        status_code=response.status_code,
        method=response.request.method,
        url=str(response.request.url),
        body_excerpt=body_excerpt(response.content, secrets),
    )
    error.response = _shown_response(response, secrets)
    return error


def error_for_exception(exc: httpx.HTTPError, request: httpx.Request) -> BatchError:
    """The error an httpx exception raised while sending `request` means."""
    import httpx  # noqa: PLC0415 - see the imports

    # The connection could not be made: the request never left, so the server cannot have acted on it.
    nothing_sent = (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout, httpx.UnsupportedProtocol)
    where = f"{request.method} {request.url}"
    if isinstance(exc, httpx.DecodingError):
        return MalformedResponseError(
            f"body could not be decoded ({exc})",
            status_code=None,
            method=request.method,
            url=str(request.url),
            body_excerpt="",
        )
    if isinstance(exc, httpx.TimeoutException):
        error: BatchConnectionError = BatchTimeoutError(f"{where} timed out ({type(exc).__name__})")
    else:
        error = BatchConnectionError(f"{where} failed: {type(exc).__name__}: {exc}")
    error.request_sent = not isinstance(exc, nothing_sent)
    return error
