"""The CLI in process, without a server: output formats, the status line, messages, exit codes, option checks."""

import argparse
import csv
import io
import json
import unicodedata

import pytest

from batch_rest import _cli_output as output
from batch_rest import cli, errors

URL = "https://api.batch.com/2.11/segments/list"
DOCUMENTED = ["code", "display_name", "created_at", "updated_at"]
FIRST = {"display_name": "Ä\tb", "code": "a", "created_at": "2024-01-01T00:00:00Z", "size": 3}
LATER = {"code": "東京-1", "display_name": None, "created_at": "2024-01-02T00:00:00Z", "size": 1234, "tags": ["x"]}
ROWS = [[FIRST], [], [LATER]]  # `tags` first appears on page 3; an empty page changes nothing; no updated_at


def write(fmt, pages=ROWS, documented=DOCUMENTED):
    out = io.StringIO()
    writer = output.writer(fmt, out, documented, "segments")
    for rows in pages:
        writer.add(rows)
    writer.finish()
    return out.getvalue()


def test_jsonl_and_json_keep_every_field_a_newer_api_adds():
    rows = [row for page in ROWS for row in page]
    assert [json.loads(line) for line in write("jsonl").splitlines()] == rows
    assert json.loads(write("json")) == rows


def test_csv_columns_are_the_documented_fields_in_order_then_every_unknown_field_of_any_row():
    rows = list(csv.reader(io.StringIO(write("csv"))))
    assert rows == [
        ["code", "display_name", "created_at", "updated_at", "size", "tags"],
        ["a", "Ä\tb", "2024-01-01T00:00:00Z", "", "3", ""],
        ["東京-1", "", "2024-01-02T00:00:00Z", "", "1234", '["x"]'],
    ]


def cells(line, columns):
    """The terminal column where each of `columns` (texts of that line, in order) starts."""
    found, at = [], 0
    for text in columns:
        at = line.index(text, at)
        found.append(sum(1 + (unicodedata.east_asian_width(c) in "WF") for c in line[:at]))
    return found


def test_table_columns_stay_aligned_whatever_page_brings_a_longer_value_or_a_new_field():
    long_name = {"code": "b", "display_name": "a display name much longer than any before", "created_at": "x"}
    lines = write("table", [[FIRST], [LATER, long_name]]).splitlines()
    assert lines[0].split() == ["code", "display_name", "created_at", "updated_at", "size", "tags"]
    assert "\t" not in "".join(lines)
    header = cells(lines[0], ["code", "display_name", "created_at"])
    assert cells(lines[2], ["a", "Ä?b", "2024-01-01"]) == header
    assert cells(lines[3], ["東京-1", "2024-01-02"]) == [header[0], header[2]]
    assert cells(lines[4], ["b", "a display", "x"]) == header
    assert lines[3].rstrip().endswith('["x"]')  # the late field has its column


def test_table_cuts_a_value_wider_than_the_column_limit_with_an_ellipsis():
    wide = {"code": "東" * 40}  # 80 terminal cells
    header, _, row = write("table", [[wide]], ["code"]).splitlines()
    assert row == "東" * 24 + "…"  # 48 cells and the ellipsis: 49 cells, within MAX_CELL
    assert len(header) == 4


@pytest.mark.parametrize(
    ("fmt", "expected"),
    [("json", "[\n]\n"), ("jsonl", ""), ("csv", "code,display_name,created_at,updated_at\n"),
     ("table", "(no segments)\n")],
)  # fmt: skip
def test_an_empty_listing(fmt, expected):
    assert write(fmt, [[]]) == expected


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


class Recorder(io.StringIO):
    """Stdout, recording at each status line draw whether its text so far ends on a newline."""

    def __init__(self) -> None:
        super().__init__()
        self.at_line_start: list[bool] = []


def test_json_writes_end_on_a_newline_whenever_the_status_line_is_drawn():
    # The status line's `\r\x1b[K` erases the terminal line the cursor is on: stdout must never be left mid-line.
    out, err = Recorder(), Terminal()
    status = output.StatusLine(err, out)
    original = status._draw
    status._draw = lambda text: (out.at_line_start.append(out.getvalue().endswith("\n")), original(text))[1]
    writer = output.writer("json", out, DOCUMENTED, "segments")
    progress = output.Progress("segments", status)
    for rows in [[FIRST], [LATER], [FIRST, LATER]]:
        status.clear()
        writer.add(rows)
        progress.page(len(rows))
    writer.finish()
    status.finish(progress.summary())
    assert len(out.at_line_start) >= 3
    assert all(out.at_line_start)
    assert json.loads(out.getvalue()) == [FIRST, LATER, FIRST, LATER]
    assert "4 segments, 3 pages in" in err.getvalue()


@pytest.mark.parametrize(
    ("count", "noun", "expected"),
    [(1, "segments", "1 segment"), (0, "segments", "0 segments"), (2500, "segments", "2,500 segments"),
     (1, "pages", "1 page"), (1, "entries", "1 entry"), (1, "audiences", "1 audience"),
     (3, "audiences", "3 audiences")],
)  # fmt: skip
def test_plurals(count, noun, expected):
    assert output.plural(count, noun) == expected


def test_the_status_line_says_1_segment_1_page():
    err = Terminal()
    progress = output.Progress("segments", output.StatusLine(err, io.StringIO()))
    progress.page(1)
    assert err.getvalue().endswith("1 segment, 1 page")


def api_error(cls, status, **fields):
    return cls(status_code=status, method="GET", url=URL, headers={}, **fields)


def tried(error, attempts):
    error.attempts = attempts
    return error


ERRORS = [
    (api_error(errors.AuthenticationError, 401, error_code="AUTHENTICATION_INVALID", error_message="bad key"),
     4, ["401", "AUTHENTICATION_INVALID", "bad key", "BATCH_REST_API_KEY", "BATCH_PROJECT_KEY"]),
    (api_error(errors.RateLimitError, 429, retry_after=7.0), 4, ["429", "retry later", "7 s"]),
    (api_error(errors.RateLimitError, 429), 4, ["429", "retry later"]),
    (tried(api_error(errors.ServiceUnavailableError, 503, error_code="MAINTENANCE"), 4),
     4, ["503", "MAINTENANCE", "after 4 attempts"]),
    (tried(api_error(errors.ServerError, 520, body_excerpt="<html>oops"), 1), 4,
     ["520", "<html>oops", "retry later", "after 1 attempt;"]),
    (api_error(errors.BadRequestError, 400, error_message="bad cursor"), 4, ["400", "--start-cursor"]),
    (api_error(errors.NotFoundError, 404), 4, ["404", "--base-url"]),
    (tried(errors.BatchTimeoutError(f"GET {URL} timed out"), 2), 5, ["timed out", "--timeout", "after 2 attempts"]),
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
        (["--page-size", "500"], ["--page-size", "1 to 100"]),
        (["--page-size", "ten"], ["--page-size", "'ten'"]),
        (["--max-items", "0"], ["--max-items"]),
        (["--timeout", "0"], ["--timeout"]),
        (["--timeout", "abc"], ["--timeout", "'abc'"]),
        (["--timeout", "nan"], ["--timeout"]),
        (["--max-retries", "-1"], ["--max-retries"]),
        (["--start-cursor", ""], ["--start-cursor"]),
        (["--api-version", "latest"], ["--api-version", "2.11"]),
        (["--base-url", "ftp://example.com"], ["--base-url"]),
        (["--base-url", "http://example.com/2.11"], ["unencrypted", "--allow-insecure-http"]),
        (["--api-key", "has space"], ["--api-key"]),
    ],
)
def test_every_bad_option_value_exits_2_with_the_commands_usage_before_any_request(keys, capsys, args, words):
    assert cli.main(["segments", "list", *args]) == 2
    err = capsys.readouterr().err
    assert err.startswith("usage: batch-rest segments list")
    (message,) = [line for line in err.splitlines() if "error:" in line]
    assert message.startswith("batch-rest segments list: error: ")
    for word in words:
        assert word in message
    assert "allow_insecure_http" not in message
    assert "has space" not in err


def test_allow_insecure_http_lets_a_plain_http_url_through(keys, monkeypatch):
    built = {}
    monkeypatch.setattr("batch_rest.BatchClient.__init__", lambda self, *a, **kw: built.update(kw) or None)
    args = argparse.Namespace(api_key=None, project_key=None, api_version=None, base_url="http://example.com/2.11",
                              timeout=30.0, max_retries=3, allow_insecure_http=True, operation="segments_list",
                              command=argparse.ArgumentParser())  # fmt: skip
    cli._client(args)
    assert built["allow_insecure_http"] is True


@pytest.mark.parametrize(
    ("missing", "words"),
    [(["BATCH_REST_API_KEY"], ["BATCH_REST_API_KEY", "--api-key"]),
     (["BATCH_PROJECT_KEY"], ["BATCH_PROJECT_KEY", "--project-key"]),
     (["BATCH_REST_API_KEY", "BATCH_PROJECT_KEY"],
      ["BATCH_REST_API_KEY", "BATCH_PROJECT_KEY", "--api-key", "--project-key"])],
)  # fmt: skip
def test_missing_keys_are_all_named_and_exit_3(keys, monkeypatch, capsys, missing, words):
    for name in missing:
        monkeypatch.delenv(name)
    assert cli.main(["segments", "list"]) == 3
    (line,) = capsys.readouterr().err.splitlines()
    assert line.startswith("batch-rest: configuration error: ")
    for word in words:
        assert word in line


def test_a_bad_environment_variable_exits_3(keys, monkeypatch, capsys):
    monkeypatch.setenv("BATCH_BASE_URL", "http://example.com/2.11")
    assert cli.main(["segments", "list"]) == 3
    (line,) = capsys.readouterr().err.splitlines()
    assert "BATCH_BASE_URL" in line
    assert "--allow-insecure-http" in line


@pytest.mark.parametrize(
    ("args", "code", "usage"),
    [([], 2, "usage: batch-rest [-h]"), (["segments"], 2, "usage: batch-rest segments [-h]"),
     (["segments", "list", "--format", "xml"], 2, "usage: batch-rest segments list"),
     (["segments", "list", "-x"], 2, "usage: batch-rest segments list"),
     (["segments", "list", "--formt", "csv"], 2, "usage: batch-rest segments list"),
     (["--help"], 0, "usage: batch-rest [-h]"), (["segments", "list", "--help"], 0, "usage: batch-rest segments list")],
)  # fmt: skip
def test_usage_is_the_commands_own(capsys, args, code, usage):
    assert cli.main(args) == code
    captured = capsys.readouterr()
    assert (captured.out if code == 0 else captured.err).startswith(usage)
    if args[-1:] == ["--help"]:
        for exit_code in ("2 ", "3 ", "4 ", "5 ", "6 ", "130 "):
            assert f"\n  {exit_code}" in captured.out


def test_a_misspelt_option_is_named_with_a_suggestion(capsys):
    assert cli.main(["segments", "list", "--formt", "csv"]) == 2
    assert "unrecognized arguments: --formt csv (did you mean --format?)" in capsys.readouterr().err


@pytest.mark.pinned_spec
def test_version(capsys):
    from batch_rest import __version__

    assert cli.main(["--version"]) == 0
    assert capsys.readouterr().out == f"batch-rest {__version__} (Batch REST API 2.11)\n"


def test_a_parameter_named_like_a_cli_option_gets_a_prefixed_option(monkeypatch):
    facts = {
        "resource": "reports", "action": "view", "method": "GET", "idempotent": True, "path": "/reports/view",
        "summary": "View", "description": "", "paging": None, "body": None, "results": {},
        "params": [
            {"name": "timeout", "api_name": "timeout", "in": "query", "required": True, "annotation": "int",
             "schema": "#/x", "description": "the report's timeout"},
            {"name": "from_", "api_name": "from", "in": "query", "required": False, "annotation": "str | Unset",
             "schema": "#/y", "description": "start"},
        ],
    }  # fmt: skip
    monkeypatch.setattr(cli._seam, "OPERATIONS", {"reports_view": facts})
    args = cli._parser().parse_args(["reports", "view", "--param-timeout", "5", "--timeout", "2", "--from", "x"])
    assert vars(args)["param:timeout"] == "5"
    assert args.timeout == 2.0
    assert vars(args)["param:from_"] == "x"


@pytest.mark.parametrize(
    ("schema", "text", "expected"),
    [({"type": "integer"}, "42", 42), ({"type": "number"}, "2.5", 2.5), ({"type": "boolean"}, "true", True),
     ({"type": "boolean"}, "no", False), ({"type": "string", "enum": ["a", "b"]}, "b", "b"),
     ({"type": ["integer", "null"]}, "7", 7), ({"type": "object"}, '{"a": 1}', {"a": 1}),
     ({"type": "array", "items": {"type": "integer"}}, ["1", "2"], [1, 2])],
)  # fmt: skip
def test_option_values_are_converted_by_their_schema(schema, text, expected):
    assert cli._converted(text, schema) == expected


@pytest.mark.parametrize(("schema", "text"), [({"type": "integer"}, "4.5"), ({"type": "boolean"}, "maybe"),
                                              ({"type": "object"}, "{")])  # fmt: skip
def test_an_unconvertible_value_is_a_value_error(schema, text):
    with pytest.raises(ValueError, match="expected"):
        cli._converted(text, schema)


def test_the_resume_hint_repeats_every_option_given_but_the_key(keys):
    parser = cli._parser()
    argv = ["segments", "list", "--page-size", "20", "--format", "csv", "--base-url", "https://proxy.example/2.11",
            "--max-items", "50", "--api-key", "secret key", "-v", "--timeout", "5"]  # fmt: skip
    args = parser.parse_args(argv)
    hint = cli._resume_command(args, "a+b/c=", listed=20)
    assert hint == (
        "batch-rest segments list --format csv --page-size 20 --base-url https://proxy.example/2.11 --timeout 5.0 "
        "--verbose --max-items 30 --start-cursor a+b/c= (and your --api-key)"
    )
    assert "secret" not in hint


# -- help, suggestions, version ---------------------------------------------------------------------------------


def every_help_argv():
    """The argv of every help screen: the top level, each resource, each operation, fake-server."""
    yield []
    for facts in cli._seam.OPERATIONS.values():
        yield [facts["resource"]]
        yield [facts["resource"], facts["action"]]
    yield ["fake-server"]


def help_text(argv, columns, monkeypatch, capsys):
    monkeypatch.setenv("COLUMNS", str(columns))
    assert cli.main([*argv, "--help"]) == 0
    return capsys.readouterr().out


@pytest.mark.parametrize("columns", [80, 60])
def test_help_lines_fit_the_terminal_and_break_between_words_only(monkeypatch, capsys, columns):
    for argv in dict.fromkeys(map(tuple, every_help_argv())):
        narrow = help_text(argv, columns, monkeypatch, capsys)
        words = set(help_text(argv, 10_000, monkeypatch, capsys).split())  # nothing wrapped at all
        broken = [word for word in narrow.split() if word not in words]
        assert broken == [], f"{argv}: words cut in two at {columns} columns: {broken}\n{narrow}"
        usage, _, rest = narrow.partition("\n\n")
        # argparse leaves 2 columns spare; only a single word longer than the line may overflow it. The usage is
        # argparse's, made of parts it never breaks (`[--indexing-token INDEXING_TOKEN]`): held to 80 columns only.
        for line in (narrow if columns >= 80 else rest).splitlines():
            assert len(line) <= columns - 2 or len(line.split()) == 1, (
                f"{argv}: {line!r} is wider than {columns} columns\n{narrow}"
            )
        assert usage.startswith("usage: ")


def test_the_exit_codes_wrap_under_their_own_text(monkeypatch, capsys):
    text = help_text(["segments", "list"], 80, monkeypatch, capsys)
    lines = text[text.index("exit codes:") :].splitlines()
    assert "  2    usage error: unknown command or option, or an invalid option value" in lines
    assert "       (--body included)" in lines  # under `usage error`, not cut as `(--bod` / `y included)`


@pytest.mark.parametrize(
    ("typed", "meant"),
    [("--formt", "--format"), ("--fromat", "--format"), ("--page-sise", "--page-size"), ("--pagesize", "--page-size"),
     ("--max-itmes", "--max-items"), ("--timout", "--timeout"), ("--verbse", "--verbose"), ("--base_url", "--base-url"),
     ("--API-VERSION", "--api-version"), ("--start_cursor", "--start-cursor"), ("--max-retires", "--max-retries"),
     ("-format", "--format")],
)  # fmt: skip
def test_a_typo_of_an_option_gets_that_option_suggested(capsys, typed, meant):
    assert cli.main(["segments", "list", typed, "x"]) == 2
    assert f"unrecognized arguments: {typed} x (did you mean {meant}?)" in capsys.readouterr().err


@pytest.mark.parametrize("typed", ["--bogus", "--debug", "--output", "--limit", "--json", "--quiet", "--from", "x"])
def test_an_option_that_is_not_close_to_any_gets_no_suggestion(capsys, typed):
    assert cli.main(["segments", "list", typed]) == 2
    err = capsys.readouterr().err
    assert f"unrecognized arguments: {typed}\n" in err
    assert "did you mean" not in err


def test_version_is_the_packages_and_the_distributions():
    import tomllib
    from pathlib import Path

    from batch_rest import __version__, _version

    pyproject = Path(__file__).resolve().parents[2] / "pyproject.toml"
    assert _version.__version__ == __version__ == tomllib.loads(pyproject.read_text())["project"]["version"]


# -- --max-retries, order of fields, control characters --------------------------------------------------------


def test_the_clis_retry_bound_is_the_clients():
    from batch_rest import _config

    assert cli.MAX_RETRIES == _config.MAX_RETRIES


@pytest.mark.timeout(10)  # accepted, 1000 retries of a refused connection would take hours
@pytest.mark.parametrize("value", ["11", "1000"])
def test_max_retries_beyond_the_bound_is_a_usage_error(keys, capsys, value):
    assert cli.main(["segments", "list", "--max-retries", value, "--base-url", "http://127.0.0.1:9/2.11"]) == 2
    (message,) = [line for line in capsys.readouterr().err.splitlines() if "error:" in line]
    assert message.endswith(f"error: --max-retries must be from 0 to 10 (0 turns retries off), got {value}")


SCHEMA = {
    "type": "object",
    "properties": {
        "code": {"type": "string"},
        "owner": {"type": "object", "properties": {"id": {"type": "string"}, "name": {"type": "string"}}},
        "tags": {"type": "array", "items": {"type": "object", "properties": {"k": {}, "v": {}}}},
    },
}


def test_objects_get_their_documented_fields_first_then_the_others_as_they_came():
    row = {"zz": 1, "tags": [{"extra": 0, "v": 2, "k": 1}], "aa": 2, "owner": {"x": 0, "name": "n", "id": "i"},
           "code": "c"}  # fmt: skip
    ordered = cli._in_document_order(row, SCHEMA)
    assert ordered == row
    assert list(ordered) == ["code", "owner", "tags", "zz", "aa"]
    assert list(ordered["owner"]) == ["id", "name", "x"]
    assert list(ordered["tags"][0]) == ["k", "v", "extra"]


def test_an_item_models_fields_come_documented_first_whatever_order_to_dict_gives():
    facts = cli._seam.OPERATIONS["segments_list"]
    from batch_rest import Segment

    segment = Segment.from_dict({"new_field": 1, "display_name": "D", "code": "C"})
    schema = cli._schema(facts["paging"]["item_schema"])
    assert list(cli._in_document_order(output.to_json(segment), schema)) == ["code", "display_name", "new_field"]


EVIL = {"code": "evil\x1b[31mRED", "display_name": "bell\x07 del\x7f csi\x9b2J", "created_at": "2024-01-01"}


def test_csv_on_a_terminal_shows_control_characters_as_the_table_does():
    out = Terminal()
    writer = output.writer("csv", out, DOCUMENTED, "segments", terminal=True)
    writer.add([EVIL | {"we\x1bird": "x"}])
    writer.finish()
    text = out.getvalue()
    assert text.isprintable() or set(text) - set(filter(str.isprintable, text)) == {"\n"}
    assert list(csv.reader(io.StringIO(text))) == [
        [*DOCUMENTED, "we?ird"],
        ["evil?[31mRED", "bell? del? csi?2J", "2024-01-01", "", "x"],
    ]


@pytest.mark.parametrize("fmt", ["csv", "jsonl", "json"])
def test_piped_output_keeps_what_the_server_sent_byte_for_byte(fmt):
    text = write(fmt, [[EVIL]])
    assert "\x7f" in text
    assert "\x9b" in text
    if fmt == "csv":
        assert list(csv.reader(io.StringIO(text)))[1][:2] == [EVIL["code"], EVIL["display_name"]]
    else:  # JSON's own escapes for the ASCII controls, nothing more
        assert json.dumps(EVIL, ensure_ascii=False) in text


@pytest.mark.parametrize("fmt", ["jsonl", "json"])
def test_json_on_a_terminal_escapes_control_characters_and_still_says_the_same(fmt):
    out = Terminal()
    writer = output.writer(fmt, out, DOCUMENTED, "segments", terminal=True)
    row = EVIL | {"astral": "\U000e0001", "line": "a\u2028b"}
    writer.add([row])
    writer.finish()
    text = out.getvalue()
    assert all(char.isprintable() or char == "\n" for char in text)
    assert "\\u009b" in text
    assert "\\udb40\\udc01" in text  # a surrogate pair beyond the Basic Multilingual Plane
    parsed = [json.loads(line) for line in text.splitlines()] if fmt == "jsonl" else json.loads(text)
    assert parsed == [row]
