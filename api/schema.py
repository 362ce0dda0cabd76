"""drf-spectacular hooks: every operation documents the problem details it may answer with."""

from __future__ import annotations

from django_countries import countries

# One enum for country codes wherever a country is named (a partner's ``country``, ``rel_to`` of a
# plan, section or objective): SPECTACULAR_SETTINGS["ENUM_NAME_OVERRIDES"]["CountryEnum"].
COUNTRY_CHOICES = [(code, name) for code, name in countries]

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

ALWAYS = {"400": "Invalid input (field errors in `errors`), or an unknown query parameter or value (named in "
                 "`errors`).",
          "401": "Not authenticated.",
          "403": "You may not: you are not one of those who may do this, whatever the state (`reasons`).",
          "404": "Not found, or not visible to you.", "429": "Too many requests."}
WRITES = {"409": "Not now: the state or a condition does not allow it yet, or someone else changed the document "
                 "since you read it (`reasons`). Nothing was saved."}


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


IDEMPOTENCY_DESCRIPTION = (
    "Optional, on every POST: a unique value of the client's choice (a UUID, at most 255 printable ASCII "
    "characters), kept for `IDEMPOTENCY_KEY_HOURS` (24 by default) per user. The first request with a key runs; "
    "a repeat with the same key and the same request (method, path, body) returns the first answer (status, "
    "body, `Location`) with `Idempotent-Replayed: true` and changes nothing. The same key with another request "
    "is a 422. Answers that mean \"not now\" (409, 429) and server errors (5xx) are not kept: a retry with the "
    "same key runs again. Two requests with one key at the same moment: the second waits for the first and "
    "gets its answer."
)


def add_idempotency_key(result, generator, request, public):
    """Every POST operation takes the ``Idempotency-Key`` header (``api.idempotency``): added here,
    so an endpoint added later is described without anyone remembering to."""
    from .idempotency import HEADER, MAX_LENGTH, REPLAYED_HEADER

    parameter = {"in": "header", "name": HEADER, "required": False, "description": IDEMPOTENCY_DESCRIPTION,
                 "schema": {"type": "string", "minLength": 1, "maxLength": MAX_LENGTH}}
    replayed = {REPLAYED_HEADER: {"description": "`true` when this is the stored answer to an earlier request "
                                                 f"with the same `{HEADER}`.",
                                  "schema": {"type": "string", "enum": ["true"]}}}
    problem = {"application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}}
    for operations in result.get("paths", {}).values():
        operation = operations.get("post")
        if operation is None:
            continue
        parameters = operation.setdefault("parameters", [])
        if not any(p.get("in") == "header" and p.get("name") == HEADER for p in parameters):
            parameters.append(parameter)
        operation["responses"].setdefault("422", {
            "description": f"The `{HEADER}` was used before for a different request.", "content": problem})
        for code, response in operation["responses"].items():
            if code.startswith(("2", "4")) and code not in ("409", "429"):
                response.setdefault("headers", {}).update(replayed)
    info = result.setdefault("info", {})
    if HEADER not in info.get("description", ""):
        info["description"] = (info.get("description", "") + f"\n\n**{HEADER}**: " + IDEMPOTENCY_DESCRIPTION).strip()
    return result
