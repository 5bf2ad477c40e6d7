"""Client configuration: arguments, environment variables, defaults, and refusing bad values before any request."""

import httpx
import pytest

import batch_rest
from batch_rest import ConfigurationError

ENV_VARS = ("BATCH_REST_API_KEY", "BATCH_PROJECT_KEY", "BATCH_API_VERSION", "BATCH_BASE_URL", "BATCH_REST_LOG")


@pytest.fixture(autouse=True)
def clean_env(monkeypatch):
    for name in ENV_VARS:
        monkeypatch.delenv(name, raising=False)


def test_keys_come_from_the_environment(monkeypatch):
    monkeypatch.setenv("BATCH_REST_API_KEY", "env-key")
    monkeypatch.setenv("BATCH_PROJECT_KEY", "env-project")
    client = batch_rest.BatchClient()
    assert client._settings.api_key.reveal() == "env-key"
    assert client._settings.project_key == "env-project"


def test_arguments_win_over_the_environment(monkeypatch):
    monkeypatch.setenv("BATCH_REST_API_KEY", "env-key")
    monkeypatch.setenv("BATCH_BASE_URL", "https://env.example")
    client = batch_rest.BatchClient("arg-key", "p", base_url="https://arg.example/v")
    assert client._settings.api_key.reveal() == "arg-key"
    assert client.base_url == "https://arg.example/v"


@pytest.mark.parametrize(
    ("missing", "variable"), [("api_key", "BATCH_REST_API_KEY"), ("project_key", "BATCH_PROJECT_KEY")]
)
def test_a_missing_key_names_the_environment_variable(missing, variable):
    kwargs = {"api_key": "k", "project_key": "p", missing: None}
    with pytest.raises(ConfigurationError, match=f"{missing}.*{variable}"):
        batch_rest.BatchClient(**kwargs)


@pytest.mark.parametrize("bad", ["", "has space", "new\nline", "caf\u00e9"])
def test_keys_that_cannot_be_sent_in_a_header_are_refused_without_echoing_them(bad):
    with pytest.raises(ConfigurationError, match="api_key is empty or contains") as caught:
        batch_rest.BatchClient(bad, "p")
    assert not bad or bad not in str(caught.value)


@pytest.mark.pinned_spec
def test_default_base_url_is_the_documents_server_and_version():
    client = batch_rest.BatchClient("k", "p")
    assert (client.base_url, client.api_version) == ("https://api.batch.com/2.11", "2.11")


def test_api_version_argument_and_environment(monkeypatch):
    assert batch_rest.BatchClient("k", "p", api_version="2.13").base_url == "https://api.batch.com/2.13"
    monkeypatch.setenv("BATCH_API_VERSION", "2.4")
    assert batch_rest.BatchClient("k", "p").base_url == "https://api.batch.com/2.4"


@pytest.mark.parametrize("version", ["v2", "2", "2.11/x", "latest", "2.11 "])
def test_bad_api_versions_are_refused(version):
    with pytest.raises(ConfigurationError, match="2.11"):
        batch_rest.BatchClient("k", "p", api_version=version)


def test_base_url_from_the_environment(monkeypatch):
    monkeypatch.setenv("BATCH_BASE_URL", "https://proxy.example/batch/")
    assert batch_rest.BatchClient("k", "p").base_url == "https://proxy.example/batch"


@pytest.mark.parametrize(
    "url", ["http://127.0.0.1:8080/2.11", "http://localhost:1", "http://[::1]:9/x", "http://127.8.9.10"]
)
def test_plain_http_is_fine_on_loopback(url):
    assert batch_rest.BatchClient("k", "p", base_url=url).base_url == url.rstrip("/")


@pytest.mark.parametrize("url", ["http://api.batch.com/2.11", "http://10.0.0.1", "http://localhost.evil.com"])
def test_plain_http_elsewhere_is_refused_unless_asked_for(url):
    with pytest.raises(ConfigurationError, match="allow_insecure_http"):
        batch_rest.BatchClient("k", "p", base_url=url)
    assert batch_rest.BatchClient("k", "p", base_url=url, allow_insecure_http=True).base_url == url


@pytest.mark.parametrize(
    "url",
    ["api.batch.com", "ftp://api.batch.com", "https://", "https://x/?q=1", "https://x/#f", "https://exa mple.com"],
)
def test_bad_base_urls_are_refused(url):
    with pytest.raises(ConfigurationError, match="base_url"):
        batch_rest.BatchClient("k", "p", base_url=url)


@pytest.mark.parametrize(
    ("kwargs", "error", "name"),
    [
        ({"api_key": 123}, TypeError, "api_key"),
        ({"project_key": b"p"}, TypeError, "project_key"),
        ({"api_version": 2.11}, TypeError, "api_version"),
        ({"base_url": httpx.URL("https://x")}, TypeError, "base_url"),
        ({"timeout": "30"}, TypeError, "timeout"),
        ({"timeout": True}, TypeError, "timeout"),
        ({"timeout": 0}, ValueError, "timeout"),
        ({"timeout": -1.0}, ValueError, "timeout"),
        ({"timeout": float("inf")}, ValueError, "timeout"),
        ({"timeout": None}, TypeError, "timeout"),
        ({"max_retries": -1}, ValueError, "max_retries"),
        ({"max_retries": 1.5}, TypeError, "max_retries"),
        ({"max_retries": True}, TypeError, "max_retries"),
        ({"allow_insecure_http": "yes"}, TypeError, "allow_insecure_http"),
        ({"http_client": httpx.AsyncClient()}, TypeError, "http_client"),
        ({"http_client": object()}, TypeError, "http_client"),
    ],
)
def test_bad_arguments_are_refused_with_the_argument_named(kwargs, error, name):
    with pytest.raises(error, match=name):
        batch_rest.BatchClient(**{"api_key": "k", "project_key": "p", **kwargs})


def test_async_client_wants_an_async_http_client():
    with pytest.raises(TypeError, match="httpx.AsyncClient"):
        batch_rest.AsyncBatchClient("k", "p", http_client=httpx.Client())


def test_timeout_accepts_an_httpx_timeout():
    timeout = httpx.Timeout(5.0, connect=2.0)
    assert batch_rest.BatchClient("k", "p", timeout=timeout)._settings.timeout is timeout


def test_repr_shows_settings_but_never_the_key():
    client = batch_rest.BatchClient("sk-canary-repr", "proj")
    text = repr(client)
    assert "sk-canary-repr" not in text
    assert "proj" in text
    assert "api.batch.com" in text
    assert "sk-canary-repr" not in repr(client._settings)
    assert "sk-canary-repr" not in repr(client._headers)


def test_log_handler_from_the_environment(monkeypatch):
    import logging

    logger = logging.getLogger("batch_rest")
    before = list(logger.handlers)
    monkeypatch.setenv("BATCH_REST_LOG", "debug")
    try:
        batch_rest.BatchClient("k", "p")
        batch_rest.BatchClient("k", "p")
        added = [h for h in logger.handlers if h not in before]
        assert len(added) == 1, "one handler, however many clients"
        assert logger.level == logging.DEBUG
    finally:
        logger.handlers[:] = before
        logger.setLevel(logging.NOTSET)


# -- default_headers --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("cls", [batch_rest.BatchClient, batch_rest.AsyncBatchClient])
@pytest.mark.parametrize(
    ("headers", "named"),
    [
        ({"Authorization": "Bearer other"}, ["Authorization", "api_key="]),
        ({"AUTHORIZATION": "x"}, ["Authorization", "api_key="]),
        ({"x-batch-project": "other"}, ["X-Batch-Project", "project_key="]),
        ({"X-Trace": "t", "authorization": "a", "X-Batch-Project": "p"}, ["api_key=", "project_key="]),
    ],
)
def test_default_headers_cannot_replace_the_credentials(cls, headers, named):
    with pytest.raises(ValueError, match="default_headers") as caught:
        cls("k", "p", default_headers=headers)
    for word in named:
        assert word in str(caught.value)
    assert "other" not in str(caught.value)  # a value is never echoed: it may be a key


def test_default_headers_are_kept_checked_and_hidden_in_the_settings_repr():
    client = batch_rest.BatchClient("k", "p", default_headers={"X-Trace": "t-1", "X-Api-Key": "gateway-secret"})
    assert client._settings.default_headers == (("X-Trace", "t-1"), ("X-Api-Key", "gateway-secret"))
    assert "gateway-secret" not in repr(client._settings)
    assert "t-1" in repr(client._settings)


def test_default_headers_none_is_no_default_headers():
    assert batch_rest.BatchClient("k", "p", default_headers=None)._settings.default_headers == ()


def test_a_default_header_value_is_never_echoed_in_its_error():
    with pytest.raises(ValueError, match=r"default_headers\['X-Api-Key'\]") as caught:
        batch_rest.BatchClient("k", "p", default_headers={"X-Api-Key": "secret\nvalue"})
    assert "secret" not in str(caught.value)
