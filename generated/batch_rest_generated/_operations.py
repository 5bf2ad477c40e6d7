"""Every operation of the document, as plain data. Written by tools/generate.py (tools/emit_layer.py): do not edit.

Read by batch_rest's seam (requests and parsing), its CLI (one command per operation) and its fake server.
Schemas are JSON pointers into openapi.json, next to this module.
"""

from typing import Any

OPERATIONS: dict[str, dict[str, Any]] = {
    "segments_list": {
        "resource": "segments",
        "action": "list",
        "module": "api.segments.segments_list",
        "method": "GET",
        "idempotent": True,
        "path": "/segments/list",
        "pointer": "#/paths/~1segments~1list/get",
        "summary": "List",
        "description": "List segments",
        "params": [
            {
                "name": "from_",
                "api_name": "from",
                "in": "query",
                "required": False,
                "annotation": "str | Unset",
                "schema": "#/paths/~1segments~1list/get/parameters/1/schema",
                "description": "A cursor for pagination accross multiple pages of results. Don't include this parameter on the first call. Use the `next_from` value returned in a previous response to request subsequent resutls.",
            },
            {
                "name": "limit",
                "api_name": "limit",
                "in": "query",
                "required": False,
                "annotation": "int | Unset",
                "schema": "#/paths/~1segments~1list/get/parameters/2/schema",
                "description": "A limit on the number of objects to be returned.",
            },
        ],
        "project_param": "x_batch_project",
        "body": None,
        "results": {
            "200": {
                "kind": "model",
                "model": "models.segments_list_response_200:SegmentsListResponse200",
                "schema": "#/paths/~1segments~1list/get/responses/200/content/application~1json/schema",
                "description": "If the GET to the API endpoint is successful you will receive an HTTP 200 confirmation and information about you segments.",
            },
        },
        "paging": {
            "items_key": "segments",
            "items_attr": "segments",
            "item_model": "models.one_segment:OneSegment",
            "item_schema": "#/components/schemas/oneSegment",
            "cursor_param": "from_",
            "limit_param": "limit",
        },
        "bulk": None,
        "limits": None,
    },
}
