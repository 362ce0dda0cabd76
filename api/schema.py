"""drf-spectacular hooks: every operation documents the problem details it may answer with."""

from __future__ import annotations

PROBLEM_SCHEMA = {
    "type": "object",
    "description": "RFC 9457 problem details.",
    "properties": {
        "type": {"type": "string", "format": "uri-reference"},
        "title": {"type": "string"},
        "status": {"type": "integer"},
        "detail": {"type": "string"},
        "errors": {"type": "object", "additionalProperties": {"type": "array", "items": {"type": "string"}},
                   "description": "Invalid input: each field (nested as `comments[0].text`) with its messages."},
        "reasons": {"type": "array", "items": {"type": "string"},
                    "description": "A refusal: every reason, in the same words as the admin."},
    },
    "required": ["type", "title", "status", "detail"],
}

ALWAYS = {"400": "Invalid input (field errors in `errors`).", "401": "Not authenticated.",
          "403": "Not allowed.", "404": "Not found, or not visible to you.", "429": "Too many requests."}
WRITES = {"409": "Not allowed in the current state, or changed by someone else (`reasons`)."}


def add_problem_responses(result, generator, request, public):
    result.setdefault("components", {}).setdefault("schemas", {})["Problem"] = PROBLEM_SCHEMA
    problem = {"application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}}
    for operations in result.get("paths", {}).values():
        for method, operation in operations.items():
            if method not in ("get", "post", "put", "patch", "delete"):
                continue
            codes = {**ALWAYS, **(WRITES if method != "get" else {})}
            for code, description in codes.items():
                operation["responses"].setdefault(code, {"description": description, "content": problem})
    return result
