"""Which error a response or an httpx exception becomes: one row of the error tree per test case."""

import json

import httpx
import pytest

import batch_rest
from batch_rest import errors
from batch_rest._secret import Secret

REQUEST = httpx.Request("GET", "https://api.batch.com/2.11/segments/list?limit=100")


def response(status, body=b"", headers=None):
    return httpx.Response(status, content=body, headers=headers or {}, request=REQUEST)


def batch_body(code="SOME_CODE", message="something went wrong"):
    return json.dumps({"error_code": code, "error_message": message}).encode()


@pytest.mark.parametrize(
    ("status", "expected"),
    [
        (400, errors.BadRequestError),
        (401, errors.AuthenticationError),
        (403, errors.PermissionDeniedError),
        (404, errors.NotFoundError),
        (429, errors.RateLimitError),
        (500, errors.ServerError),
        (502, errors.ServerError),
        (503, errors.ServiceUnavailableError),
        (504, errors.ServerError),
        (520, errors.ServerError),
        (599, errors.ServerError),
        (302, errors.UnexpectedStatusError),
        (409, errors.UnexpectedStatusError),
        (418, errors.UnexpectedStatusError),
        (499, errors.UnexpectedStatusError),
        (600, errors.UnexpectedStatusError),
    ],
)
def test_each_status_maps_to_its_class(status, expected):
    error = errors.error_for_response(response(status, batch_body()))
    assert type(error) is expected
    assert isinstance(error, errors.APIError)
    assert isinstance(error, batch_rest.BatchError)
    assert error.status_code == status


def test_503_is_also_a_server_error():
    assert isinstance(errors.error_for_response(response(503)), errors.ServerError)


def test_batch_error_body_is_read():
    error = errors.error_for_response(response(401, batch_body("AUTHENTICATION_INVALID", "bad key")))
    assert (error.error_code, error.error_message, error.body_excerpt) == ("AUTHENTICATION_INVALID", "bad key", None)
    assert "401" in str(error)
    assert "AUTHENTICATION_INVALID: bad key" in str(error)
    assert (error.method, error.url) == ("GET", "https://api.batch.com/2.11/segments/list?limit=100")


@pytest.mark.parametrize(
    "body",
    [b"<html>Bad gateway</html>", b"", b"[1, 2]", b'{"error_code": 5}', b"\xff\xfe\x00garbage", b"{" * 100_000],
)
def test_odd_error_bodies_never_raise(body):
    error = errors.error_for_response(response(502, body))
    assert isinstance(error, errors.ServerError)
    assert error.error_code is None
    assert error.error_message is None
    assert len(error.body_excerpt or "") <= 203


def test_non_json_body_is_kept_as_a_short_excerpt():
    error = errors.error_for_response(response(502, b"<html>" + b"x" * 5000))
    assert error.body_excerpt.startswith("<html>xxx")
    assert error.body_excerpt.endswith("...")


def test_retry_after_is_parsed_onto_the_error():
    assert errors.error_for_response(response(429, headers={"Retry-After": "12"})).retry_after == 12.0
    assert errors.error_for_response(response(429)).retry_after is None


def test_the_api_key_is_scrubbed_from_anything_the_server_echoes():
    key = "sk-canary-1234567890"
    body = json.dumps({"error_code": "E", "error_message": f"key {key} is wrong"}).encode()
    error = errors.error_for_response(response(401, body), secrets=[Secret(key)])
    assert key not in str(error)
    assert key not in error.error_message
    html = errors.error_for_response(
        response(500, f"<p>Authorization: Bearer {key}</p>".encode()), secrets=[Secret(key)]
    )
    assert key not in html.body_excerpt
    assert "[REDACTED]" in html.body_excerpt


@pytest.mark.parametrize(
    ("exc", "expected"),
    [
        (httpx.ConnectError("refused"), errors.BatchConnectionError),
        (httpx.ReadError("reset"), errors.BatchConnectionError),
        (httpx.RemoteProtocolError("peer closed"), errors.BatchConnectionError),
        (httpx.WriteError("broken pipe"), errors.BatchConnectionError),
        (httpx.ProxyError("proxy"), errors.BatchConnectionError),
        (httpx.ConnectTimeout("slow"), errors.BatchTimeoutError),
        (httpx.ReadTimeout("slow"), errors.BatchTimeoutError),
        (httpx.PoolTimeout("slow"), errors.BatchTimeoutError),
        (httpx.DecodingError("bad gzip"), errors.MalformedResponseError),
    ],
)
def test_httpx_exceptions_map_to_ours(exc, expected):
    error = errors.error_for_exception(exc, REQUEST)
    assert type(error) is expected
    assert "https://api.batch.com/2.11/segments/list" in str(error)


def test_a_timeout_is_a_connection_error():
    assert issubclass(errors.BatchTimeoutError, errors.BatchConnectionError)


def test_every_error_class_is_exported_at_top_level():
    for name in errors.__all__:
        assert getattr(batch_rest, name) is getattr(errors, name)
