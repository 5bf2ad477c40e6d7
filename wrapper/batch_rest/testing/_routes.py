"""Every operation of the document as a route of the fake server: what it checks, and what it answers.

Routes come from `_seam.OPERATIONS` and `_seam.document()` alone, so a regenerated operation is served with no
edit here. For a request to `/<version>/<path>` (any `<major>.<minor>` version):

1. an unknown path is a 404 and a method the path does not document a 405 (with Allow), whatever the
   credentials: it is a wrong base URL more often than an attack, and saying so helps whoever debugs it;
2. `Authorization: Bearer <api_key>` and the project header (`X-Batch-Project`), unless the operation says
   `security: []`: 401 `AUTHENTICATION_INVALID`;
3. parameters (query, header, path): present when required, given once unless an array, of the schema's type
   (query strings are converted: `limit=abc` is not an integer), within its enum, bounds, length and pattern:
   400 `INVALID_PARAMETER` naming the parameter;
4. the JSON body: present when required, `Content-Type: application/json`, valid JSON, valid against the
   schema with the checks the client applies before sending: 400 `INVALID_BODY` naming the field
   (`body[3].identifiers.custom_id: must be string, ...`);
5. the answer, with the operation's documented success status: a cursor list's page (`_data`); a body built
   from the response schema (`_samples`: the document's examples first); no body for a 204; for a documented
   redirect, a `Location` on this server (`/_files/<name>`, which serves a few bytes without credentials).

Unknown query parameters are accepted, as Batch accepts them.
"""

from __future__ import annotations

import functools
import hashlib
import json
import re
from collections.abc import Callable, Mapping
from typing import Any
from urllib.parse import unquote

from batch_rest._schema import Check, SchemaError, compile_schema, node_at

from ._data import Items
from ._http import Reply, Request
from ._samples import SampleError, Samples

__all__ = ["Api", "Route", "error_reply"]

JSON = ("Content-Type", "application/json")
DEFAULT_LIMIT = 10  # a cursor list's page size when neither the request nor the document's default says
MAX_PAGE = 1000  # a page size the document does not bound is served up to this many items
FILES = "/_files/"
_VERSIONED = re.compile(r"/[0-9]+\.[0-9]+(/.*)")
_FILE_NAME = re.compile(r"[A-Za-z0-9_.-]{1,200}")
_CONVERTERS: dict[str, tuple[re.Pattern[str], Callable[[str], Any], str]] = {
    "integer": (re.compile(r"-?[0-9]{1,30}"), int, "an integer"),
    "number": (re.compile(r"-?[0-9]{1,30}(\.[0-9]{1,30})?([eE][-+]?[0-9]{1,3})?"), float, "a number"),
    "boolean": (re.compile(r"true|false"), lambda text: text == "true", "true or false"),
}

Responder = Callable[[Request], Reply]


class _Invalid(Exception):
    """A request the document does not allow: answered 400 with this code and message."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code, self.message = code, message


def error_reply(status: int, code: str, message: str, headers: tuple[tuple[str, str], ...] = ()) -> Reply:
    body = json.dumps({"error_code": code, "error_message": message}, ensure_ascii=False).encode()
    return Reply(status, (JSON, *headers), body)


def _json_reply(status: int, value: Any) -> Reply:
    return Reply(status, (JSON,), json.dumps(value, ensure_ascii=False, separators=(",", ":")).encode())


class Api:
    """The routes of every operation, and the credentials they check."""

    def __init__(
        self,
        *,
        operations: Mapping[str, Mapping[str, Any]],
        document: Mapping[str, Any],
        samples: Samples,
        lists: Mapping[str, Items],
        credentials: tuple[str, str],
        origin: Callable[[], str],
    ) -> None:
        self.document, self.samples, self.credentials, self.origin = document, samples, credentials, origin
        self._checks: dict[str, Check] = {}
        self.routes = {name: Route(self, name, facts, lists.get(name)) for name, facts in operations.items()}
        self._exact: dict[str, dict[str, Route]] = {}
        self._templated: list[tuple[re.Pattern[str], list[str], dict[str, Route]]] = []
        for route in self.routes.values():
            if "{" not in route.path:
                self._exact.setdefault(route.path, {})[route.method] = route
                continue
            names = re.findall(r"\{([^}]+)\}", route.path)
            pattern = re.escape(route.path)
            for number, name in enumerate(names):
                pattern = pattern.replace(re.escape(f"{{{name}}}"), f"(?P<p{number}>[^/]+)", 1)
            same = next((by for regex, _, by in self._templated if regex.pattern == pattern), None)
            if same is None:
                same = {}
                self._templated.append((re.compile(pattern), names, same))
            same[route.method] = route

    def match(self, method: str, path: str) -> tuple[str | None, Responder]:
        """The operation a request is for (None if none), and what answers it."""
        if path.startswith(FILES):
            return None, functools.partial(_file, method, path.removeprefix(FILES))
        versioned = _VERSIONED.fullmatch(path)
        by_method, path_args = self._find(versioned.group(1)) if versioned else ({}, {})
        if not by_method:
            return None, _constant(error_reply(404, "ROUTE_NOT_FOUND", f"No route matches {path}"))
        route = by_method.get(method)
        if route is None:
            allow = ("Allow", ", ".join(sorted(by_method)))
            return None, _constant(error_reply(405, "METHOD_NOT_ALLOWED", f"{method} is not allowed here", (allow,)))
        return route.name, functools.partial(route.answer, path_args=path_args)

    def _find(self, path: str) -> tuple[dict[str, Route], dict[str, str]]:
        if path in self._exact:
            return self._exact[path], {}
        for regex, names, by_method in self._templated:
            if found := regex.fullmatch(path):
                return by_method, {name: unquote(found.group(f"p{n}")) for n, name in enumerate(names)}
        return {}, {}

    def resolve(self, pointer: str) -> Any:
        """The node at `pointer`, following `$ref`s."""
        node = node_at(self.document, pointer)
        return self.resolve(node["$ref"]) if isinstance(node, dict) and "$ref" in node else node

    def check(self, pointer: str) -> Check:
        """The strict check of the schema at `pointer`, compiled once."""
        if pointer not in self._checks:
            self._checks[pointer] = compile_schema(self.document, pointer, strict=True)
        return self._checks[pointer]


def _constant(reply: Reply) -> Responder:
    return lambda request: reply


def _file(method: str, name: str, request: Request) -> Reply:
    """What a documented redirect's Location leads to: a file of a few deterministic bytes, like a presigned link."""
    if not _FILE_NAME.fullmatch(name):
        return error_reply(404, "ROUTE_NOT_FOUND", f"No file named {name!r}")
    if method != "GET":
        return error_reply(405, "METHOD_NOT_ALLOWED", f"{method} is not allowed here", (("Allow", "GET"),))
    return Reply(200, (("Content-Type", "application/octet-stream"),), f"fake Batch file {name}\n".encode())


class _Param:
    """One documented parameter, read from a request and converted per its schema."""

    def __init__(self, api: Api, facts: Mapping[str, Any]) -> None:
        self.name, self.where, self.required = facts["api_name"], facts["in"], facts["required"]
        schema = api.resolve(facts["schema"])
        self.kind = _kind(schema)
        items = schema.get("items") if self.kind == "array" else None
        self.item_kind = _kind(api.resolve(items["$ref"]) if isinstance(items, dict) and "$ref" in items else items)
        self.default = schema.get("default") if isinstance(schema, dict) else None  # what an absent value means
        self.check = api.check(facts["schema"])

    def read(self, request: Request, path_args: Mapping[str, str]) -> Any:
        """The parameter's value, None when absent; _Invalid when the document does not allow what was sent."""
        if self.where == "query":
            texts = request.query.get(self.name, [])
        elif self.where == "header":
            texts = [request.headers[self.name.lower()]] if self.name.lower() in request.headers else []
        else:
            texts = [path_args[self.name]] if self.name in path_args else []
        if not texts:
            if self.required:
                raise _Invalid("INVALID_PARAMETER", f"{self.name} is required")
            return None
        if self.kind == "array":
            value: Any = [self._convert(text, self.item_kind) for text in texts]
        elif len(texts) > 1:
            raise _Invalid("INVALID_PARAMETER", f"{self.name} must be given once, got {len(texts)} values")
        else:
            value = self._convert(texts[0], self.kind)
        try:
            self.check(value)
        except SchemaError as exc:
            raise _Invalid("INVALID_PARAMETER", f"{_where(self.name, exc)}: {exc.message}") from None
        return value

    def _convert(self, text: str, kind: str) -> Any:
        if kind not in _CONVERTERS:
            return text
        pattern, convert, expected = _CONVERTERS[kind]
        if not pattern.fullmatch(text):
            raise _Invalid("INVALID_PARAMETER", f"{self.name} must be {expected}, got {text!r}")
        return convert(text)


class Route:
    """One operation: its checks, and its documented success answer."""

    def __init__(self, api: Api, name: str, facts: Mapping[str, Any], items: Items | None) -> None:
        self.api, self.name, self.items = api, name, items
        self.method, self.path = facts["method"], facts["path"]
        node = api.resolve(facts["pointer"])
        self.public = node.get("security", api.document.get("security")) == []
        self.project_header = _project_header(api, node, facts["project_param"])
        self.params = [_Param(api, p) for p in facts["params"]]
        body = facts["body"]
        self.body_schema: str | None = body["schema"] if body else None
        self.body_required: bool = bool(body and body["required"])
        successes = sorted(int(status) for status in facts["results"])
        self.status = successes[0] if successes else 204
        self.result = facts["results"].get(str(self.status), {"kind": "none", "schema": None})
        paging = facts["paging"]
        if paging and items is not None:
            by_python = {p["name"]: p["api_name"] for p in facts["params"]}
            self.items_key = paging["items_key"]
            self.cursor_name, self.limit_name = by_python[paging["cursor_param"]], by_python[paging["limit_param"]]
            limit_default = next(p.default for p in self.params if p.name == self.limit_name)
            self.default_limit = limit_default if isinstance(limit_default, int) else DEFAULT_LIMIT
            envelope = api.resolve(self.result["schema"])
            self.sends_count = "count" in (envelope.get("properties") or {})
            # Rendering a page costs more than serving it: keep the recent ones for retries and for listings
            # run more than once. Bounded, so a million items still cost no memory.
            self.page = functools.lru_cache(maxsize=256)(self._render_page)

    # -- answering -------------------------------------------------------------------------------------------

    def answer(self, request: Request, path_args: Mapping[str, str]) -> Reply:
        if not self._authorized(request.headers):
            message = "The REST API key is missing or not valid for this project"
            return error_reply(401, "AUTHENTICATION_INVALID", message)
        try:
            values = {param.name: param.read(request, path_args) for param in self.params}
            if self.body_schema is not None:
                self._check_body(request)
            if self.items is not None:
                return self._list(values)
            if self.result["kind"] == "location":
                return self._redirect(values)
            return self.success_reply
        except _Invalid as exc:
            return error_reply(400, exc.code, exc.message)
        except SampleError as exc:
            return error_reply(500, "SERVER_ERROR", f"the fake server cannot build this answer: {exc}")

    def _authorized(self, headers: Mapping[str, str]) -> bool:
        if self.public:
            return True
        api_key, project_key = self.api.credentials
        scheme, _, token = headers.get("authorization", "").partition(" ")
        if scheme.lower() != "bearer" or token != api_key:
            return False
        return self.project_header is None or headers.get(self.project_header) == project_key

    def _check_body(self, request: Request) -> None:
        if not request.body.strip():
            if self.body_required:
                raise _Invalid("INVALID_BODY", "a JSON body is required")
            return
        media_type = request.headers.get("content-type", "").partition(";")[0].strip().lower()
        if media_type != "application/json" and not media_type.endswith("+json"):
            message = f"the body must be JSON (Content-Type: application/json), not {media_type!r}"
            raise _Invalid("INVALID_BODY", message)
        try:
            body = json.loads(request.body, parse_constant=_no_constant)
        except (ValueError, RecursionError) as exc:
            raise _Invalid("INVALID_BODY", f"the body is not valid JSON ({exc})") from None
        try:
            self.api.check(self.body_schema or "")(body)
        except SchemaError as exc:
            raise _Invalid("INVALID_BODY", f"{_where('body', exc)}: {exc.message}") from None
        except RecursionError:
            raise _Invalid("INVALID_BODY", "the body is nested too deeply") from None

    def _list(self, values: Mapping[str, Any]) -> Reply:
        assert self.items is not None  # only list routes get here
        limit = values.get(self.limit_name)
        limit = self.default_limit if limit is None else limit
        if limit < 1:  # allowed by a document without `minimum`, but a page of nothing makes no progress
            raise _Invalid("INVALID_PARAMETER", f"{self.limit_name}: must be at least 1, got {limit}")
        cursor = values.get(self.cursor_name)
        start = 0 if cursor is None else self.items.index_of(cursor)
        if start is None:
            raise _Invalid("INVALID_PARAMETER", f"{self.cursor_name} is not a valid cursor")
        return Reply(200, (JSON,), self.page(start, min(limit, MAX_PAGE), first=cursor is None))

    def _render_page(self, start: int, limit: int, *, first: bool) -> bytes:
        assert self.items is not None
        end = min(start + limit, self.items.size)
        page: dict[str, Any] = {self.items_key: [self.items.item(i) for i in range(start, end)]}
        if first and self.sends_count:
            page["count"] = self.items.size  # the total, on the first page only, as Batch's sibling lists do
        page["has_more"] = end < self.items.size
        page["next_from"] = self.items.cursor(end)  # on the last page too, as Batch does: clients stop on has_more
        return json.dumps(page, ensure_ascii=False, separators=(",", ":")).encode()

    def _redirect(self, values: Mapping[str, Any]) -> Reply:
        digest = hashlib.blake2b(repr(sorted(values.items())).encode(), digest_size=6, salt=self.api.samples.salt)
        location = f"{self.api.origin()}{FILES}{self.name}-{digest.hexdigest()}"
        return Reply(self.status, (("Location", location),))

    @functools.cached_property
    def success_reply(self) -> Reply:
        body = self.success_body()
        return Reply(self.status) if body is None else _json_reply(self.status, body)

    def success_body(self) -> Any:
        """The JSON value of the success answer (a non-list operation's), None when it has no body."""
        if self.status == 204 or self.result["kind"] in {"none", "location"} or not self.result["schema"]:
            return None
        return self.api.samples.value(self.result["schema"])


def _project_header(api: Api, operation: Mapping[str, Any], python_name: str | None) -> str | None:
    """The lower-case name of the header that carries the project key (`x-batch-project`), None if none."""
    if python_name is None:
        return None
    for written in operation.get("parameters") or ():
        parameter = api.resolve(written["$ref"]) if "$ref" in written else written
        name = str(parameter.get("name", ""))
        if parameter.get("in") == "header" and name.lower().replace("-", "_") == python_name:
            return name.lower()
    return python_name.replace("_", "-")


def _kind(schema: Any) -> str:
    kinds = schema.get("type") if isinstance(schema, dict) else None
    if isinstance(kinds, list):
        kinds = next((k for k in kinds if k != "null"), "string")
    return kinds if isinstance(kinds, str) else "string"


def _where(name: str, exc: SchemaError) -> str:
    if not exc.path:
        return name
    return f"{name}{'' if isinstance(exc.path[0], int) else '.'}{exc.where}"


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")
