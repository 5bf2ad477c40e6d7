"""The CLI in process, without a server: output formats, error messages and exit codes, option checks."""

import csv
import io
import json
import unicodedata

import pytest

from batch_rest import cli, errors

URL = "https://api.batch.com/2.11/segments/list"
FIRST = {"code": "a", "display_name": "Ä\tb", "created_at": "2024-01-01T00:00:00Z", "size": 3, "tags": ["x"]}
LATER = {"code": "東京-1", "display_name": None, "created_at": "2024-01-02T00:00:00Z", "size": 1234}
ROWS = [[FIRST], [], [LATER]]  # LATER has no tags; an empty page changes nothing


def write(fmt, pages=ROWS):
    out = io.StringIO()
    cli._write(fmt, out, iter(pages), lambda text: None)
    return out.getvalue()


def test_jsonl_and_json_keep_every_field_a_newer_api_adds():
    rows = [row for page in ROWS for row in page]
    assert [json.loads(line) for line in write("jsonl").splitlines()] == rows
    assert json.loads(write("json")) == rows


def test_csv_has_a_header_and_the_first_rows_columns():
    rows = list(csv.reader(io.StringIO(write("csv"))))
    assert rows == [
        ["code", "display_name", "created_at", "size", "tags"],
        ["a", "Ä\tb", "2024-01-01T00:00:00Z", "3", '["x"]'],
        ["東京-1", "", "2024-01-02T00:00:00Z", "1234", ""],
    ]


def test_table_aligns_wide_characters_and_shows_no_control_characters():
    lines = write("table", [ROWS[0] + ROWS[2]]).splitlines()  # a table sizes its columns on the first page
    assert lines[0].split() == ["code", "display_name", "created_at", "size", "tags"]
    assert "\t" not in "".join(lines)

    def column_of(line, text):  # in terminal cells
        return sum(1 + (unicodedata.east_asian_width(c) in "WF") for c in line[: line.index(text)])

    header = column_of(lines[0], "created_at")
    assert column_of(lines[2], "2024-01-01") == header == column_of(lines[3], "2024-01-02")


@pytest.mark.parametrize(
    ("fmt", "expected"), [("json", "[]\n"), ("jsonl", ""), ("csv", ""), ("table", "(no segments)\n")]
)
def test_an_empty_listing(fmt, expected):
    assert write(fmt, [[]]) == expected


def api_error(cls, status, **fields):
    return cls(status_code=status, method="GET", url=URL, headers={}, **fields)


ERRORS = [
    (api_error(errors.AuthenticationError, 401, error_code="AUTHENTICATION_INVALID", error_message="bad key"),
     4, ["401", "AUTHENTICATION_INVALID", "bad key", "BATCH_REST_API_KEY", "BATCH_PROJECT_KEY"]),
    (api_error(errors.RateLimitError, 429, retry_after=7.0), 4, ["429", "retry later", "7 s"]),
    (api_error(errors.RateLimitError, 429), 4, ["429", "retry later"]),
    (api_error(errors.ServiceUnavailableError, 503, error_code="MAINTENANCE"), 4, ["503", "MAINTENANCE"]),
    (api_error(errors.ServerError, 520, body_excerpt="<html>oops"), 4, ["520", "<html>oops", "retry later"]),
    (api_error(errors.BadRequestError, 400, error_message="bad cursor"), 4, ["400", "--start-cursor"]),
    (api_error(errors.NotFoundError, 404), 4, ["404", "--base-url"]),
    (errors.BatchTimeoutError(f"GET {URL} timed out"), 5, ["timed out", "--timeout"]),
    (errors.BatchConnectionError(f"GET {URL} failed: ConnectError"), 5, ["ConnectError", "--base-url"]),
    (errors.MalformedResponseError("not JSON", status_code=200, method="GET", url=URL, body_excerpt=""),
     6, ["not JSON"]),
    (errors.PaginationError("next_from sent again", cursor="c"), 6, ["next_from sent again"]),
    (KeyboardInterrupt(), 130, ["interrupted"]),
]  # fmt: skip


@pytest.mark.parametrize(("error", "code", "words"), ERRORS)
def test_each_error_has_its_exit_code_and_says_what_to_do(error, code, words):
    exit_code, message = cli._explain(error)
    assert exit_code == code
    for word in words:
        assert word in message


def test_messages_are_one_line_without_the_key_or_control_characters(capsys):
    cli._say("API error: the key sk-123 was\nrefused \x1b[31m", secret="sk-123")
    err = capsys.readouterr().err
    assert err == "batch-rest: API error: the key [REDACTED] was refused ?[31m\n"


@pytest.fixture
def keys(monkeypatch):
    for name in ("BATCH_BASE_URL", "BATCH_API_VERSION", "BATCH_REST_LOG"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("BATCH_REST_API_KEY", "unit-test-key")
    monkeypatch.setenv("BATCH_PROJECT_KEY", "unit-test-project")


@pytest.mark.parametrize(
    ("args", "words"),
    [
        (["--page-size", "0"], ["--page-size", "1 to 100"]),
        (["--page-size", "101"], ["--page-size", "1 to 100"]),
        (["--max-items", "0"], ["--max-items"]),
        (["--timeout", "0"], ["--timeout"]),
        (["--timeout", "nan"], ["--timeout"]),
        (["--max-retries", "-1"], ["--max-retries"]),
        (["--start-cursor", ""], ["--start-cursor"]),
        (["--api-version", "latest"], ["--api-version", "2.11"]),
        (["--base-url", "ftp://example.com"], ["--base-url"]),
        (["--base-url", "http://example.com/2.11"], ["unencrypted"]),
    ],
)
def test_bad_values_exit_3_before_any_request(keys, capsys, args, words):
    assert cli.main(["segments", "list", *args]) == 3
    err = capsys.readouterr().err
    assert err.startswith("batch-rest: configuration error: ")
    assert err.count("\n") == 1
    for word in words:
        assert word in err


def test_a_missing_key_names_its_variable(keys, monkeypatch, capsys):
    monkeypatch.delenv("BATCH_REST_API_KEY")
    assert cli.main(["segments", "list"]) == 3
    assert "BATCH_REST_API_KEY" in capsys.readouterr().err


def test_a_key_passed_as_an_option_is_never_echoed(keys, capsys):
    assert cli.main(["segments", "list", "--api-key", "has space"]) == 3
    assert "has space" not in capsys.readouterr().err


@pytest.mark.parametrize(
    ("args", "code"),
    [([], 2), (["segments"], 2), (["segments", "list", "--format", "xml"], 2),
     (["segments", "list", "-x"], 2), (["--help"], 0), (["segments", "list", "--help"], 0)],
)  # fmt: skip
def test_usage(capsys, args, code):
    assert cli.main(args) == code
    if args[-1:] == ["--help"]:
        help_text = capsys.readouterr().out
        for exit_code in ("2 ", "3 ", "4 ", "5 ", "6 ", "130 "):
            assert f"\n  {exit_code}" in help_text
