"""Where `make update-spec` takes its SOURCE from (tools/update_spec.py, in process): a file, or an address
downloaded over a real HTTP server on 127.0.0.1 (tests/evolution/loopback.py); and what the source holds, a
docs page or a whole document. The workflows that store what was taken are in test_update_spec.py.

The pages served are the fixture pages (tests/fixtures/pages: our reconstructions of Batch's pages, test data).
"""

from __future__ import annotations

import json
import socket
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml
from loopback import Answer, serve

REPO = Path(__file__).resolve().parents[2]
FIXTURE_PAGES = REPO / "tests" / "fixtures" / "pages"
PAGE = (FIXTURE_PAGES / "profiles-update.md").read_bytes()
MARKDOWN = {"Content-Type": "text/markdown; charset=utf-8"}

sys.path.insert(0, str(REPO / "tools"))
import update_spec  # noqa: E402
from update_spec import UpdateError  # noqa: E402


@pytest.fixture
def connections(monkeypatch: pytest.MonkeyPatch) -> list[Any]:
    """Every connection httpx opens (its sync transport goes through socket.create_connection)."""
    opened: list[Any] = []
    real = socket.create_connection

    def recording(address: Any, *args: Any, **kwargs: Any) -> socket.socket:
        opened.append(address)
        return real(address, *args, **kwargs)

    monkeypatch.setattr(socket, "create_connection", recording)
    return opened


# -- addresses ----------------------------------------------------------------------------------------------


def test_a_page_is_downloaded_from_a_loopback_address(connections: list[Any]) -> None:
    with serve({"/cep/profiles/update.md": Answer(body=PAGE, headers=MARKDOWN)}) as server:
        address = server.url("/cep/profiles/update.md")
        taken = update_spec.take(address)
        assert server.requests == ["GET /cep/profiles/update.md"]
    assert taken.text.encode() == PAGE
    assert (taken.file_name, taken.address) == ("update.md", address)
    assert taken.label == f"{address}, {len(PAGE):,} bytes"
    assert len(connections) == 1  # the control for the refusals below: a download does connect
    intake = update_spec.read_source(taken)
    assert (intake.whole, intake.markdown) == (False, True)
    assert list(intake.document["paths"]) == ["/profiles/update"]


def test_markdown_that_opens_with_markup_is_not_taken_for_an_html_page() -> None:
    page = b"<!-- a comment some docs tools put first -->\n" + PAGE
    with serve({"/update.md": Answer(body=page, headers={"Content-Type": "text/plain"})}) as server:
        taken = update_spec.take(server.url("/update.md"))
    assert list(update_spec.read_source(taken).document["paths"]) == ["/profiles/update"]


@pytest.mark.parametrize(
    ("address", "reason"),
    [
        ("http://10.0.0.1/cep/profiles/update.md", "plain http is accepted only to a loopback host"),
        ("http://doc.batch.com/developer/api/cep/profiles/update.md", "plain http is accepted only to a loopback"),
        ("http://127.0.0.1.example.com/x.md", "plain http is accepted only to a loopback host"),
        ("ftp://127.0.0.1/x.md", "update-spec downloads https addresses only"),
        ("file:///etc/passwd", "update-spec downloads https addresses only"),
        ("https://user:secret@doc.batch.com/x.md", "an address with a user name or password is refused"),
    ],
)
def test_addresses_other_than_https_or_loopback_http_are_refused_before_any_connection(
    connections: list[Any], address: str, reason: str
) -> None:
    with pytest.raises(UpdateError, match=reason):
        update_spec.take(address)
    assert connections == []


@pytest.mark.parametrize("host", ["127.0.0.1", "127.1.2.3", "[::1]", "localhost", "LOCALHOST"])
def test_loopback_hosts_take_plain_http(host: str) -> None:
    assert update_spec.check_address(f"http://{host}:8080/x.md") == f"http://{host}:8080/x.md"


def test_redirects_are_followed_on_loopback_and_the_source_address_is_the_one_kept() -> None:
    routes = {
        "/old.md": Answer(301, headers={"Location": "/new.md"}),
        "/new.md": Answer(body=PAGE, headers=MARKDOWN),
    }
    with serve(routes) as server:
        taken = update_spec.take(server.url("/old.md"))
        assert server.requests == ["GET /old.md", "GET /new.md"]
    assert taken.address == server.url("/old.md")
    assert f"(redirected to {server.url('/new.md')})" in taken.label


@pytest.mark.parametrize(
    ("location", "reason"),
    [
        ("http://10.0.0.1/x.md", "plain http is accepted only to a loopback host"),
        ("ftp://127.0.0.1/x.md", "https addresses only"),
    ],
)
def test_a_redirect_is_held_to_the_same_rule(connections: list[Any], location: str, reason: str) -> None:
    with (
        serve({"/x.md": Answer(302, headers={"Location": location})}) as server,
        pytest.raises(UpdateError, match=reason),
    ):
        update_spec.take(server.url("/x.md"))
    assert len(connections) == 1  # the loopback server's; none to the redirect's target


def test_a_redirect_from_elsewhere_may_not_lead_to_loopback() -> None:
    with pytest.raises(UpdateError, match="refused to follow a redirect to http://127.0.0.1/"):
        update_spec.check_address("http://127.0.0.1/x.md", loopback=False)


def test_redirects_do_not_loop_forever() -> None:
    with serve({"/loop.md": Answer(302, headers={"Location": "/loop.md"})}) as server:
        with pytest.raises(UpdateError, match="more than 5 redirects"):
            update_spec.take(server.url("/loop.md"))
        assert len(server.requests) == 6


@pytest.mark.parametrize(
    ("answer", "reason"),
    [
        (Answer(404, b"no such page"), "answered 404 Not Found, not 200"),
        (Answer(500, b"oops"), "answered 500 Internal Server Error, not 200"),
        (Answer(body=b"<!doctype html><html>docs</html>", headers={"Content-Type": "text/html"}), "an HTML page"),
        (Answer(body=b"\n  <!DOCTYPE html><html>docs</html>"), "an HTML page (no Content-Type)"),
        (Answer(body=b"", headers=MARKDOWN), "answered an empty body"),
        (Answer(body=b"# Page\n\xff\xfe not UTF-8", headers=MARKDOWN), "is not UTF-8 text"),
        (Answer(body=b"x" * 2000, headers=MARKDOWN), "is too big: 2,000 bytes (at most 1,000)"),
        (Answer(body=b"x" * 200_000, headers=MARKDOWN, chunked=True), "is too big: more than 1,000 bytes"),
    ],
    ids=["404", "500", "html", "html-sniffed", "empty", "not-utf8", "too-big", "too-big-chunked"],
)
def test_a_download_that_gives_no_document_is_refused_with_the_reason(
    monkeypatch: pytest.MonkeyPatch, answer: Answer, reason: str
) -> None:
    monkeypatch.setattr(update_spec, "MAX_BYTES", 1000)
    with serve({"/page.md": answer}) as server, pytest.raises(UpdateError) as raised:
        update_spec.take(server.url("/page.md"))
    assert reason in str(raised.value)


def test_a_server_that_does_not_answer_in_time_is_refused() -> None:
    with serve({"/slow.md": Answer(body=PAGE, stall=3)}) as server, pytest.raises(UpdateError) as raised:
        update_spec.take(server.url("/slow.md"), timeout=0.3)
    assert str(raised.value) == f"{server.url('/slow.md')}: no answer within 0.3 s (TIMEOUT=<seconds> gives more)"


def test_a_host_that_refuses_the_connection_is_refused() -> None:
    with socket.socket() as unused:
        unused.bind(("127.0.0.1", 0))
        port = unused.getsockname()[1]  # bound, not listening: connections to it are refused
        with pytest.raises(UpdateError, match=rf"cannot download http://127.0.0.1:{port}/x.md: ConnectError: "):
            update_spec.take(f"http://127.0.0.1:{port}/x.md")


def test_a_file_that_cannot_be_read_is_refused(tmp_path: Path) -> None:
    with pytest.raises(UpdateError, match="cannot read .*missing.md: "):
        update_spec.take(str(tmp_path / "missing.md"))


# -- what a source holds --------------------------------------------------------------------------------------


def fixture_document(name: str) -> dict[str, Any]:
    page = (FIXTURE_PAGES / f"{name}.md").read_text(encoding="utf-8")
    return json.loads(update_spec.extract_document(page, name))


def two_operations() -> dict[str, Any]:
    document = fixture_document("catalogs-list")
    document["paths"] |= fixture_document("catalogs-create")["paths"]
    document["components"]["schemas"] |= fixture_document("catalogs-create")["components"]["schemas"]
    return document


def taken(text: str, file_name: str) -> update_spec.Taken:
    return update_spec.Taken(text, file_name, file_name)


def test_yaml_is_a_whole_document_kept_byte_for_byte() -> None:
    text = "\ufeff# our reconstruction\r\n" + yaml.safe_dump(fixture_document("catalogs-list")).replace("\n", "\r\n")
    for name, suffix in [("batch-api.yaml", ".yaml"), ("Batch API.YML", ".yml"), ("spec", ".yaml")]:
        intake = update_spec.read_source(taken(text, name))
        assert (intake.whole, intake.suffix, intake.stored) == (True, suffix, text)
        assert intake.document == fixture_document("catalogs-list")
    assert update_spec.document_name("Batch API.YML") == "batch-api"


def test_json_of_many_operations_is_a_whole_document_and_of_one_a_page() -> None:
    text = json.dumps(two_operations(), indent=2) + "\r\n"
    intake = update_spec.read_source(taken(text, "catalogs.json"))
    assert (intake.whole, intake.suffix, intake.stored) == (True, ".json", text)
    one = json.dumps(fixture_document("catalogs-list"), indent=2) + "\r\n"
    intake = update_spec.read_source(taken(one, "catalogs.json"))
    assert (intake.whole, intake.markdown) == (False, False)
    assert intake.stored == json.dumps(fixture_document("catalogs-list"), indent=2) + "\n"  # the block, a newline


def test_a_docs_page_is_a_page_whatever_it_holds() -> None:
    page = (FIXTURE_PAGES / "catalogs-list.md").read_text(encoding="utf-8")
    block = update_spec.extract_document(page, "list.md")
    text = page.replace(block, json.dumps(two_operations()))
    intake = update_spec.read_source(taken(text, "list.md"))
    assert (intake.whole, intake.markdown) == (False, True)
    assert sorted(intake.document["paths"]) == ["/catalogs/create", "/catalogs/list"]


@pytest.mark.parametrize(
    ("text", "name", "reason"),
    [
        ("openapi: 3.1.0\nreleased: !!timestamp 2024-01-01\n", "batch-api.yaml", "line 2, column 11: the tag"),
        ("openapi: 3.1.0\n200: a\n'200': b\n", "batch-api.yaml", "the key '200' appears twice"),
        ("# A page\n\nsome: yaml\n", "page.md", "none of its 0 fenced code blocks holds an OpenAPI document"),
        ("# A page\n\nsome: yaml\n", "page", "none of its 0 fenced code blocks holds an OpenAPI document"),
    ],
)
def test_a_source_holding_no_usable_document_is_refused(text: str, name: str, reason: str) -> None:
    with pytest.raises(UpdateError) as raised:
        update_spec.read_source(taken(text, name))
    assert reason in str(raised.value)
