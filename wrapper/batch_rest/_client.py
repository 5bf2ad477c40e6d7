"""BatchClient and AsyncBatchClient: thin shells around one sans-IO plan per request.

    client.profiles.update(...)   ─► _call ─┐
    client.segments.list_page()   ─► _page ─┼─► _plan ──yield Send(request)──► the driver sends it
    client.segments.list() ─► Pager ─(each page)┘  │  ◄── httpx.Response, or the httpx exception
                                                   ├─ success, or a documented redirect: the seam parses it
                                                   ├─ error: errors.error_for_* ─► _retry.retry_delay
                                                   └─ yield Sleep(seconds) ──► the driver sleeps; send again

`_plan` holds every decision (retry, error, parsing) and is shared by both clients; the sync and async drivers
(`_run`) only send, sleep and await, and close the plan when they stop, as httpx does with auth flows. Every
operation, list or not, goes through `_request` (building the request) and `_plan`. The resources
(`client.segments`...) come from the generated mixins (`_seam.SyncResources`), one per tag of the document.
"""

from __future__ import annotations

import copy
import functools
import logging
import random
import sys
import time
from collections.abc import Callable, Generator, Mapping
from typing import Any, Self, TypeVar

import attrs
import httpx
from attrs import frozen

from . import _config, _seam
from ._paging import AsyncPager, Page, Pager, check_cursor, check_page_size
from ._resource import RawResponse, RequestOptions
from ._retry import Failure, RetryPolicy, retry_delay
from ._version import __version__
from .errors import (
    BatchConnectionError,
    BatchError,
    ClientClosedError,
    error_for_exception,
    error_for_response,
    malformed,
)

R = TypeVar("R")

logger = logging.getLogger("batch_rest")

_USER_AGENT = f"batch-rest-client/{__version__} python/{sys.version_info.major}.{sys.version_info.minor}"


@frozen
class Send:
    """A plan step: send this request, and resume the plan with the response or the httpx exception."""

    request: httpx.Request


@frozen
class Sleep:
    """A plan step: wait this many seconds, then resume the plan."""

    seconds: float


Outcome = httpx.Response | httpx.HTTPError | None
Plan = Generator[Send | Sleep, Outcome, R]


class _ClientBase:
    _http: httpx.Client | httpx.AsyncClient
    _http_class: type[httpx.Client] | type[httpx.AsyncClient]
    _pager_class: type[Pager[Any, Any]] | type[AsyncPager[Any, Any]]

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
        default_headers: Mapping[str, str] | None = None,
    ) -> None:
        secret_key = _config.as_secret(api_key)
        headers = _config.check_default_headers(default_headers)
        # From here on, no frame holds the key, or a credential among the default headers, in plain text
        # (tracebacks may show locals).
        del api_key, default_headers
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
            default_headers=headers,
        )
        self._retry_policy = RetryPolicy(max_retries=self._settings.max_retries)
        self._headers = _client_headers(self._settings)
        self._random: Callable[[], float] = random.random
        self._clock: Callable[[], float] = time.monotonic  # bulk calls' pacing (tests give a fake one)
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

    def with_options(
        self,
        *,
        timeout: float | httpx.Timeout | None = None,
        max_retries: int | None = None,
        default_headers: Mapping[str, str] | None = None,
    ) -> Self:
        """A client with other defaults, sharing this one's connection pool (closing it leaves the pool open).

        `default_headers` are added to this client's (a name it already has takes the new value)."""
        more = _config.check_default_headers(default_headers)
        del default_headers  # see __init__
        settings = self._settings
        if timeout is not None:
            settings = attrs.evolve(settings, timeout=_config.check_timeout(timeout))
        if max_retries is not None:
            settings = attrs.evolve(settings, max_retries=_config.check_max_retries(max_retries))
        if more:
            settings = attrs.evolve(settings, default_headers=_config.merged_headers(settings.default_headers, more))
        clone = copy.copy(self)
        for cached in [name for name in vars(clone) if not name.startswith("_")]:
            del vars(clone)[cached]  # the resources (cached properties) still point at this client
        clone._settings, clone._owns_http = settings, False
        clone._retry_policy = RetryPolicy(max_retries=settings.max_retries)
        clone._headers = _client_headers(settings)
        return clone

    def resource(self, operation: str) -> Any:
        """The resource holding a generated operation, by its module name: `resource("segments_list")` is
        `client.segments`. Untyped: the attributes are the typed way."""
        if not isinstance(operation, str):
            raise TypeError(f"operation must be the name of a generated operation module, not {operation!r}")
        _seam.operation(operation)
        return getattr(self, str(_seam.OPERATIONS[operation]["resource"]))

    # -- the one request path ---------------------------------------------------------------------------------

    def _run(self, plan: Plan[R]) -> Any:
        """Drive `plan` with real I/O: blocking in BatchClient, awaitable in AsyncBatchClient."""
        raise NotImplementedError

    def _call(self, name: str, args: Mapping[str, object], options: RequestOptions, *, raw: bool) -> Any:
        operation = _seam.operation(name)
        policy, idempotent = self._retries(operation, options)
        request = self._request(operation, args, options)
        return self._run(self._plan(request, operation, operation.parse, policy, idempotent=idempotent, raw=raw))

    def _page(
        self,
        name: str,
        page_class: type[Page[Any]],
        args: Mapping[str, object],
        *,
        limit: object,
        cursor: object,
        options: RequestOptions,
        raw: bool,
    ) -> Any:
        """One page: the page (or, async, the awaitable fetching it). `limit=None` lets the server choose."""
        operation = _seam.operation(name)
        fetch = self._page_fetcher(operation, page_class, args, check_page_size(limit, "limit", optional=True), options)
        return fetch(check_cursor(cursor, "cursor"), raw=raw)

    def _pager(
        self,
        name: str,
        page_class: type[Page[Any]],
        args: Mapping[str, object],
        *,
        page_size: object,
        start_cursor: object,
        options: RequestOptions,
    ) -> Pager[Any, Any] | AsyncPager[Any, Any]:
        """Every item, across all pages: nothing is sent before the pager is iterated, but arguments are checked."""
        operation = _seam.operation(name)
        limit, start = check_page_size(page_size, "page_size"), check_cursor(start_cursor, "start_cursor")
        fetch = self._page_fetcher(operation, page_class, args, limit, options)
        self._request(operation, operation.page_args(args, start, limit), options)  # every argument checked now
        return self._pager_class(fetch, start)

    def _page_fetcher(
        self,
        operation: _seam.Operation,
        page_class: type[Page[Any]],
        args: Mapping[str, object],
        limit: int | None,
        options: RequestOptions,
    ) -> Callable[..., Any]:
        policy, idempotent = self._retries(operation, options)

        def parse(response: httpx.Response) -> Page[Any]:
            return operation.parse_page(response.content, page_class)

        def fetch(cursor: str | None, *, raw: bool = False) -> Any:
            request = self._request(operation, operation.page_args(args, cursor, limit), options)
            return self._run(self._plan(request, operation, parse, policy, idempotent=idempotent, raw=raw))

        return fetch

    def _retries(self, operation: _seam.Operation, options: RequestOptions) -> tuple[RetryPolicy, bool]:
        """The retry policy and whether the call may be repeated after any failure: the client's, or the call's."""
        policy = self._retry_policy
        if options.max_retries is not None:
            policy = RetryPolicy(max_retries=_config.check_max_retries(options.max_retries))
        return policy, operation.idempotent or _config.check_flag(options.idempotent, "idempotent")

    def _request(
        self, operation: _seam.Operation, args: Mapping[str, object], options: RequestOptions
    ) -> httpx.Request:
        """The request for `operation`, from checked arguments: TypeError / ValueError before anything is sent."""
        return self._build_request(operation.request_kwargs(args, self._settings.project_key), options)

    def _build_request(self, kwargs: Mapping[str, Any], options: RequestOptions) -> httpx.Request:
        """The request for `_get_kwargs`-shaped kwargs (method, url, params, headers, json); bulk calls build theirs
        from already checked items (_seam.BulkOperation)."""
        s = self._settings
        # The client's headers (its defaults included), the operation's header parameters, then the call's
        # extra_headers, each over the previous.
        headers = self._headers.copy()
        headers.update(kwargs.get("headers") or {})
        if options.extra_headers is not None:
            headers.update(_config.check_headers(options.extra_headers))
        # The query is encoded here, by httpx's own QueryParams, because build_request(params=...) would have
        # httpx parse the URL four times: a third of the wrapper's per-page cost.
        query = httpx.QueryParams(kwargs.get("params") or {})
        return self._http.build_request(
            kwargs["method"].upper(),
            f"{s.base_url}{kwargs['url']}?{query}" if query else s.base_url + kwargs["url"],
            headers=headers,
            json=kwargs.get("json"),
            timeout=s.timeout if options.timeout is None else _config.check_timeout(options.timeout),
        )

    def _plan(
        self,
        request: httpx.Request,
        operation: _seam.Operation,
        parse: Callable[[httpx.Response], R],
        policy: RetryPolicy,
        *,
        idempotent: bool,
        raw: bool,
    ) -> Plan[R | RawResponse[R]]:
        """Send `request` until it succeeds or must not be retried: every decision, no I/O.

        `parse` reads a success, or a redirect the operation documents (BodyMismatch for what it cannot read).
        """
        secrets = (self._settings.api_key,)
        attempt = 0
        while True:
            attempt += 1
            started = time.perf_counter()
            outcome = yield Send(request)
            elapsed_ms = (time.perf_counter() - started) * 1000
            error: BatchError
            if isinstance(outcome, httpx.Response):
                _log_attempt(request, outcome.status_code, elapsed_ms, attempt)
                if outcome.is_success or operation.returns_location(outcome.status_code):
                    parsed = functools.partial(self._parsed, parse, outcome)
                    return RawResponse(outcome, parsed) if raw else parsed()
                error = api_error = error_for_response(outcome, secrets=secrets)
                failure: Failure | None = Failure(outcome.status_code, api_error.retry_after)
                reason: int | str = outcome.status_code
            else:
                assert outcome is not None, "a plan is only resumed with the outcome of the request it yielded"
                reason = type(outcome).__name__
                _log_attempt(request, reason, elapsed_ms, attempt)
                error = error_for_exception(outcome, request, secrets=secrets)  # chained to a scrubbed copy
                # An undecodable body (MalformedResponseError): asking again won't help.
                failure = Failure(None, sent=error.request_sent) if isinstance(error, BatchConnectionError) else None
            # The response or httpx exception holds the request, credentials and all: once the error holds scrubbed
            # copies, this frame (which a traceback printer may show with its locals) lets go of it.
            outcome = None
            delay = None
            if failure is not None:
                jitter = self._random()
                delay = retry_delay(policy, failure, retries_done=attempt - 1, idempotent=idempotent, jitter=jitter)
            if delay is None:
                error.attempts = attempt
                raise error
            logger.info(
                "retrying %s %s in %.1f s after %s (attempt %d of %d)",
                request.method,
                _path(request),
                delay,
                reason,
                attempt + 1,
                policy.max_retries + 1,
                extra={
                    "retry_in": delay,
                    "retry_reason": reason,
                    "retry_attempt": attempt + 1,
                    "retry_max_attempts": policy.max_retries + 1,
                },
            )
            yield Sleep(delay)

    def _parsed(self, parse: Callable[[httpx.Response], R], response: httpx.Response) -> R:
        try:
            return parse(response)
        except _seam.BodyMismatch as exc:
            error = malformed(str(exc), response, secrets=(self._settings.api_key,))
        # Raised out here, not in the except block, so as not to chain the mismatch (`__context__`): its message
        # quotes the body unscrubbed.
        raise error

    def _check_open(self) -> None:
        if self._http.is_closed:
            raise ClientClosedError(
                f"this {type(self).__name__} is closed (close() was called, or its `with` block ended): "
                "create a new client"
            )


def _client_headers(settings: _config.Settings) -> httpx.Headers:
    """What every request of a client carries: its default headers, then its credentials, which they cannot
    replace (the configuration refuses them)."""
    # httpx.Headers hides Authorization in its repr, so the key stays out of reprs and traceback locals.
    headers = httpx.Headers({"User-Agent": _USER_AGENT, "Accept": "application/json"})
    headers.update(dict(settings.default_headers))
    headers["Authorization"] = f"Bearer {settings.api_key.reveal()}"
    headers["X-Batch-Project"] = settings.project_key
    return headers


def _path(request: httpx.Request) -> str:
    return request.url.raw_path.decode("ascii", errors="replace")


def _log_attempt(request: httpx.Request, status: int | str, elapsed_ms: float, attempt: int) -> None:
    if logger.isEnabledFor(logging.DEBUG):
        fields = {"method": request.method, "path": _path(request), "status": status, "attempt": attempt}
        message = "%(method)s %(path)s -> %(status)s in %(elapsed_ms).1f ms (attempt %(attempt)d)"
        logger.debug(message, {**fields, "elapsed_ms": elapsed_ms}, extra={**fields, "elapsed_ms": elapsed_ms})


class BatchClient(_seam.SyncResources, _ClientBase):
    """Synchronous client for Batch's REST API. Use it as a context manager, or call close().

    api_key / project_key default to $BATCH_REST_API_KEY / $BATCH_PROJECT_KEY; api_version to $BATCH_API_VERSION
    or the API description's default; base_url to $BATCH_BASE_URL or https://api.batch.com/{api_version}.
    timeout: seconds (or an httpx.Timeout) for every request; max_retries: retries of a failed request (see the
    README for which failures are retried). Both can be changed per call, or with with_options().
    http_client: your own httpx.Client (proxies, mTLS, transports); the client then leaves closing it to you.
    allow_insecure_http: permit a plain http:// base URL that is not loopback (the key would travel unencrypted).
    default_headers: headers for every request (a call's extra_headers win); never Authorization or
    X-Batch-Project, which come from api_key and project_key.

    Every operation of the API description is a method: `client.<resource>.<action>(...)`.
    """

    _http: httpx.Client
    _http_class = httpx.Client
    _pager_class = Pager
    _sleep: Callable[[float], None] = staticmethod(time.sleep)

    def _run(self, plan: Plan[R]) -> R:
        outcome: Outcome = None
        try:
            while True:
                try:
                    step = plan.send(outcome)
                except StopIteration as done:
                    return done.value  # type: ignore[no-any-return]
                if isinstance(step, Send):
                    self._check_open()
                    try:
                        # Never follow a redirect: it would carry the key to wherever the Location points.
                        outcome = self._http.send(step.request, follow_redirects=False)
                    except httpx.HTTPError as exc:
                        outcome = exc
                else:
                    self._sleep(step.seconds)
                    outcome = None
        finally:
            outcome = None  # see _plan: the plan's error holds scrubbed copies of what this held
            plan.close()

    def close(self) -> None:
        if self._owns_http:
            self._http.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()


class AsyncBatchClient(_seam.AsyncResources, _ClientBase):
    """Asynchronous twin of BatchClient (asyncio), with the same arguments; `http_client` is an httpx.AsyncClient.
    Use `async with`, or await aclose()."""

    _http: httpx.AsyncClient
    _http_class = httpx.AsyncClient
    _pager_class = AsyncPager

    @staticmethod
    async def _sleep(seconds: float) -> None:
        import asyncio  # noqa: PLC0415 - 30 ms of import that sync-only users and the CLI's --help never need

        await asyncio.sleep(seconds)

    async def _run(self, plan: Plan[R]) -> R:
        outcome: Outcome = None
        try:
            while True:
                try:
                    step = plan.send(outcome)
                except StopIteration as done:
                    return done.value  # type: ignore[no-any-return]
                if isinstance(step, Send):
                    self._check_open()
                    try:
                        outcome = await self._http.send(step.request, follow_redirects=False)
                    except httpx.HTTPError as exc:
                        outcome = exc
                else:
                    await self._sleep(step.seconds)
                    outcome = None
        finally:
            outcome = None  # see _plan: the plan's error holds scrubbed copies of what this held
            plan.close()

    async def aclose(self) -> None:
        if self._owns_http:
            await self._http.aclose()

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.aclose()
