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

`error_for_response`, `malformed` and `error_for_exception` are the only places that build an error from a
response or a foreign exception, and `Redaction` the only place that decides what must not show: every
credential the request carried (the client's key, and any header whose name says it holds one, whoever set it).
Messages and attributes are built from the response (status, headers, body) and the request line, scrubbed; the
`.request` and `.response` an error keeps are copies with credential headers redacted and credentials scrubbed
from bodies, headers and URLs, in case a server or proxy echoes them; the httpx exception an error is chained to
(`__cause__`) is such a copy too, without the traceback and chain whose frames hold the original request. Every
error pickles with its attributes (multiprocessing, task queues).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Iterator, Mapping
from typing import TYPE_CHECKING, Any, AnyStr

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
    `request` / `response` are copies of the httpx objects, the body read, credentials hidden (see Redaction).
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
    `request` is a copy of the request, credentials redacted; `__cause__` is httpx's exception, scrubbed the same.
    """

    request_sent: bool = True
    request: httpx.Request | None = None


class BatchTimeoutError(BatchConnectionError):
    """The request took longer than the client's timeout."""


class MalformedResponseError(BatchError):
    """A success status whose body is not what the API description says. `request`, `response`: as on APIError."""

    request: httpx.Request | None = None
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


# -- what must never show: the credentials a request carried ------------------------------------------------------

_REDACTED = "[REDACTED]"
# A header carries a credential when its name says so: Authorization, Proxy-Authorization, Cookie, X-Api-Key,
# X-Auth-Token, Ocp-Apim-Subscription-Key... A false positive costs a redacted header in an error's copy; a false
# negative, a leaked key. X-Batch-Project is not one: the project key names a project, grants nothing without the
# REST key, and shows in the client's repr; scrubbing it from texts would also mangle them (it is short and
# readable). Challenges (WWW-Authenticate) carry no credential and say why a 401 happened.
_CREDENTIAL_NAME = re.compile(r"auth|cookie|key|token|secret|passw|session|credential|signature", re.IGNORECASE)
_CHALLENGES = frozenset({"www-authenticate", "proxy-authenticate"})
# Credentials found in headers are searched for in texts only from this length on: a shorter value (a cookie
# `lang=en`) cannot be told from ordinary text, and replacing every "en" would garble the error. The client's own
# key is always searched for, whatever its length.
_SHORTEST_SEARCHED = 8
_PART_SEPARATORS = re.compile(rb"[\s,;]+")
# A token (no scheme, no name=, at most base64's padding): what is left of one cut short is still searched for.
_TOKEN = re.compile(rb"[^\s,;=]+=*")


def is_credential_header(name: str | bytes) -> bool:
    """Whether a header of this name carries a credential (its value is never shown)."""
    text = name.decode("latin-1") if isinstance(name, bytes) else name
    return _CREDENTIAL_NAME.search(text) is not None and text.lower() not in _CHALLENGES


def headers_repr(headers: object) -> str:
    """The repr of headers a caller passed (a mapping, or name-value pairs), credential values hidden: what a
    traceback's locals show of the options holding them."""
    pairs = headers.items() if isinstance(headers, Mapping) else headers
    if not isinstance(pairs, Iterable) or isinstance(pairs, str | bytes):
        return repr(headers)
    try:
        shown = {
            name: _REDACTED if isinstance(name, str | bytes) and is_credential_header(name) else value
            for name, value in pairs
        }
    except (TypeError, ValueError):  # not pairs: a bad argument, about to be refused; it shows as it came
        return repr(headers)
    return repr(shown)


def _credential_parts(value: bytes) -> Iterator[bytes]:
    """A credential header's value, and the secrets inside it: the token after an auth scheme (`Bearer <token>`),
    each cookie's value (`a=<value>; b=<value>`)."""
    yield value
    for part in _PART_SEPARATORS.split(value):
        yield part
        if b"=" in part.rstrip(b"="):  # name=value, not base64 padding
            yield part.split(b"=", 1)[1]


def _hidden(text: AnyStr, values: list[AnyStr], tokens: list[AnyStr], redacted: AnyStr) -> AnyStr:
    """`text` with every value replaced wherever it occurs whole, then any start of a token at least
    _SHORTEST_SEARCHED long: a message that cut an echoed credential short (an excerpt, a quoted value) must not
    show what is left of it. Whole values first: two credentials may share their start (JWTs do). Only tokens are
    searched for by their start: that of `Bearer <token>` or `session=<token>` is ordinary text."""
    for value in values:
        text = text.replace(value, redacted)
    for value in tokens:
        head = value[:_SHORTEST_SEARCHED]
        start = text.find(head)
        while start != -1:
            length, most = len(head), min(len(value), len(text) - start)
            while length < most and text[start + length] == value[length]:
                length += 1
            text = text[:start] + redacted + text[start + length :]
            start = text.find(head, start + len(redacted))
    return text


def _decoded(values: list[bytes]) -> list[str]:
    """Header values as a text may hold them: decoded as UTF-8, and as Latin-1 (what httpx falls back to)."""
    return list(dict.fromkeys(v.decode(codec, "replace") for v in values for codec in ("utf-8", "latin-1")))


def _request_of(holder: object) -> httpx.Request | None:
    """The request an httpx exception or response holds, if any."""
    import httpx  # noqa: PLC0415 - see the imports

    try:
        request = getattr(holder, "request", None)
    except RuntimeError:  # httpx's exceptions and responses raise it when they were given no request
        return None
    return request if isinstance(request, httpx.Request) else None


class Redaction:
    """The credentials what was sent carried, and copies with them hidden, for the errors to keep.

    Hidden: the client's own key (`secrets`), and the value of every credential header of the requests (by name,
    whatever set it: the client, `extra_headers`, `default_headers`, the user's httpx client or its auth flow).
    The copies replace credential headers with `[REDACTED]` and every credential found in a text (a body, a
    header, a URL, a message) as well, in case a server or proxy echoes it.
    """

    __slots__ = ("_bytes", "_texts", "_token_bytes", "_token_texts")

    def __init__(self, secrets: Iterable[Secret] = (), *requests: httpx.Request | None) -> None:
        found = {secret.reveal().encode() for secret in secrets if secret.reveal()}
        for request in requests:
            for name, value in request.headers.raw if request is not None else ():
                if is_credential_header(name):
                    found.update(part for part in _credential_parts(value) if len(part) >= _SHORTEST_SEARCHED)
        # Longest first: a full header value goes before the token inside it.
        self._bytes = sorted(found, key=len, reverse=True)
        self._token_bytes = [v for v in self._bytes if len(v) >= _SHORTEST_SEARCHED and _TOKEN.fullmatch(v)]
        self._texts, self._token_texts = _decoded(self._bytes), _decoded(self._token_bytes)

    def __repr__(self) -> str:
        return f"<Redaction of {len(self._bytes)} values>"

    def text(self, text: str) -> str:
        return _hidden(text, self._texts, self._token_texts, _REDACTED)

    def content(self, content: bytes) -> bytes:
        return _hidden(content, self._bytes, self._token_bytes, _REDACTED.encode())

    def header_list(self, headers: httpx.Headers, *, drop: frozenset[bytes] = frozenset()) -> list[tuple[bytes, bytes]]:
        # Raw bytes: a server may send values that are not ASCII, and they must survive the copy as they came.
        return [
            (name, _REDACTED.encode() if is_credential_header(name) else self.content(value))
            for name, value in headers.raw
            if name.lower() not in drop and name.lower() != b"transfer-encoding"
        ]

    def header_dict(self, headers: httpx.Headers) -> dict[str, str]:
        return {name: _REDACTED if is_credential_header(name) else self.text(value) for name, value in headers.items()}

    def request(self, request: httpx.Request) -> httpx.Request:
        import httpx  # noqa: PLC0415 - see the imports

        try:
            content = request.content
        except httpx.RequestNotRead:  # a streamed body, gone: nothing to keep
            content = b""
        return httpx.Request(
            request.method,
            self.text(str(request.url)),
            headers=self.header_list(request.headers),
            content=self.content(content),
        )

    def response(self, response: httpx.Response) -> httpx.Response:
        """A copy of `response` that is safe to show, log or pickle; its body is already decoded."""
        import httpx  # noqa: PLC0415 - see the imports

        try:
            content = response.content
        except httpx.ResponseNotRead:
            content = b""
        request = _request_of(response)
        return httpx.Response(
            response.status_code,
            headers=self.header_list(response.headers, drop=frozenset({b"content-encoding", b"content-length"})),
            content=self.content(content),
            request=None if request is None else self.request(request),
        )

    def exception(self, exc: BaseException) -> BaseException:
        """A copy of a foreign exception, to chain to ours: its message, request and response scrubbed, and no
        traceback or chain of its own (httpx's and httpcore's frames hold the request, headers included)."""
        cls = type(exc)
        try:
            copy = cls.__new__(cls)
        except TypeError:  # a class that needs arguments to exist: keep what it said
            return RuntimeError(self.text(f"{cls.__name__}: {exc}"))
        copy.args = tuple(self._scrubbed(arg) for arg in exc.args)
        copy.__dict__.update({name: self._scrubbed(value) for name, value in vars(exc).items()})
        return copy

    def _scrubbed(self, value: object) -> object:
        import httpx  # noqa: PLC0415 - see the imports

        if isinstance(value, str):
            return self.text(value)
        if isinstance(value, bytes):
            return self.content(value)
        if isinstance(value, httpx.Request):
            return self.request(value)
        if isinstance(value, httpx.Response):
            return self.response(value)
        if isinstance(value, list):  # __notes__
            return [self._scrubbed(item) for item in value]
        if isinstance(value, tuple):
            return tuple(self._scrubbed(item) for item in value)
        return value


# -- foreign responses and exceptions, mapped to ours: the only places that build errors from them ------------


def body_excerpt(content: bytes, redaction: Redaction | None = None) -> str:
    text = content[: _EXCERPT_CHARS * 4].decode("utf-8", errors="replace")
    excerpt = text[:_EXCERPT_CHARS] + ("..." if len(content) > _EXCERPT_CHARS else "")
    return excerpt if redaction is None else redaction.text(excerpt)


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
    """The error an unsuccessful response means, with copies of the response and its request that hide every
    credential the request carried (`secrets`: the client's own key). Never raises, whatever the body."""
    from ._retry import parse_retry_after  # noqa: PLC0415 - see the imports

    redaction = Redaction(secrets, response.request)
    status = response.status_code
    cls = _ERROR_FOR_STATUS.get(status) or (ServerError if 500 <= status <= 599 else UnexpectedStatusError)
    error_code, error_message = _batch_error_fields(response.content)
    error = cls(
        status_code=status,
        method=response.request.method,
        url=redaction.text(str(response.request.url)),
        headers=redaction.header_dict(response.headers),
        error_code=error_code and redaction.text(error_code),
        error_message=error_message and redaction.text(error_message),
        body_excerpt=None if error_code or error_message else body_excerpt(response.content, redaction) or None,
        retry_after=parse_retry_after(response.headers.get("retry-after")),
    )
    error.response = redaction.response(response)
    error.request = error.response.request
    return error


def malformed(reason: str, response: httpx.Response, *, secrets: Iterable[Secret] = ()) -> MalformedResponseError:
    """A success response whose body does not fit (`reason`), as error_for_response builds an error."""
    redaction = Redaction(secrets, response.request)
    error = MalformedResponseError(
        redaction.text(reason),
        status_code=response.status_code,
        method=response.request.method,
        url=redaction.text(str(response.request.url)),
        body_excerpt=body_excerpt(response.content, redaction),
    )
    error.response = redaction.response(response)
    error.request = error.response.request
    return error


def error_for_exception(exc: httpx.HTTPError, request: httpx.Request, *, secrets: Iterable[Secret] = ()) -> BatchError:
    """The error an httpx exception raised while sending `request` means, chained (`__cause__`) to a scrubbed
    copy of it: raise it as it is, without `from`."""
    import httpx  # noqa: PLC0415 - see the imports

    redaction = Redaction(secrets, request, _request_of(exc))
    # The connection could not be made: the request never left, so the server cannot have acted on it.
    nothing_sent = (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout, httpx.UnsupportedProtocol)
    url = redaction.text(str(request.url))
    error: BatchConnectionError | MalformedResponseError
    if isinstance(exc, httpx.DecodingError):
        error = MalformedResponseError(
            redaction.text(f"body could not be decoded ({exc})"),
            status_code=None,
            method=request.method,
            url=url,
            body_excerpt="",
        )
    elif isinstance(exc, httpx.TimeoutException):
        error = BatchTimeoutError(f"{request.method} {url} timed out ({type(exc).__name__})")
        error.request_sent = not isinstance(exc, nothing_sent)
    else:
        error = BatchConnectionError(redaction.text(f"{request.method} {url} failed: {type(exc).__name__}: {exc}"))
        error.request_sent = not isinstance(exc, nothing_sent)
    error.request = redaction.request(request)
    error.__cause__ = redaction.exception(exc)  # also sets __suppress_context__
    return error
