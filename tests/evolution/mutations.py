"""Plausible evolutions of Batch's OpenAPI document, as small edits of the segments page (a dict, in place).

Each one is applied to openapi/pages/segments-list.json *before* the merge with the other pages and our patch
(openapi/batch-api.patch.json), the way a new upstream page would arrive, so the patch's guards (`test`
operations) are exercised too. Edits that add parameters append them: the patch addresses `limit` by its index.

`MUTATIONS` pairs each with the check module that proves its specific promise and the generated files it is
expected to change (relative to generated/batch_rest_generated); `NEGATIVE_CONTROL` is a change the wrapper
must NOT survive.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

Document = dict[str, Any]

SEGMENTS_LIST = "/segments/list"


def _operation(doc: Document, path: str = SEGMENTS_LIST) -> dict[str, Any]:
    return doc["paths"][path]["get"]  # type: ignore[no-any-return]


def _success_schema(doc: Document, path: str = SEGMENTS_LIST) -> dict[str, Any]:
    return _operation(doc, path)["responses"]["200"]["content"]["application/json"]["schema"]  # type: ignore[no-any-return]


def version_bump(doc: Document) -> None:
    """Batch publishes API 2.12 and re-versions the document."""
    doc["servers"][0]["variables"]["version"]["default"] = "2.12"
    doc["info"]["version"] = "2.10"


def new_item_field(doc: Document) -> None:
    """Segments gain an optional `audience_size`."""
    doc["components"]["schemas"]["oneSegment"]["properties"]["audience_size"] = {
        "type": "integer",
        "description": "Number of installations in the segment",
    }


def new_error_statuses(doc: Document) -> None:
    """403 and 404 become documented responses of /segments/list, with the Error schema."""
    error = {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}
    responses = doc["components"]["responses"]
    responses["403"] = {"description": "The API key may not list segments", "content": copy.deepcopy(error)}
    responses["404"] = {"description": "Unknown project", "content": copy.deepcopy(error)}
    _operation(doc)["responses"]["403"] = {"$ref": "#/components/responses/403"}
    _operation(doc)["responses"]["404"] = {"$ref": "#/components/responses/404"}


def new_list_endpoint(doc: Document) -> None:
    """A sibling list endpoint, /audiences/list, with the same cursor convention and envelope."""
    segments = _operation(doc)
    doc["components"]["schemas"]["oneAudience"] = {
        "type": "object",
        "properties": {
            "name": {"type": "string"},
            "display_name": {"type": "string"},
            "type": {"type": "string"},
            "updated_at": {"type": "string", "description": "UTC Date in a RFC 3339 format"},
        },
    }
    envelope = copy.deepcopy(_success_schema(doc))
    envelope["properties"].pop("segments")
    envelope["properties"] = {
        "audiences": {
            "description": "An array of objects describing each audience",
            "type": "array",
            "items": {"type": "object", "$ref": "#/components/schemas/oneAudience"},
        },
        **envelope["properties"],
    }
    doc["paths"]["/audiences/list"] = {
        "get": {
            "operationId": "audiences_list",
            "summary": "List",
            "description": "List audiences",
            "tags": ["Audiences"],
            "parameters": copy.deepcopy(segments["parameters"]),
            "responses": {
                "200": {
                    "description": "The audiences of the project",
                    "content": {"application/json": {"schema": envelope}},
                },
                **{status: copy.deepcopy(r) for status, r in segments["responses"].items() if status != "200"},
            },
        }
    }


def new_query_param(doc: Document) -> None:
    """/segments/list gains an optional `status` filter."""
    _operation(doc)["parameters"].append(
        {"name": "status", "in": "query", "description": "Only segments in this state", "schema": {"type": "string"}}
    )


def error_schema_evolves(doc: Document) -> None:
    """The Error schema gains `request_id` and loses `required`: an error body may now lack error_code."""
    error = doc["components"]["schemas"]["Error"]
    error["properties"]["request_id"] = {"description": "Identifier to quote to support", "type": "string"}
    del error["required"]


def envelope_required(doc: Document) -> None:
    """`has_more` and `next_from` become required in the 200 response."""
    _success_schema(doc)["required"] = ["has_more", "next_from"]


def response_removed(doc: Document) -> None:
    """503 is no longer documented on /segments/list (servers still send it during maintenance)."""
    del _operation(doc)["responses"]["503"]


def rename_next_from(doc: Document) -> None:
    """NEGATIVE CONTROL: the cursor field the wrapper depends on is renamed."""
    properties = _success_schema(doc)["properties"]
    properties["next_cursor"] = properties.pop("next_from")


@dataclass(frozen=True)
class Mutation:
    name: str
    apply: Callable[[Document], None]
    check: str | None  # file name under tests/evolution/checks/
    changes: frozenset[str]  # generated files expected to differ from the committed package (added, removed, edited)


_LIST_MODULE = "api/segments/segments_list.py"
_PAGE_MODEL = "models/segments_list_response_200.py"
# tools/emit_layer.py's files: the document (openapi.json) changes with every mutation; the operations' facts and
# the typed layer change when an operation, a parameter or a list's envelope does.
_DOCUMENT = "openapi.json"
_EMITTED = frozenset({"_operations.py", "_typed.py"})


def _changed(*files: str, emitted: bool = False) -> frozenset[str]:
    return frozenset({*files, _DOCUMENT}) | (_EMITTED if emitted else frozenset())


MUTATIONS = [
    Mutation("version_bump", version_bump, "check_version_bump.py", _changed("_server.py")),
    Mutation("new_item_field", new_item_field, "check_new_item_field.py", _changed("models/one_segment.py")),
    Mutation("new_error_statuses", new_error_statuses, "check_new_error_statuses.py", _changed(_LIST_MODULE)),
    Mutation(
        "new_list_endpoint",
        new_list_endpoint,
        "check_new_list_endpoint.py",
        _changed(
            "api/audiences/__init__.py",
            "api/audiences/audiences_list.py",
            "models/__init__.py",
            "models/one_audience.py",
            "models/audiences_list_response_200.py",
            emitted=True,
        ),
    ),
    Mutation("new_query_param", new_query_param, "check_new_query_param.py", _changed(_LIST_MODULE, emitted=True)),
    Mutation(
        "error_schema_evolves", error_schema_evolves, "check_error_schema_evolves.py", _changed("models/error.py")
    ),
    Mutation("envelope_required", envelope_required, "check_envelope_required.py", _changed(_PAGE_MODEL)),
    Mutation("response_removed", response_removed, "check_response_removed.py", _changed(_LIST_MODULE)),
]

NEGATIVE_CONTROL = Mutation("rename_next_from", rename_next_from, None, _changed(_PAGE_MODEL, emitted=True))
