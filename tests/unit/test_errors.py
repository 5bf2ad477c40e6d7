"""Which error a response or an httpx exception becomes: one row of the error tree per test case."""

import json
import pickle

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


# -- Redaction: every credential the request carried, hidden from everything an error keeps -------------------

TOKEN = "tok-0123456789abcdef"


@pytest.mark.parametrize(
    "name",
    ["Authorization", "proxy-authorization", "Cookie", "Set-Cookie", "X-Api-Key", "Api-Key", "X-Auth-Token",
     "X-Access-Token", "Ocp-Apim-Subscription-Key", "X-Client-Secret", "X-Session-Id", b"authorization"],
)  # fmt: skip
def test_headers_named_for_a_credential_are_credentials(name):
    assert errors.is_credential_header(name)


@pytest.mark.parametrize(
    "name", ["X-Batch-Project", "User-Agent", "Accept", "Content-Type", "X-Trace", "WWW-Authenticate", "Retry-After"]
)
def test_other_headers_are_not(name):
    assert not errors.is_credential_header(name)


def test_a_request_with_credentials_in_several_headers_has_each_scrubbed():
    request = httpx.Request(
        "GET",
        f"https://api.batch.com/2.11/segments/list?from={TOKEN}-cursor",
        headers={
            "Authorization": f"Bearer {TOKEN}-bearer",
            "Cookie": f"lang=en; session={TOKEN}-cookie",
            "X-Api-Key": f"{TOKEN}-apikey",
            "X-Batch-Project": "proj-1",
        },
    )
    echoed = " ".join(f"{TOKEN}-{what}" for what in ("bearer", "cookie", "apikey")) + " lang=en proj-1"
    redaction = errors.Redaction((), request)
    assert redaction.text(echoed) == "[REDACTED] [REDACTED] [REDACTED] lang=en proj-1"  # short and readable: kept
    assert redaction.content(echoed.encode()) == b"[REDACTED] [REDACTED] [REDACTED] lang=en proj-1"
    copy = redaction.request(request)
    assert [copy.headers[n] for n in ("authorization", "cookie", "x-api-key")] == ["[REDACTED]"] * 3
    assert copy.headers["x-batch-project"] == "proj-1"
    assert TOKEN not in repr(redaction)


def test_the_clients_own_key_is_scrubbed_whatever_its_length():
    assert errors.Redaction([Secret("k3y")]).text("a k3y b") == "a [REDACTED] b"
    assert errors.Redaction((), httpx.Request("GET", "https://x", headers={"X-Api-Key": "k3y"})).text("k3y") == "k3y"


def test_a_credential_cut_short_is_scrubbed_down_to_eight_characters():
    redaction = errors.Redaction([Secret(TOKEN)])
    assert redaction.text(f"got '{TOKEN[:12]}...'") == "got '[REDACTED]...'"
    assert redaction.text(f"{TOKEN[:8]} and {TOKEN[:7]}") == f"[REDACTED] and {TOKEN[:7]}"
    assert redaction.content(f"{TOKEN}{TOKEN}x".encode()) == b"[REDACTED][REDACTED]x"


def test_credentials_sharing_their_start_are_each_scrubbed_whole():
    jwt_a, jwt_b = "eyJhbGciOiJIUzI1NiJ9.payload-a.sig-a", "eyJhbGciOiJIUzI1NiJ9.payload-b.sig-b"
    request = httpx.Request("GET", "https://x", headers={"Authorization": f"Bearer {jwt_a}", "X-Id-Token": jwt_b})
    assert errors.Redaction((), request).text(f"{jwt_b} {jwt_a}") == "[REDACTED] [REDACTED]"


def test_an_error_response_keeps_scrubbed_copies_and_redacted_credential_headers():
    request = httpx.Request("GET", "https://api.batch.com/2.11/x", headers={"Authorization": f"Bearer {TOKEN}"})
    body = json.dumps({"error_code": "E", "error_message": f"you sent {TOKEN}"}).encode()
    answer = httpx.Response(
        401,
        content=body,
        headers={"Set-Cookie": f"sid={TOKEN}", "X-Echo": f"Bearer {TOKEN}", "WWW-Authenticate": 'Bearer realm="a"'},
        request=request,
    )
    error = errors.error_for_response(answer)
    assert error.error_message == "you sent [REDACTED]"
    assert error.headers["set-cookie"] == "[REDACTED]"
    assert error.headers["x-echo"] == "[REDACTED]"
    assert error.headers["www-authenticate"] == 'Bearer realm="a"'  # why the 401: kept
    assert error.response.headers["set-cookie"] == "[REDACTED]"
    assert error.request.headers["authorization"] == "[REDACTED]"
    assert TOKEN.encode() not in pickle.dumps(error)


def test_an_httpx_exception_is_chained_as_a_scrubbed_copy_without_traceback():
    request = httpx.Request("POST", "https://api.batch.com/2.11/x", headers={"Authorization": f"Bearer {TOKEN}"})
    try:
        raise httpx.RemoteProtocolError(f"illegal header line: b'echo: {TOKEN}'", request=request)
    except httpx.RemoteProtocolError as exc:
        exc.add_note(f"note {TOKEN}")
        error = errors.error_for_exception(exc, request)
    cause = error.__cause__
    assert type(cause) is httpx.RemoteProtocolError
    assert str(cause) == "illegal header line: b'echo: [REDACTED]'"
    assert cause.__notes__ == ["note [REDACTED]"]
    assert cause.request.headers["authorization"] == "[REDACTED]"
    assert (cause.__traceback__, cause.__cause__, cause.__context__) == (None, None, None)
    assert error.__suppress_context__
    assert TOKEN not in str(error)
    assert error.request.headers["authorization"] == "[REDACTED]"
    assert TOKEN.encode() not in pickle.dumps(error) + pickle.dumps(cause)


def test_an_exception_class_that_cannot_be_copied_is_kept_as_its_message():
    class Odd(httpx.TransportError):
        def __new__(cls, needed):
            return super().__new__(cls, needed)

    request = httpx.Request("GET", "https://x", headers={"Authorization": f"Bearer {TOKEN}"})
    error = errors.error_for_exception(Odd(f"odd {TOKEN}"), request)
    assert str(error.__cause__) == "Odd: odd [REDACTED]"


@pytest.mark.parametrize(
    ("headers", "expected"),
    [
        ({"Authorization": "Bearer x", "X-Trace": "t"}, "{'Authorization': '[REDACTED]', 'X-Trace': 't'}"),
        ((("X-Api-Key", "k"),), "{'X-Api-Key': '[REDACTED]'}"),
        (None, "None"),
        ([1, 2], "[1, 2]"),
    ],
)
def test_headers_repr_hides_credential_values(headers, expected):
    assert errors.headers_repr(headers) == expected


def test_the_start_of_a_scheme_or_a_cookie_name_is_ordinary_text():
    request = httpx.Request(
        "GET", "https://x", headers={"Authorization": f"Bearer {TOKEN}", "Cookie": f"session={TOKEN}"}
    )
    text = "Bearer token required; session=tokens expired"
    assert errors.Redaction((), request).text(text) == text
