"""`batch-rest`: every operation of Batch's REST API from a shell, and a fake Batch API for demos.

    batch-rest <resource> <action> [--<param> VALUE ...] [--body JSON | --body @file.json | --body -]
    batch-rest audiences view --name vip
    batch-rest profiles update --body @edits.json
    batch-rest segments list --format csv --page-size 50

The commands are built from the operations the generated package describes (`_seam.OPERATIONS`: resource,
action, parameters, body, results, paging), so a regenerated package brings its operations here with no edit.
A parameter's option is its Python name in the typed method, dashed (`from_` -> `--from`); its text is
converted by the parameter's schema, then checked by the client exactly as a Python caller's value would be.
Cursor lists stream their items (--format, --max-items, --page-size, --start-cursor); other operations print
their result as JSON, or the URL a redirect (`Location`) points to. A chunkable operation (its `bulk` fact) also
gets `bulk-<action>`, its bulk method fed from a JSON-lines file (run by _cli_bulk.py, loaded only then).

Exit 2 is for anything wrong on the command line, option values included: the client's TypeError / ValueError
(raised before any request) are reported with the command's usage. Exit 3 is for what is missing or wrong
outside it (keys, BATCH_* variables). See EPILOG (and BULK_EPILOG) for the others.

Only the standard library and the seam's plain data are imported up front, so that `batch-rest --help` and
`--version` stay fast: httpx, the models and the API document load when a command runs (_cli_output: what a
command writes).

A copy of the package made by `make vendor` (tools/vendor.py) comes without the console script: it names itself
`python -m <package>` in its usage, messages and resume hints (PROG).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shlex
import sys
from collections.abc import Callable, Iterator, Mapping, Sequence
from itertools import groupby
from typing import TYPE_CHECKING, Any, NoReturn, cast

from . import _seam
from ._schema import schema_at

if TYPE_CHECKING:
    from ._cli_output import StatusLine
    from ._client import BatchClient

PACKAGE = __name__.rpartition(".")[0]
PROG = "batch-rest" if PACKAGE == "batch_rest" else f"python -m {PACKAGE}"
FORMATS = ("table", "jsonl", "json", "csv")
EXIT_USAGE, EXIT_CONFIG, EXIT_API, EXIT_CONNECTION, EXIT_RESPONSE = 2, 3, 4, 5, 6
EXIT_REJECTED, EXIT_UNKNOWN = 7, 8  # bulk commands: some items rejected (none unknown) / some unknown
EXIT_INTERRUPTED, EXIT_BROKEN_PIPE = 130, 141
ENV_API_KEY, ENV_PROJECT_KEY = "BATCH_REST_API_KEY", "BATCH_PROJECT_KEY"  # as in _config, which imports httpx
MAX_RETRIES = 10  # _config.MAX_RETRIES, which the client enforces (test_cli_unit.py checks that they agree)
PARAM_DEST = "param:"  # argparse dest prefix of an operation's parameters: never clashes with the CLI's own
# The client's arguments, by the option that sets them: the client's messages start with the argument's name.
CLIENT_OPTIONS = {
    "page_size": "--page-size", "start_cursor": "--start-cursor", "max_retries": "--max-retries",
    "timeout": "--timeout", "api_key": "--api-key", "project_key": "--project-key", "base_url": "--base-url",
    "api_version": "--api-version",
}  # fmt: skip
CONNECTION_OPTIONS = ("-v", "--verbose", "--allow-insecure-http", *CLIENT_OPTIONS.values())
BULK_OPTIONS = {
    "chunk_size": "--chunk-size", "max_in_flight": "--max-in-flight", "items_per_second": "--items-per-second",
    "requests_per_second": "--requests-per-second", "checkpoint": "--checkpoint",
}  # fmt: skip
_LISTS = frozenset(name for name, facts in _seam.OPERATIONS.items() if facts["paging"])
_LEADING_NAME = re.compile(r"^(\w+)(=?)")
_INSECURE_HINT = re.compile(r"\ballow_insecure_http=True\b")

_HAS_BULK = any(facts.get("bulk") for facts in _seam.OPERATIONS.values())
_BULK_CODES = """\
  7    a bulk command: some items were rejected (not applied: safe to send again), none is unknown
  8    a bulk command: the outcome of some items is unknown (they may have been applied)
"""
EPILOG = (
    """\
exit codes:
  0    success
  2    usage error: unknown command or option, or an invalid option value (--body included)
  3    configuration error: missing API or project key, or an invalid BATCH_* environment variable
  4    the API answered with an error (401, 404, 429, 5xx, ...)
  5    connection failure or timeout
  6    malformed response or broken pagination from the server
"""
    + (_BULK_CODES if _HAS_BULK else "")  # only where the package has bulk commands
    + """\
  130  interrupted (Ctrl-C)
  141  stdout was closed early (e.g. piped into `head`)
"""
)
BULK_EPILOG = """\
exit codes:
  0    every item was accepted (by this run, and by those it resumes)
  2    usage error: unknown option, or an invalid option value (--items, --body, --checkpoint included)
  3    configuration error: missing API or project key, an invalid BATCH_* variable, --rejects not writable
  4    the run stopped on an API error: 401, 403, 404, or 429 / 503 through the retries
  5    the run stopped on a connection failure or timeout
  7    some items were rejected (not applied: safe to send again), none is unknown
  8    the outcome of some items is unknown (they may have been applied)
  130  interrupted (Ctrl-C); with --checkpoint, the command that resumes the run is printed
"""


# -- the parser, built from the operations ------------------------------------------------------------------


class _HelpFormatter(argparse.HelpFormatter):
    """Breaks lines between words only: never inside a word, an option (`--body`, `--base-url`) or a URL, which
    argparse's textwrap defaults do (a hyphen, or a word longer than the line). A description's paragraphs are
    wrapped one by one; an indented block (the exit codes) keeps its lines, each wrapped under its own text."""

    def _split_lines(self, text: str, width: int) -> list[str]:
        return _wrap(" ".join(text.split()), width)

    def _fill_text(self, text: str, width: int, indent: str) -> str:
        paragraphs = []
        for paragraph in text.strip().split("\n\n"):
            if "\n " in paragraph:
                paragraphs.append("\n".join(_hanging(line, width, indent) for line in paragraph.splitlines()))
            else:
                paragraphs.append("\n".join(_wrap(" ".join(paragraph.split()), width, indent)))
        return "\n\n".join(paragraphs)


def _wrap(text: str, width: int, indent: str = "", hanging: str | None = None) -> list[str]:
    import textwrap  # noqa: PLC0415 - only when help is printed

    return textwrap.wrap(text, width, initial_indent=indent, subsequent_indent=indent if hanging is None else hanging,
                         break_long_words=False, break_on_hyphens=False) or [indent.rstrip()]  # fmt: skip


_LABELLED = r"(?P<label>\s*\S+\s{2,})(?P<text>\S.*)"  # `  130  interrupted (Ctrl-C)`; compiled when help is printed


def _hanging(line: str, width: int, indent: str) -> str:
    """One line of an indented block, wrapped; a labelled line (`  2    usage error: ...`) continues under its text."""
    labelled = re.fullmatch(_LABELLED, line.rstrip())
    if labelled is None:
        text = line.lstrip()
        margin = indent + line[: len(line) - len(text)]
        return "\n".join(_wrap(text, width, margin))
    label = indent + labelled["label"]
    return "\n".join(_wrap(" ".join(labelled["text"].split()), width, label, " " * len(label)))


class _CommandParser(argparse.ArgumentParser):
    """A command's parser: an unknown option is reported with this command's usage, not the top level's."""

    def parse_known_args(self, args: Any = None, namespace: Any = None) -> Any:
        parsed, extras = super().parse_known_args(args, namespace)
        if extras:
            known = [s for action in self._actions for s in action.option_strings if s.startswith("--")]
            close = _suggestion(extras[0].partition("=")[0], known)
            hint = f" (did you mean {close}?)" if close else ""
            self.error(f"unrecognized arguments: {' '.join(extras)}{hint}")
        return parsed, extras


def _suggestion(unknown: str, known: Sequence[str]) -> str | None:
    """The known option `unknown` is most likely a typo of, if it is genuinely close: one typo (a letter missing,
    extra, wrong, or two swapped) away, two for names of six letters or more, `_` and case not counted. Otherwise
    none: a wrong guess (`--bogus`, did you mean `--verbose`?) sends the reader the wrong way."""
    if not unknown.startswith("-"):
        return None
    name = unknown.lstrip("-").lower().replace("_", "-")
    allowed = 1 if len(name) < 6 else 2
    distances = [(_typos(name, option.lstrip("-")), option) for option in known]
    distance, option = min(distances, default=(allowed + 1, ""), key=lambda pair: pair[0])
    return option if distance <= allowed else None


def _typos(a: str, b: str) -> int:
    """Edits from `a` to `b`: letters inserted, deleted, replaced, or two neighbours swapped (optimal string
    alignment distance)."""
    before: list[int] = []
    previous = list(range(len(b) + 1))
    for i, char in enumerate(a, 1):
        current = [i]
        for j, other in enumerate(b, 1):
            cost = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (char != other))
            if i > 1 and j > 1 and char == b[j - 2] and a[i - 2] == other:
                cost = min(cost, before[j - 2] + 1)
            current.append(cost)
        before, previous = previous, current
    return previous[-1]


class _Version(argparse.Action):
    """--version: from modules that import nothing (not batch_rest._client, which imports httpx)."""

    def __call__(self, parser: argparse.ArgumentParser, *_: object) -> NoReturn:
        _print_version()
        parser.exit()


def _print_version() -> None:
    from ._version import __version__  # noqa: PLC0415

    print(f"{PROG} {__version__} (Batch REST API {_seam.DEFAULT_API_VERSION})")


def _parser() -> argparse.ArgumentParser:
    kw: dict[str, Any] = {"epilog": EPILOG, "formatter_class": _HelpFormatter}
    parser = argparse.ArgumentParser(
        prog=PROG,
        description="Command-line client for Batch's REST API: one command per operation; "
        f"`{PROG} RESOURCE ACTION --help` shows its options.",
        **kw,
    )
    parser.add_argument("--version", action=_Version, nargs=0, help="print the versions of the client and API")
    commands = parser.add_subparsers(dest="resource", required=True, metavar="COMMAND")
    by_resource = sorted(_seam.OPERATIONS.items(), key=lambda op: (op[1]["resource"], op[1]["action"]))
    for resource, group in groupby(by_resource, lambda op: op[1]["resource"]):
        operations = list(group)
        bulk = [f"bulk-{facts['action']}" for _, facts in operations if facts.get("bulk")]
        about = ", ".join([*(facts["action"] for _, facts in operations), *bulk])
        resource_parser = commands.add_parser(resource, help=about, description=f"{resource}: {about}", **kw)
        actions = resource_parser.add_subparsers(
            dest="action", required=True, metavar="ACTION", parser_class=_CommandParser
        )
        for name, facts in operations:
            _add_operation(actions, name, facts)
            if facts.get("bulk"):
                _add_bulk_operation(actions, name, facts)
    _add_fake_server(commands)
    return parser


def _add_operation(actions: Any, name: str, facts: Mapping[str, Any]) -> None:
    paging, body = facts["paging"], facts["body"]
    about = "\n\n".join(text for text in (facts["summary"], facts["description"]) if text)
    command: argparse.ArgumentParser = actions.add_parser(
        facts["action"], help=facts["description"] or facts["summary"], epilog=EPILOG, formatter_class=_HelpFormatter,
        description=f"{about}\n\n{facts['method']} {facts['path']}",
    )  # fmt: skip
    if paging:
        _add_list_options(command, paging["items_key"])
    params = _add_parameters(command, facts, skip=(paging["cursor_param"], paging["limit_param"]) if paging else ())
    if body:
        params.add_argument(
            "--body", required=bool(body["required"]), metavar="JSON|@FILE|-",
            help=f"the request body, a JSON {'array' if body['array'] else 'object'} ({body['annotation']}): "
            "the JSON itself, @ and a file holding it, or - to read it from stdin",
        )  # fmt: skip
    _add_idempotent(params, facts)
    _add_connection_options(command)
    command.set_defaults(run=_run_operation, operation=name, command=command)


def _add_parameters(command: argparse.ArgumentParser, facts: Mapping[str, Any], skip: Sequence[str] = ()) -> Any:
    """The operation's parameters as options (their group, for the options that follow them)."""
    taken = {"--body", *CONNECTION_OPTIONS, *(s for action in command._actions for s in action.option_strings)}
    params = command.add_argument_group("parameters")
    for param in facts["params"]:
        if param["name"] in skip:
            continue  # a list's --start-cursor and --page-size
        repeated = str(param["annotation"]).startswith("list[")
        where = f"{param['in']} `{param['api_name']}`{'; repeat for several values' if repeated else ''}"
        params.add_argument(
            _option(param["name"], taken), dest=PARAM_DEST + param["name"], required=bool(param["required"]),
            action="append" if repeated else "store", metavar=param["name"].rstrip("_").upper(),
            help=f"{param['description'] or ''} ({where})",
        )  # fmt: skip
    return params


def _add_idempotent(group: Any, facts: Mapping[str, Any]) -> None:
    if not facts["idempotent"] and "--idempotent" not in group._option_string_actions:  # not a parameter's
        group.add_argument(
            "--idempotent", action="store_true",
            help="repeating this call is safe: retry it as a GET is (408, 429, any 5xx, a dropped connection); by "
            "default a POST is retried only when the server did nothing (429, 503, no connection)",
        )  # fmt: skip


def _add_bulk_operation(actions: Any, name: str, facts: Mapping[str, Any]) -> None:
    """`<resource> bulk-<action>`: the operation's bulk method fed from a JSON-lines file (run by _cli_bulk)."""
    bulk, limits = facts["bulk"], facts["limits"] or {}
    array = bulk["array"]
    size = f"at most {bulk['max_items']:,} items a call" if bulk["max_items"] else "--chunk-size items a call"
    rates = (("items_per_second", "items/s"), ("items_burst", "items at once"), ("requests_per_second", "requests/s"))
    pace = ", ".join(f"{limits[key]:,g} {what}" for key, what in rates if limits.get(key))
    where = "the request body" if array is None else f"the body's `{array}` (--body holds its other fields)"
    paced = f"under Batch's documented limits ({pace})" if pace else "by the 429s (Batch documents no limit)"
    command: argparse.ArgumentParser = actions.add_parser(
        f"bulk-{facts['action']}", epilog=BULK_EPILOG, formatter_class=_HelpFormatter,
        help=f"{facts['action']} for every item of a JSON-lines file, in chunks, paced",
        description=f"Every item of a JSON-lines file (one JSON object a line), sent with {facts['method']} "
        f"{facts['path']} in chunks of {size}, in {where}, paced {paced}."
        "\n\nEvery item ends in one outcome: accepted; rejected (not applied: safe to send again: an invalid line "
        "or item, a 4xx, a 429, 503 or connection failure that persisted); or unknown (it may have been applied: "
        "a 5xx, a timeout or a connection dropped after sending; sending it again is your decision). --rejects "
        "keeps the items not accepted, --checkpoint lets an interrupted run resume with --resume: only the "
        "chunks that were in flight can be sent twice."
        "\n\nOn a terminal, stderr shows the progress (done/total, items/s, ETA, rejected, unknown, 429s); a "
        "summary line ends every run.",
    )  # fmt: skip
    add = command.add_argument_group("bulk").add_argument
    add("--items", required=True, metavar="@FILE|-",
        help="the items, one JSON object a line: @ and a file, or - to read them from stdin. A blank line is "
        "skipped; a line that is not a JSON object, or an item the document refuses, is rejected alone")  # fmt: skip
    if array is not None:
        add("--body", required=bool(bulk["body_required"]), metavar="JSON|@FILE|-",
            help=f"the body's other fields, sent in every call: a JSON object without `{array}`"
            f"{' (required: ' + ', '.join(bulk['body_required']) + ')' if bulk['body_required'] else ''}: the "
            "JSON itself, @ and a file holding it, or - to read it from stdin")  # fmt: skip
    add("--rejects", metavar="FILE",
        help="write each item not accepted to FILE, exactly as read (one a line: feed it back with --items "
        "@FILE), as it fails; and its line, outcome and error to FILE.errors (JSON lines). Items whose outcome "
        "is `unknown` may have been applied: whether to send them again is your decision. Without --rejects, "
        "failures are reported on stderr")  # fmt: skip
    add(
        "--checkpoint",
        metavar="FILE",
        help="record which items are accounted for in FILE (created: it must not exist unless --resume)",
    )
    add("--resume", action="store_true",
        help="continue the run whose --checkpoint FILE exists (same --items, --body and --rejects): send only "
        "what it does not account for; --rejects FILE is kept, rebuilt from FILE.errors")  # fmt: skip
    add("--chunk-size", type=int, metavar="N",
        help=f"items a call (default: {bulk['max_items']:,}, the document's maxItems)" if bulk["max_items"]
        else "items a call (required: the document gives no maxItems)", required=not bulk["max_items"])  # fmt: skip
    add("--max-in-flight", type=int, default=4, metavar="N", help="calls at once (default: 4)")
    add(
        "--items-per-second",
        type=float,
        metavar="R",
        help=f"pace (default: {pace or 'none until a 429 shows the limit'}); inf: no pace of the client's own",
    )
    add("--requests-per-second", type=float, metavar="R", help="pace in calls a second; inf: none")
    params = _add_parameters(command, facts)
    _add_idempotent(params, facts)
    _add_connection_options(command)
    command.set_defaults(run=_run_bulk, operation=name, command=command)


def _option(name: str, taken: set[str]) -> str:
    """A parameter's option: its Python name dashed, or --param-<name> when the CLI has that option itself."""
    option = "--" + name.rstrip("_").replace("_", "-")
    return f"--param-{option[2:]}" if option in taken else option


def _add_list_options(command: argparse.ArgumentParser, noun: str) -> None:
    add = command.add_argument_group("listing").add_argument
    add("--format", choices=FORMATS, metavar="FORMAT",
        help=f"{', '.join(FORMATS[:-1])} or {FORMATS[-1]} (default: table on a terminal, else jsonl); csv and table "
        "are written once the listing ends")  # fmt: skip
    add("--max-items", type=_positive_int, metavar="N", help=f"stop after N {noun}")
    add("--page-size", type=int, metavar="N", help=f"{noun} per request, 1 to 100 (default: 100)")
    add("--start-cursor", type=_non_empty, metavar="C", help="resume a listing from this cursor")


def _add_connection_options(command: argparse.ArgumentParser) -> None:
    """The client's settings, on every API command."""
    add = command.add_argument_group("connection").add_argument
    add("--api-key", metavar="KEY", help=f"default: ${ENV_API_KEY}, safer: a key typed here lands in shell history")
    add("--project-key", metavar="KEY", help=f"default: ${ENV_PROJECT_KEY}")
    add("--base-url", metavar="URL", help="default: $BATCH_BASE_URL, else https://api.batch.com/<version>")
    add("--api-version", metavar="VERSION",
        help="such as 2.11 (default: $BATCH_API_VERSION, else the API description's default)")  # fmt: skip
    add("--timeout", type=float, default=30.0, metavar="SECONDS", help="per request (default: 30)")
    add("--max-retries", type=int, default=3, metavar="N",
        help=f"retries of a failed request, 0 to {MAX_RETRIES}; a POST only when the server did nothing "
        "(default: 3)")  # fmt: skip
    add("--allow-insecure-http", action="store_true",
        help="allow a plain http:// --base-url that is not loopback (the key then travels unencrypted)")  # fmt: skip
    add("-v", "--verbose", action="store_true", help="debug logs on stderr (each request, each retry)")


def _positive_int(text: str) -> int:
    value = int(text)  # argparse reports a ValueError as "invalid _positive_int value: 'x'"
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be 1 or more, got {value}")
    return value


def _non_empty(text: str) -> str:
    if not text:
        raise argparse.ArgumentTypeError("must not be empty: leave the option out to start from the first page")
    return text


def _add_fake_server(commands: Any) -> None:
    """`batch-rest fake-server`: its options and its run are the testing package's (batch_rest/testing/_cli.py)."""
    from .testing._cli import add_arguments, run  # noqa: PLC0415 - stdlib only; the testing package stays apart

    server = commands.add_parser(
        "fake-server",
        help="serve a fake Batch API until Ctrl-C",
        description="Serve a fake Batch API (demo data) until Ctrl-C. Prints its URL, then the demo credentials "
        "as shell `export` lines.",
        formatter_class=_HelpFormatter,
    )
    add_arguments(server)
    server.set_defaults(run=run)


# -- running a command ----------------------------------------------------------------------------------------


def main(argv: Sequence[str] | None = None) -> int:
    if (sys.argv[1:] if argv is None else list(argv)) == ["--version"]:
        _print_version()  # without building a command per operation first
        return 0
    try:
        args = _parser().parse_args(argv)
        run: Callable[[argparse.Namespace], int] = args.run
        return run(args)
    except SystemExit as exc:  # --help / --version (0), or a usage error (2), while parsing or checking values
        return exc.code if isinstance(exc.code, int) else 0 if exc.code is None else EXIT_USAGE
    except _Failure as failure:
        _say(failure.message, failure.secret)
        return failure.code
    except KeyboardInterrupt:
        _say("interrupted")
        return EXIT_INTERRUPTED
    except BrokenPipeError:  # the reader went away (`| head`): no traceback, and no second failure at exit
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return EXIT_BROKEN_PIPE


class _Failure(Exception):
    """Ends a command with an exit code and one line on stderr."""

    def __init__(self, code: int, message: str, secret: str | None = None) -> None:
        super().__init__(message)
        self.code, self.message, self.secret = code, message, secret


def _say(message: str, secret: str | None = None, status: StatusLine | None = None) -> None:
    """One line on stderr: whitespace collapsed, control characters replaced, the API key scrubbed; above the
    status line when one is shown."""
    from ._cli_output import printable  # noqa: PLC0415

    line = printable(" ".join(message.split()))
    line = f"{PROG}: {line.replace(secret, '[REDACTED]') if secret else line}"
    if status is not None and status.active:
        status.say(line)
    else:
        print(line, file=sys.stderr, flush=True)


def _run_operation(args: argparse.Namespace) -> int:
    from . import _cli_output as output  # noqa: PLC0415
    from .errors import BatchError  # noqa: PLC0415

    facts = _seam.OPERATIONS[args.operation]
    if args.verbose:
        from ._config import log_to_stderr  # noqa: PLC0415

        log_to_stderr("DEBUG")
    kwargs = _arguments(args)
    secret = args.api_key or os.environ.get(ENV_API_KEY)
    status = output.StatusLine(sys.stderr if sys.stderr.isatty() and not args.verbose else None, sys.stdout)
    with _client(args) as client, output.retries_shown(status, PROG):
        method = getattr(getattr(client, facts["resource"]), facts["action"])
        if facts["paging"]:
            return _list(args, method, kwargs, status=status, secret=secret)
        try:
            result = _checked_call(args, method, kwargs)
        except (BatchError, KeyboardInterrupt) as exc:
            raise _Failure(*_explain(exc, args.command), secret) from None
    terminal = sys.stdout.isatty()
    if isinstance(result, str) and any(r["kind"] == "location" for r in facts["results"].values()):
        print(output.printable(result) if terminal else result)  # `curl "$(batch-rest exports download --id x)"`
    elif result is not None:  # None: a response without a body (204) prints nothing
        value = _in_document_order(output.to_json(result), _result_schema(facts))
        print(output.dumps(value, indent=2, terminal=terminal))
    return 0


def _run_bulk(args: argparse.Namespace) -> int:
    from ._cli_bulk import run  # noqa: PLC0415 - loaded when a bulk command runs, not for --help

    return run(args)


def _result_schema(facts: Mapping[str, Any]) -> Mapping[str, Any]:
    """The schema of what an operation returns, when its documented successes agree on one ({} otherwise)."""
    pointers = {result["schema"] for result in facts["results"].values() if result["schema"]}
    return _schema(pointers.pop()) if len(pointers) == 1 else {}


def _arguments(args: argparse.Namespace) -> dict[str, Any]:
    """The typed method's keyword arguments, from the options (converted by schema; a bad value exits 2)."""
    command: argparse.ArgumentParser = args.command
    kwargs: dict[str, Any] = {}
    for param in _seam.OPERATIONS[args.operation]["params"]:
        given = getattr(args, PARAM_DEST + param["name"], None)
        if given is not None:
            try:
                kwargs[param["name"]] = _converted(given, _schema(param["schema"]))
            except ValueError as exc:
                command.error(f"{_option_names(command)[param['name']]}: {exc}")
    if getattr(args, "body", None) is not None:
        kwargs["body"] = _body(args.body, command)
    if getattr(args, "idempotent", False):
        kwargs["idempotent"] = True
    return kwargs


def _option_names(command: argparse.ArgumentParser) -> dict[str, str]:
    """Python argument name -> the option that sets it, for this command."""
    names = {**CLIENT_OPTIONS, **BULK_OPTIONS}
    for action in command._actions:
        if action.dest.startswith(PARAM_DEST):
            names[action.dest.removeprefix(PARAM_DEST)] = action.option_strings[0]
    return names


def _schema(pointer: str) -> Mapping[str, Any]:
    """The schema at a `#/...` pointer of the API document, `$ref`s followed."""
    return cast(Mapping[str, Any], schema_at(_seam.document(), pointer))


def _converted(value: str | list[str], schema: Mapping[str, Any]) -> object:
    """An option's text as the JSON value its schema types; ValueError if it is not one. Enums stay strings:
    the client converts them (and checks bounds, patterns and enums, naming the parameter)."""
    if isinstance(value, list):  # a repeated option: an array parameter
        return [_converted(item, _resolved(schema.get("items", {}))) for item in value]
    declared: str | list[str] = schema.get("type") or next(
        (s.get("type") for s in schema.get("anyOf", schema.get("oneOf", []))), []
    )
    kinds: set[str] = {declared} if isinstance(declared, str) else set(declared)
    try:
        if "integer" in kinds:
            return int(value)
        if "number" in kinds:
            return float(value)
        if {"object", "array"} & kinds:
            return json.loads(value)
    except ValueError:
        expected = "an integer" if "integer" in kinds else "a number" if "number" in kinds else "JSON"
        raise ValueError(f"expected {expected}, got {value!r}") from None
    if "boolean" in kinds:
        if value.lower() not in {"true", "false", "1", "0", "yes", "no"}:
            raise ValueError(f"expected true or false, got {value!r}")
        return value.lower() in {"true", "1", "yes"}
    return value


def _body(text: str, command: argparse.ArgumentParser) -> object:
    """--body: the JSON itself, @file, or - for stdin. The client checks it against the operation's schema."""
    source = "--body"
    try:
        if text == "-":
            text, source = sys.stdin.read(), "--body - (stdin)"
        elif text.startswith("@"):
            with open(text[1:], encoding="utf-8") as file:
                text, source = file.read(), f"--body {text}"
        return json.loads(text)
    except OSError as exc:
        command.error(f"{source}: cannot read it: {exc.strerror or exc}")
    except ValueError as exc:
        command.error(f"{source} is not valid JSON: {exc}")


def _checked_call(args: argparse.Namespace, method: Callable[..., Any], kwargs: Mapping[str, Any]) -> Any:
    """The method's result. The client raises TypeError / ValueError, before sending, for arguments it refuses:
    a usage error (exit 2) naming the option."""
    try:
        return method(**kwargs)
    except (TypeError, ValueError) as exc:
        args.command.error(_in_cli_terms(str(exc), args.operation, _option_names(args.command)))


def _in_cli_terms(message: str, operation: str, options: Mapping[str, str]) -> str:
    """A client message, naming options rather than arguments: `name: ...` -> `--name: ...`."""
    message = _INSECURE_HINT.sub("--allow-insecure-http", message)
    if message.startswith(f"{operation}: body"):  # `body[0].identifiers: ...` -> `--body: [0].identifiers: ...`
        where = message.removeprefix(f"{operation}: body")
        return "--body" + (f": {where.removeprefix('.')}" if where[:1] in {".", "["} else where)
    named = _LEADING_NAME.match(message)
    if named and named[1] in options:
        return options[named[1]] + message[named.end() :]
    return message


def _client(args: argparse.Namespace) -> BatchClient:
    """The client: option values wrong in themselves exit 2; missing keys and a bad environment exit 3."""
    from . import BatchClient, BatchError, _config  # noqa: PLC0415

    settings = {
        "timeout": args.timeout,
        "max_retries": args.max_retries,
        "allow_insecure_http": args.allow_insecure_http,
    }
    try:  # the options alone, with stand-ins for what they leave out: whatever fails here is an option's fault
        _config.resolve(
            api_key=args.api_key if args.api_key is not None else "stand-in",
            project_key=args.project_key if args.project_key is not None else "stand-in",
            api_version=args.api_version if args.api_version is not None else _seam.DEFAULT_API_VERSION,
            base_url=args.base_url if args.base_url is not None else _seam.server_url(_seam.DEFAULT_API_VERSION),
            **settings,
        )
    except (TypeError, ValueError, BatchError) as exc:
        args.command.error(_in_cli_terms(str(exc), args.operation, CLIENT_OPTIONS))
    keys = (("--api-key", ENV_API_KEY, args.api_key), ("--project-key", ENV_PROJECT_KEY, args.project_key))
    missing = [(option, variable) for option, variable, given in keys if given is None and not os.environ.get(variable)]
    if missing:  # every missing key at once, rather than one per try
        variables, options = " and ".join(v for _, v in missing), " and ".join(o for o, _ in missing)
        raise _Failure(EXIT_CONFIG, f"configuration error: set {variables} (or pass {options})")
    try:
        return BatchClient(args.api_key, args.project_key, api_version=args.api_version, base_url=args.base_url,
                           **settings)  # fmt: skip
    except (TypeError, ValueError, BatchError) as exc:
        raise _Failure(EXIT_CONFIG, "configuration error: " + _in_cli_terms(str(exc), "", CLIENT_OPTIONS)) from None


# -- cursor lists ---------------------------------------------------------------------------------------------


def _list(
    args: argparse.Namespace,
    method: Callable[..., Any],
    kwargs: Mapping[str, Any],
    *,
    status: StatusLine,
    secret: str | None,
) -> int:
    """Stream a cursor list's items in --format; on an error, say how to resume where it stopped."""
    from . import _cli_output as output  # noqa: PLC0415
    from .errors import BatchError  # noqa: PLC0415

    paging = _seam.OPERATIONS[args.operation]["paging"]
    # A short --max-items needs one short page, not 100 items.
    page_size = args.page_size if args.page_size is not None else min(args.max_items or 100, 100)
    pager = _checked_call(args, method, {**kwargs, "page_size": page_size, "start_cursor": args.start_cursor})
    item_schema = _schema(paging["item_schema"]) if paging["item_schema"] else {}
    terminal = sys.stdout.isatty()
    fmt = args.format or ("table" if terminal else "jsonl")
    writer = output.writer(fmt, sys.stdout, list(_properties(item_schema)), paging["items_key"], terminal=terminal)
    progress = output.Progress(paging["items_key"], status)
    try:
        for rows in _pages(pager, args.max_items, item_schema):
            status.clear()  # before every write to stdout: see _cli_output
            writer.add(rows)
            progress.page(len(rows))
    except (BatchError, KeyboardInterrupt) as exc:
        status.clear()
        writer.finish()  # what was listed stays listed: the resume hint starts right after it
        code, message = _explain(exc, args.command)
        _say(message, secret)
        if pager.cursor not in (None, args.start_cursor) and not pager.exhausted:
            _say(f"to resume: {_resume_command(args, pager.cursor, progress.items)}", secret)
        return code
    status.clear()
    writer.finish()
    status.finish(progress.summary())
    return 0


def _pages(pager: Any, max_items: int | None, item_schema: Mapping[str, Any]) -> Iterator[list[Any]]:
    """Each page's items as JSON objects (`to_dict` keeps fields a newer API adds) in the document's order, none
    beyond --max-items."""
    from ._cli_output import to_json  # noqa: PLC0415

    count = 0
    for page in pager.pages():
        items = page.items if max_items is None else page.items[: max_items - count]
        count += len(items)
        yield [_in_document_order(to_json(item), item_schema) for item in items]
        if max_items is not None and count >= max_items:
            return


def _in_document_order(value: Any, schema: Mapping[str, Any]) -> Any:
    """`value` (JSON) with each object's documented properties first, in the document's order, then the others
    in the order they came: a generated model's to_dict puts the fields the document does not describe first."""
    if isinstance(value, dict):
        properties = _properties(schema)
        if not properties:
            return value
        ordered = {name: _in_document_order(value[name], properties[name]) for name in properties if name in value}
        return ordered | {name: item for name, item in value.items() if name not in properties}
    if isinstance(value, list) and isinstance(schema.get("items"), dict):
        items = _resolved(schema["items"])
        return [_in_document_order(item, items) for item in value]
    return value


def _properties(schema: Mapping[str, Any]) -> dict[str, Mapping[str, Any]]:
    """An object schema's properties (name -> schema, `$ref`s followed) in document order, through `allOf`, and
    the alternatives of `anyOf` / `oneOf` (a nullable object: its object's)."""
    properties = {name: _resolved(sub) for name, sub in schema.get("properties", {}).items()}
    for part in (*schema.get("allOf", ()), *schema.get("anyOf", ()), *schema.get("oneOf", ())):
        properties |= {name: sub for name, sub in _properties(_resolved(part)).items() if name not in properties}
    return properties


def _resolved(schema: Mapping[str, Any]) -> Mapping[str, Any]:
    return _schema(schema["$ref"]) if "$ref" in schema else schema


def _resume_command(args: argparse.Namespace, cursor: str, listed: int) -> str:
    """The command that lists what is left: every option given again, --max-items lowered, a new --start-cursor.

    An option counts as given when its parsed value is not its default. --api-key is never repeated: the key
    would land on the terminal.
    """
    remaining = [] if args.max_items is None else ["--max-items", str(args.max_items - listed)]
    return _command_line(args, {"start_cursor", "max_items"}, [*remaining, "--start-cursor", cursor])


def _command_line(args: argparse.Namespace, skipped: set[str], added: Sequence[str]) -> str:
    """The command as given, for the shell: every option whose parsed value is not its default, but --api-key
    (which would land on the terminal: the line asks for it instead) and the `skipped` destinations; then
    `added`."""
    resource = _seam.OPERATIONS[args.operation]["resource"]
    words = [*PROG.split(), resource, args.command.prog.split()[-1]]  # the action, or bulk-<action>
    for action in args.command._actions:
        value = getattr(args, action.dest, None)
        if not action.option_strings or action.dest in {"help", "api_key", *skipped} or value in (None, action.default):
            continue
        option = action.option_strings[-1]
        if isinstance(action, argparse._StoreTrueAction):
            words.append(option)
        else:
            words += [w for item in (value if isinstance(value, list) else [value]) for w in (option, str(item))]
    words += added
    return " ".join(map(shlex.quote, words)) + (" (and your --api-key)" if args.api_key is not None else "")


# -- errors ---------------------------------------------------------------------------------------------------


def _explain(exc: BaseException, command: argparse.ArgumentParser | None = None) -> tuple[int, str]:
    """The exit code and the one line of stderr for an error while calling the API (a BatchError or Ctrl-C)."""
    from ._cli_output import plural  # noqa: PLC0415
    from .errors import APIError, BatchConnectionError, BatchTimeoutError, ConfigurationError  # noqa: PLC0415

    if isinstance(exc, KeyboardInterrupt):
        return EXIT_INTERRUPTED, "interrupted"
    tries = getattr(exc, "attempts", None)
    attempts = f" after {plural(tries, 'attempts')}" if tries else ""
    if isinstance(exc, ConfigurationError):  # generated code that cannot load
        return EXIT_CONFIG, f"configuration error: {exc}"
    if isinstance(exc, BatchTimeoutError):
        return EXIT_CONNECTION, f"timeout{attempts}: {exc}; check the network, or raise --timeout"
    if isinstance(exc, BatchConnectionError):
        return EXIT_CONNECTION, f"connection failed{attempts}: {exc}; check the network and --base-url / BATCH_BASE_URL"
    if not isinstance(exc, APIError):  # MalformedResponseError, PaginationError
        return EXIT_RESPONSE, f"unexpected response from the server: {exc}; run with -v for details"
    # What the request asked for: the operation's parameters and body, and a listing's paging.
    actions = command._actions if command else []
    params = [a.option_strings[0] for a in actions if a.dest.startswith(PARAM_DEST) or a.dest == "body"]
    listing = command is None or command.get_default("operation") in _LISTS
    paging = ["--page-size", "--start-cursor"] if listing else []
    status = exc.status_code
    if status in (401, 403):
        advice = f"check {ENV_API_KEY} and {ENV_PROJECT_KEY} (or --api-key / --project-key)"
    elif status == 429:
        wait = f" (the server asked for {exc.retry_after:g} s)" if exc.retry_after is not None else ""
        advice = f"rate limited: wait and retry later{wait}"
    elif status >= 500:
        advice = "a problem on Batch's side: retry later"
    elif status == 400:
        advice = f"check the arguments ({', '.join(params + paging) or 'the options'})"
    elif status == 404 and params:
        advice = f"nothing found for these {', '.join(params)}, or check --base-url and --api-version"
    else:
        advice = "check --base-url and --api-version; run with -v for details"
    detail = ": ".join(p for p in (exc.error_code, exc.error_message or exc.body_excerpt) if p) or "no body"
    return EXIT_API, f"API error {status} ({detail}) from {exc.method} {exc.url}{attempts}; {advice}"
