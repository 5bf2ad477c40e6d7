"""BatchClient and AsyncBatchClient: thin shells around one sans-IO plan per page.

    resource.list() ─► Pager ──(cursor)──► _page_plan ──yield httpx.Request──► driver sends it
                         ▲                    │  ◄── httpx.Response or httpx exception
                         │                    ├─ success: seam parses the page ─────────────► Page
                         └── Listing.advance  ├─ error: errors.error_for_* ─► _retry.retry_delay
                                              └─ yield seconds ──► driver sleeps, plan sends again

`_page_plan` holds every decision (request, retry, error, parsing) and is shared by both clients; the sync and
async drivers (`_run`) only send, sleep and await. `Listing` (in _paging) holds the cursor logic for both pagers.
"""

from __future__ import annotations

import itertools
import logging
import random
import sys
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Generator, Iterator, Mapping
from typing import Any, Generic, Self, TypeVar, overload

import httpx

from . import _config, _seam
from ._paging import Listing, Page, check_cursor, check_page_size
from ._retry import RetryPolicy, retry_delay
from ._seam import Segment
from .errors import BatchConnectionError, BatchError, error_for_exception, error_for_response, malformed

__version__ = "0.1.0"

T = TypeVar("T")
R = TypeVar("R")

logger = logging.getLogger("batch_rest")

# A plan yields a request to send (and receives the response or the httpx exception) or seconds to sleep.
Outcome = httpx.Response | httpx.HTTPError | None
Plan = Generator[httpx.Request | float, Outcome, R]

_USER_AGENT = f"batch-rest-client/{__version__} python/{sys.version_info.major}.{sys.version_info.minor}"


class endpoint(Generic[T]):
    """A list endpoint as a client attribute: `ListResource` on BatchClient, `AsyncListResource` on the async one."""

    def __init__(self, operation: str) -> None:
        self.operation = operation

    @overload
    def __get__(self, client: None, owner: type[Any]) -> Self: ...
    @overload
    def __get__(self, client: BatchClient, owner: type[Any]) -> ListResource[T]: ...
    @overload
    def __get__(self, client: AsyncBatchClient, owner: type[Any]) -> AsyncListResource[T]: ...
    def __get__(self, client: _ClientBase | None, owner: type[Any]) -> object:
        return self if client is None else client.resource(self.operation)


class _ClientBase:
    # The registry of list endpoints: one line per endpoint, shared by both clients. Any generated operation that
    # follows the cursor convention is also reachable without a line here: client.resource("<module name>").
    segments = endpoint[Segment]("segments_list")

    _http: httpx.Client | httpx.AsyncClient
    _http_class: type[httpx.Client] | type[httpx.AsyncClient]
    _resource_class: type[ListResource[Any]] | type[AsyncListResource[Any]]

    def __init__(
        self,
        api_key: str | None = None,
        project_key: str | None = None,
        *,
        api_version: str | None = None,
        base_url: str | None = None,
        timeout: float | httpx.Timeout = 30.0,
        max_retries: int = 3,
        http_client: httpx.Client | httpx.AsyncClient | None = None,
        allow_insecure_http: bool = False,
    ) -> None:
        secret_key = _config.as_secret(api_key)
        del api_key  # from here on, no frame holds the key in plain text (tracebacks may show locals)
        if http_client is not None and not isinstance(http_client, self._http_class):
            raise TypeError(
                f"http_client must be an httpx.{self._http_class.__name__}, not {type(http_client).__name__}"
            )
        _config.configure_logging_from_env()
        self._settings = _config.resolve(
            api_key=secret_key,
            project_key=project_key,
            api_version=api_version,
            base_url=base_url,
            timeout=timeout,
            max_retries=max_retries,
            allow_insecure_http=allow_insecure_http,
        )
        self._retry_policy = RetryPolicy(max_retries=self._settings.max_retries)
        # httpx.Headers hides Authorization in its repr, so the key stays out of reprs and traceback locals.
        self._headers = httpx.Headers(
            {
                "Authorization": f"Bearer {self._settings.api_key.reveal()}",
                "X-Batch-Project": self._settings.project_key,
                "User-Agent": _USER_AGENT,
                "Accept": "application/json",
            }
        )
        self._random: Callable[[], float] = random.random
        self._resources: dict[str, Any] = {}
        self._owns_http = http_client is None
        self._http = http_client or self._http_class(timeout=self._settings.timeout)

    @property
    def base_url(self) -> str:
        return self._settings.base_url

    @property
    def api_version(self) -> str:
        return self._settings.api_version

    def __repr__(self) -> str:
        if not hasattr(self, "_settings"):  # the constructor raised: a traceback printer may still ask
            return f"{type(self).__name__}(<not configured>)"
        s = self._settings
        return (
            f"{type(self).__name__}(base_url={s.base_url!r}, project_key={s.project_key!r}, "
            f"timeout={s.timeout.read}, max_retries={s.max_retries})"
        )

    def resource(self, operation: str) -> Any:
        """The list resource for any generated list operation, by module name (e.g. "audiences_list")."""
        if not isinstance(operation, str):
            raise TypeError(f"operation must be the name of a generated operation module, not {operation!r}")
        if operation not in self._resources:
            self._resources[operation] = self._resource_class(self, _seam.list_operation(operation))
        return self._resources[operation]

    def _run(self, plan: Plan[R]) -> Any:
        """Drive `plan` with real I/O: blocking in BatchClient, awaitable in AsyncBatchClient."""
        raise NotImplementedError

    def _page_plan(
        self, operation: _seam.ListOperation, *, cursor: str | None, limit: int | None, params: Mapping[str, object]
    ) -> Plan[Page[Any]]:
        """Fetch one page: every decision, no I/O. Retries are invisible to the caller."""
        s = self._settings
        kwargs = operation.request_kwargs(cursor=cursor, limit=limit, project_key=s.project_key, params=params)
        headers = self._headers.copy()
        headers.update(kwargs.get("headers") or {})
        # The query is encoded here, by httpx's own QueryParams, because build_request(params=...) would have
        # httpx parse the URL four times: a third of the wrapper's per-page cost.
        query = httpx.QueryParams(kwargs.get("params") or {})
        request = self._http.build_request(
            kwargs["method"].upper(),
            f"{s.base_url}{kwargs['url']}?{query}" if query else s.base_url + kwargs["url"],
            headers=headers,
            timeout=s.timeout,
        )
        secrets = (s.api_key,)
        attempt = 0
        while True:
            attempt += 1
            started = time.perf_counter()
            outcome = yield request
            elapsed_ms = (time.perf_counter() - started) * 1000
            if isinstance(outcome, httpx.Response):
                _log_attempt(request, outcome.status_code, elapsed_ms, attempt)
                if outcome.is_success:
                    try:
                        return operation.parse_page(outcome.content)
                    except _seam.BodyMismatch as exc:
                        raise malformed(str(exc), outcome, secrets=secrets) from None
                api_error = error_for_response(outcome, secrets=secrets)
                error: BatchError = api_error
                status, retry_after = api_error.status_code, api_error.retry_after
            else:
                assert outcome is not None, "a plan is only resumed with the outcome of the request it yielded"
                _log_attempt(request, type(outcome).__name__, elapsed_ms, attempt)
                error, status, retry_after = error_for_exception(outcome, request), None, None
                if not isinstance(error, BatchConnectionError):  # an undecodable body: asking again won't help
                    raise error from outcome
            delay = retry_delay(
                self._retry_policy,
                retries_done=attempt - 1,
                status=status,
                retry_after=retry_after,
                jitter=self._random(),
            )
            if delay is None:
                raise error from (outcome if isinstance(outcome, Exception) else None)
            logger.info("retrying %s in %.2f s after %s (attempt %d)", _path(request), delay, status or error, attempt)
            yield delay


def _path(request: httpx.Request) -> str:
    return request.url.raw_path.decode("ascii", errors="replace")


def _log_attempt(request: httpx.Request, status: int | str, elapsed_ms: float, attempt: int) -> None:
    if logger.isEnabledFor(logging.DEBUG):
        fields = {"method": request.method, "path": _path(request), "status": status, "attempt": attempt}
        message = "%(method)s %(path)s -> %(status)s in %(elapsed_ms).1f ms (attempt %(attempt)d)"
        logger.debug(message, {**fields, "elapsed_ms": elapsed_ms}, extra={**fields, "elapsed_ms": elapsed_ms})


class _PagerState:
    def __init__(self, start_cursor: str | None) -> None:
        self._listing = Listing(cursor=start_cursor)

    @property
    def cursor(self) -> str | None:
        """The cursor of the page being consumed (None: the first page); resume from here after an error."""
        return self._listing.cursor

    @property
    def exhausted(self) -> bool:
        """True once the last page has been consumed."""
        return self._listing.exhausted

    def __repr__(self) -> str:
        return f"{type(self).__name__}(cursor={self.cursor!r}, exhausted={self.exhausted})"


class Pager(_PagerState, Generic[T]):
    """Every item of a listing, fetched page by page while you iterate.

    After an exception, iterate the pager again, or pass `start_cursor=pager.cursor` to a new listing, to go on:
    nothing is skipped, and only the page that was in hand may be seen twice.
    """

    def __init__(self, fetch: Callable[[str | None], Page[T]], start_cursor: str | None) -> None:
        super().__init__(start_cursor)
        self._fetch = fetch

    def pages(self) -> Iterator[Page[T]]:
        listing = self._listing
        while not listing.exhausted:
            page = self._fetch(listing.cursor)
            yield page
            listing.advance(page)

    def __iter__(self) -> Iterator[T]:
        # chain.from_iterable rather than a generator: per item, this runs at C speed.
        return itertools.chain.from_iterable(page.items for page in self.pages())


class AsyncPager(_PagerState, Generic[T]):
    """The async twin of Pager: `async for item in pager`, `async for page in pager.pages()`."""

    def __init__(self, fetch: Callable[[str | None], Awaitable[Page[T]]], start_cursor: str | None) -> None:
        super().__init__(start_cursor)
        self._fetch = fetch

    async def pages(self) -> AsyncIterator[Page[T]]:
        listing = self._listing
        while not listing.exhausted:
            page = await self._fetch(listing.cursor)
            yield page
            listing.advance(page)

    async def __aiter__(self) -> AsyncIterator[T]:
        async for page in self.pages():
            for item in page.items:
                yield item


class _ResourceBase(Generic[T]):
    _client: _ClientBase

    def __init__(self, client: _ClientBase, operation: _seam.ListOperation) -> None:
        self._client, self._operation = client, operation

    def _listing(
        self, page_size: object, start_cursor: object, params: Mapping[str, object]
    ) -> tuple[Callable[[str | None], Any], str | None]:
        """Check list()'s arguments; the page fetcher (blocking or awaitable, as the client's driver) and the start."""
        limit = check_page_size(page_size, "page_size")
        self._operation.check_params(params)
        start = check_cursor(start_cursor, "start_cursor")
        return (lambda cursor: self._client._run(self._plan(cursor, limit, params))), start

    def _one_page(self, limit: object, cursor: object, params: Mapping[str, object]) -> Any:
        """Check list_page()'s arguments, then fetch the page (or, for the async client, the awaitable doing it)."""
        checked_limit = check_page_size(limit, "limit", optional=True)
        self._operation.check_params(params)
        return self._client._run(self._plan(check_cursor(cursor, "cursor"), checked_limit, params))

    def _plan(self, cursor: str | None, limit: int | None, params: Mapping[str, object]) -> Plan[Page[T]]:
        return self._client._page_plan(self._operation, cursor=cursor, limit=limit, params=params)


class ListResource(_ResourceBase[T]):
    """One list endpoint on a BatchClient (e.g. `client.segments`)."""

    def list(self, *, page_size: int = 100, start_cursor: str | None = None, **params: object) -> Pager[T]:
        """Every item, across all pages; no request is sent before you iterate."""
        return Pager(*self._listing(page_size, start_cursor, params))

    def list_page(self, *, limit: int | None = None, cursor: str | None = None, **params: object) -> Page[T]:
        """Exactly one page (one request, plus retries). `limit=None` lets the server choose (10)."""
        return self._one_page(limit, cursor, params)  # type: ignore[no-any-return]


class AsyncListResource(_ResourceBase[T]):
    """One list endpoint on an AsyncBatchClient."""

    def list(self, *, page_size: int = 100, start_cursor: str | None = None, **params: object) -> AsyncPager[T]:
        """Every item, across all pages (`async for`); no request is sent before you iterate."""
        return AsyncPager(*self._listing(page_size, start_cursor, params))

    async def list_page(self, *, limit: int | None = None, cursor: str | None = None, **params: object) -> Page[T]:
        """Exactly one page (one request, plus retries). `limit=None` lets the server choose (10)."""
        return await self._one_page(limit, cursor, params)  # type: ignore[no-any-return]


class BatchClient(_ClientBase):
    """Synchronous client for Batch's REST API. Use it as a context manager, or call close().

    api_key / project_key default to $BATCH_REST_API_KEY / $BATCH_PROJECT_KEY; api_version to $BATCH_API_VERSION
    or the API description's default; base_url to $BATCH_BASE_URL or https://api.batch.com/{api_version}.
    timeout: seconds (or an httpx.Timeout) for every request; max_retries: retries of a failed page request.
    http_client: your own httpx.Client (proxies, mTLS, transports); the client then leaves closing it to you.
    allow_insecure_http: permit a plain http:// base URL that is not loopback (the key would travel unencrypted).
    """

    _http: httpx.Client
    _http_class = httpx.Client
    _resource_class = ListResource
    _sleep: Callable[[float], None] = staticmethod(time.sleep)

    def resource(self, operation: str) -> ListResource[Any]:
        return super().resource(operation)  # type: ignore[no-any-return]

    def _run(self, plan: Plan[R]) -> R:
        outcome: Outcome = None
        while True:
            try:
                step = plan.send(outcome)
            except StopIteration as done:
                return done.value  # type: ignore[no-any-return]
            if isinstance(step, httpx.Request):
                try:
                    outcome = self._http.send(step)
                except httpx.HTTPError as exc:
                    outcome = exc
            else:
                self._sleep(step)
                outcome = None

    def close(self) -> None:
        if self._owns_http:
            self._http.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()


class AsyncBatchClient(_ClientBase):
    """Asynchronous twin of BatchClient (asyncio), with the same arguments; `http_client` is an httpx.AsyncClient.
    Use `async with`, or await aclose()."""

    _http: httpx.AsyncClient
    _http_class = httpx.AsyncClient
    _resource_class = AsyncListResource

    @staticmethod
    async def _sleep(seconds: float) -> None:
        import asyncio  # noqa: PLC0415 - 30 ms of import that sync-only users and the CLI's --help never need

        await asyncio.sleep(seconds)

    def resource(self, operation: str) -> AsyncListResource[Any]:
        return super().resource(operation)  # type: ignore[no-any-return]

    async def _run(self, plan: Plan[R]) -> R:
        outcome: Outcome = None
        while True:
            try:
                step = plan.send(outcome)
            except StopIteration as done:
                return done.value  # type: ignore[no-any-return]
            if isinstance(step, httpx.Request):
                try:
                    outcome = await self._http.send(step)
                except httpx.HTTPError as exc:
                    outcome = exc
            else:
                await self._sleep(step)
                outcome = None

    async def aclose(self) -> None:
        if self._owns_http:
            await self._http.aclose()

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.aclose()
