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
from .errors import ConfigurationError

ENV_API_KEY = "BATCH_REST_API_KEY"
ENV_PROJECT_KEY = "BATCH_PROJECT_KEY"
ENV_API_VERSION = "BATCH_API_VERSION"
ENV_BASE_URL = "BATCH_BASE_URL"
ENV_LOG = "BATCH_REST_LOG"

_API_VERSION = re.compile(r"\d+\.\d+")
_HEADER_SAFE = re.compile(r"[\x21-\x7e]+")  # visible ASCII: anything else cannot go in a header verbatim


@frozen
class Settings:
    api_key: Secret = field(repr=False)
    project_key: str
    base_url: str
    api_version: str
    timeout: httpx.Timeout
    max_retries: int


def _credential(value: object, argument: str, variable: str, environ: Mapping[str, str]) -> str:
    if value is None:
        value = environ.get(variable, "")
        if not value:
            raise ConfigurationError(f"no {argument}: pass {argument}= or set the environment variable {variable}")
        source = f"the environment variable {variable}"
    elif not isinstance(value, str):
        raise TypeError(f"{argument} must be a str, not {type(value).__name__}")
    else:
        source = argument
    if not _HEADER_SAFE.fullmatch(value):
        # Never echo the value: it may be the API key.
        raise ConfigurationError(f"{source} is empty or contains spaces or non-ASCII characters")
    return value


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
    if url.query or url.fragment:
        raise ConfigurationError(f"{source} must not have a query or a fragment, got {value!r}")
    if url.scheme == "http" and not _is_loopback(url.host) and not allow_insecure_http:
        raise ConfigurationError(
            f"{source} {value!r} is plain http to a non-loopback host: the API key would travel unencrypted. "
            "Use https, or pass allow_insecure_http=True if you really mean it."
        )
    return value.rstrip("/")


def _timeout(value: object) -> httpx.Timeout:
    if isinstance(value, httpx.Timeout):
        return value
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise TypeError(f"timeout must be a number of seconds or an httpx.Timeout, not {type(value).__name__}")
    if not 0 < value < float("inf"):
        raise ValueError(f"timeout must be a positive, finite number of seconds, got {value}")
    return httpx.Timeout(float(value))


def resolve(
    *,
    api_key: object,
    project_key: object,
    api_version: object,
    base_url: object,
    timeout: object,
    max_retries: object,
    allow_insecure_http: object,
    environ: Mapping[str, str] | None = None,
) -> Settings:
    env = os.environ if environ is None else environ
    if not isinstance(allow_insecure_http, bool):
        raise TypeError(f"allow_insecure_http must be a bool, not {type(allow_insecure_http).__name__}")
    if isinstance(max_retries, bool) or not isinstance(max_retries, int):
        raise TypeError(f"max_retries must be an int, not {type(max_retries).__name__}")
    if max_retries < 0:
        raise ValueError(f"max_retries must be 0 or more, got {max_retries}")

    if api_version is None:
        api_version, version_source = env.get(ENV_API_VERSION) or _seam.DEFAULT_API_VERSION, ENV_API_VERSION
    elif not isinstance(api_version, str):
        raise TypeError(
            f"api_version must be a str such as {_seam.DEFAULT_API_VERSION!r}, not {type(api_version).__name__}"
        )
    else:
        version_source = "api_version"
    if not _API_VERSION.fullmatch(api_version):
        raise ConfigurationError(f"{version_source} must look like '2.11', got {api_version!r}")

    if base_url is None:
        from_env = env.get(ENV_BASE_URL)
        base_url, url_source = (from_env, ENV_BASE_URL) if from_env else (_seam.server_url(api_version), "the default")
    elif not isinstance(base_url, str):
        raise TypeError(f"base_url must be a str, not {type(base_url).__name__}")
    else:
        url_source = "base_url"

    return Settings(
        api_key=Secret(_credential(api_key, "api_key", ENV_API_KEY, env)),
        project_key=_credential(project_key, "project_key", ENV_PROJECT_KEY, env),
        base_url=_base_url(base_url, url_source, allow_insecure_http=allow_insecure_http),
        api_version=api_version,
        timeout=_timeout(timeout),
        max_retries=max_retries,
    )


def configure_logging_from_env(environ: Mapping[str, str] | None = None) -> None:
    """BATCH_REST_LOG=debug|info sends the `batch_rest` logger to stderr (once)."""
    level = (os.environ if environ is None else environ).get(ENV_LOG, "").strip().upper()
    if level not in {"DEBUG", "INFO"}:
        return
    logger = logging.getLogger("batch_rest")
    if not any(getattr(h, "_batch_rest_env", False) for h in logger.handlers):
        handler = logging.StreamHandler()
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
        handler._batch_rest_env = True  # type: ignore[attr-defined]
        logger.addHandler(handler)
    logger.setLevel(level)
