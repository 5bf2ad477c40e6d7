"""Client settings: arguments first, then environment variables, then the API description's defaults.

Every value is checked here, before any request, and a problem raises ConfigurationError (what is missing or
wrong, and which argument or variable to set) or TypeError (an argument of the wrong type).
"""

from __future__ import annotations

import ipaddress
import logging
import os
import re
from collections.abc import Mapping

import httpx
from attrs import field, frozen

from . import _seam
from ._secret import Secret
from .errors import ConfigurationError, headers_repr

ENV_API_KEY = "BATCH_REST_API_KEY"
ENV_PROJECT_KEY = "BATCH_PROJECT_KEY"
ENV_API_VERSION = "BATCH_API_VERSION"
ENV_BASE_URL = "BATCH_BASE_URL"
ENV_LOG = "BATCH_REST_LOG"

_API_VERSION = re.compile(r"[0-9]+\.[0-9]+")
_MAX_TIMEOUT = 1e6
_HEADER_SAFE = re.compile(r"[\x21-\x7e]+")  # visible ASCII: anything else cannot go in a header verbatim
_HEADER_VALUE = re.compile(r"[\x20-\x7e]*")
# The headers the client sets from its own arguments, which default_headers cannot replace, and those arguments.
_CLIENT_HEADERS = {
    "authorization": ("Authorization", "api_key="),
    "x-batch-project": ("X-Batch-Project", "project_key="),
}


class DefaultHeaders(tuple[tuple[str, str], ...]):
    """Checked default headers, as name-value pairs, whose repr hides credential values: a traceback's locals show
    every frame that holds them (as the key is held in a Secret)."""

    __slots__ = ()

    def __repr__(self) -> str:
        return f"DefaultHeaders({headers_repr(self)})"


@frozen
class Settings:
    api_key: Secret = field(repr=False)
    project_key: str
    base_url: str
    api_version: str
    timeout: httpx.Timeout
    max_retries: int
    default_headers: DefaultHeaders = field(factory=DefaultHeaders)


def as_secret(api_key: object) -> Secret | None:
    """Wrap the key at once, so that no frame from here on holds it in plain text (tracebacks with locals)."""
    if api_key is None or isinstance(api_key, Secret):
        return api_key
    if not isinstance(api_key, str):
        raise TypeError(f"api_key must be a str, not {type(api_key).__name__}")
    return Secret(api_key)


def _credential(value: Secret | None, argument: str, variable: str) -> Secret:
    if value is None:
        value = Secret(os.environ.get(variable, ""))
        if not value.reveal():
            raise ConfigurationError(f"no {argument}: pass {argument}= or set the environment variable {variable}")
        source = f"the environment variable {variable}"
    else:
        source = argument
    if not _HEADER_SAFE.fullmatch(value.reveal()):
        # Never echo the value: it may be the API key.
        raise ConfigurationError(f"{source} is empty or contains spaces or non-ASCII characters")
    return value


def _project_key(project_key: object) -> Secret | None:
    if project_key is not None and not isinstance(project_key, str):
        raise TypeError(f"project_key must be a str, not {type(project_key).__name__}")
    return None if project_key is None else Secret(project_key)


def _is_loopback(host: str) -> bool:
    if host == "localhost" or host.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def _base_url(value: str, source: str, *, allow_insecure_http: bool) -> str:
    if not value.isprintable() or any(c.isspace() for c in value):
        raise ConfigurationError(f"{source} must not contain spaces or control characters, got {value!r}")
    try:
        url = httpx.URL(value)
    except (httpx.InvalidURL, TypeError) as exc:
        raise ConfigurationError(f"{source} is not a valid URL: {exc}") from None
    if url.scheme not in {"http", "https"} or not url.host:
        raise ConfigurationError(f"{source} must be an absolute http(s) URL, got {value!r}")
    if url.port is not None and not 0 < url.port <= 65535:
        raise ConfigurationError(f"{source} has an impossible port, got {value!r}")
    if url.query or url.fragment:
        raise ConfigurationError(f"{source} must not have a query or a fragment, got {value!r}")
    if url.scheme == "http" and not _is_loopback(url.host) and not allow_insecure_http:
        raise ConfigurationError(
            f"{source} {value!r} is plain http to a non-loopback host: the API key would travel unencrypted. "
            "Use https, or pass allow_insecure_http=True if you really mean it."
        )
    return value.rstrip("/")


def check_timeout(value: object) -> httpx.Timeout:
    if isinstance(value, httpx.Timeout):
        timeout, phases = value, value.as_dict()
    elif isinstance(value, bool) or not isinstance(value, int | float):
        raise TypeError(f"timeout must be a number of seconds or an httpx.Timeout, not {type(value).__name__}")
    else:
        timeout, phases = httpx.Timeout(float(value)), {"": value}
    for phase, seconds in phases.items():
        # None in an httpx.Timeout is the caller's explicit "no limit" for that phase. Past _MAX_TIMEOUT, socket
        # timeouts overflow C's timeval.
        if seconds is not None and not (isinstance(seconds, int | float) and 0 < seconds <= _MAX_TIMEOUT):
            name = f"timeout.{phase}" if phase else "timeout"
            raise ValueError(f"{name} must be more than 0 and at most {_MAX_TIMEOUT:g} seconds, got {seconds!r}")
    return timeout


# Retries wait up to 8 s each (up to 60 s when the server sends Retry-After): 10 is about a minute of backoff,
# and far past what a transient failure needs. A bound turns a typo (1000) into an error, not hours of retrying.
MAX_RETRIES = 10


def check_max_retries(value: object) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(f"max_retries must be an int, not {type(value).__name__}")
    if not 0 <= value <= MAX_RETRIES:
        raise ValueError(f"max_retries must be from 0 to {MAX_RETRIES} (0 turns retries off), got {value}")
    return value


def check_flag(value: object, name: str) -> bool:
    if not isinstance(value, bool):
        raise TypeError(f"{name} must be a bool, not {type(value).__name__}")
    return value


def check_headers(headers: object, argument: str = "extra_headers") -> Mapping[str, str]:
    """Names and values a header can carry verbatim (printable ASCII; values may hold spaces). Values are never
    quoted in the errors: they may be credentials."""
    if not isinstance(headers, Mapping):
        raise TypeError(f"{argument} must be a mapping of str to str, not {type(headers).__name__}")
    for name, value in headers.items():
        if not (isinstance(name, str) and isinstance(value, str)):
            shown = repr(name) if isinstance(name, str) else f"a {type(name).__name__}"
            raise TypeError(f"{argument} must map str to str, got {shown}: {type(value).__name__}")
        if not _HEADER_SAFE.fullmatch(name) or not _HEADER_VALUE.fullmatch(value):
            raise ValueError(f"{argument}[{name!r}] cannot be sent: header names and values are printable ASCII")
    return headers


def check_default_headers(headers: object) -> DefaultHeaders:
    """default_headers: as extra_headers, but never Authorization or X-Batch-Project, which come from the client's
    own arguments (a default header replacing them would send every request with another key or project)."""
    if headers is None:
        return DefaultHeaders()
    checked = check_headers(headers, "default_headers")
    taken = [_CLIENT_HEADERS[name.lower()] for name in checked if name.lower() in _CLIENT_HEADERS]
    if taken:
        names, arguments = " and ".join(h for h, _ in taken), " and ".join(a for _, a in taken)
        raise ValueError(f"default_headers cannot set {names}: pass {arguments} to the client instead")
    return DefaultHeaders(checked.items())


def merged_headers(base: DefaultHeaders, more: DefaultHeaders) -> DefaultHeaders:
    """`base` with `more` over it, names compared without case (as HTTP does)."""
    merged = {name.lower(): (name, value) for name, value in (*base, *more)}
    return DefaultHeaders(merged.values())


def resolve(
    *,
    api_key: object,
    project_key: object,
    api_version: object,
    base_url: object,
    timeout: object,
    max_retries: object,
    allow_insecure_http: object,
    default_headers: DefaultHeaders | None = None,
) -> Settings:
    """Checked settings (default_headers: already checked). The environment is read in place, never held in a local
    (it may hold the key)."""
    if not isinstance(allow_insecure_http, bool):
        raise TypeError(f"allow_insecure_http must be a bool, not {type(allow_insecure_http).__name__}")
    max_retries = check_max_retries(max_retries)

    if api_version is None:
        api_version, version_source = os.environ.get(ENV_API_VERSION) or _seam.DEFAULT_API_VERSION, ENV_API_VERSION
    elif not isinstance(api_version, str):
        raise TypeError(
            f"api_version must be a str such as {_seam.DEFAULT_API_VERSION!r}, not {type(api_version).__name__}"
        )
    else:
        version_source = "api_version"
    if not _API_VERSION.fullmatch(api_version):
        raise ConfigurationError(f"{version_source} must look like '2.11', got {api_version!r}")

    if base_url is None:
        from_env = os.environ.get(ENV_BASE_URL)
        base_url, url_source = (from_env, ENV_BASE_URL) if from_env else (_seam.server_url(api_version), "the default")
    elif not isinstance(base_url, str):
        raise TypeError(f"base_url must be a str, not {type(base_url).__name__}")
    else:
        url_source = "base_url"

    return Settings(
        api_key=_credential(as_secret(api_key), "api_key", ENV_API_KEY),
        project_key=_credential(_project_key(project_key), "project_key", ENV_PROJECT_KEY).reveal(),
        base_url=_base_url(base_url, url_source, allow_insecure_http=allow_insecure_http),
        api_version=api_version,
        timeout=check_timeout(timeout),
        max_retries=max_retries,
        default_headers=default_headers or DefaultHeaders(),
    )


def log_to_stderr(level: str) -> None:
    """Send the `batch_rest` logger to stderr at `level` ("DEBUG", "INFO"), with one handler however often asked."""
    logger = logging.getLogger("batch_rest")
    if not any(getattr(h, "_batch_rest_stderr", False) for h in logger.handlers):
        handler = logging.StreamHandler()
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
        handler._batch_rest_stderr = True  # type: ignore[attr-defined]
        logger.addHandler(handler)
    logger.setLevel(level)


def configure_logging_from_env() -> None:
    """BATCH_REST_LOG=debug|info sends the `batch_rest` logger to stderr."""
    level = os.environ.get(ENV_LOG, "").strip().upper()
    if level in {"DEBUG", "INFO"}:
        log_to_stderr(level)
