"""``Idempotency-Key`` on every POST of the API (draft-ietf-httpapi-idempotency-key-header).

A client that may send a request twice (a timeout, a retry, a double click in the system it
runs) sends a key of its choice with it. The first request with the key runs; its status,
Content-Type, Location and body are kept with a fingerprint of the method, path and body
(``workflow.idempotency``, the same mechanism as the admin's form tokens). A repeat with the key
and the same request gets that answer again, with ``Idempotent-Replayed: true``, and writes
nothing; the key with another request is a 422. Keys are per user and live
``IDEMPOTENCY_KEY_HOURS``.

What is kept: successes and the client's own errors (400, 403, 404, 422...), which a repeat
would only make again. What is not kept, so a retry with the same key runs again: server errors
(5xx) and the answers that mean "not now" (409, 429), which wrote nothing (the services are all
or nothing)."""

from __future__ import annotations

import functools
import json

from django.http import HttpResponse
from django.http.request import RawPostDataException
from rest_framework import exceptions

from workflow.idempotency import Outcome, request_fingerprint, submission_once
from workflow.models import IdempotencyKey, SubmissionChannel

from .problems import problem_response

HEADER = "Idempotency-Key"
REPLAYED_HEADER = "Idempotent-Replayed"
MAX_LENGTH = 255
KEPT_HEADERS = ("Content-Type", "Location")
# "Not now": the same request may succeed later, so its key stays free.
RETRYABLE = frozenset({408, 409, 425, 429})


def idempotency_key(request) -> str | None:
    """The request's key, or ``None`` without the header. A Structured Field string
    (``"8e03978e-…"``) and a bare token are both accepted."""
    raw = request.headers.get(HEADER)
    if raw is None:
        return None
    key = raw.strip()
    if len(key) >= 2 and key[0] == key[-1] == '"':
        key = key[1:-1]
    problems = []
    if not key:
        problems.append("The key is empty; send a unique value, e.g. a UUID.")
    if len(key) > MAX_LENGTH:
        problems.append(f"The key has {len(key)} characters; at most {MAX_LENGTH} are allowed.")
    if any(not " " <= ch <= "~" for ch in key):
        problems.append("The key may contain printable ASCII characters only.")
    if problems:
        raise exceptions.ValidationError({HEADER: problems})
    return key


class IdempotentPostMixin:
    """Mix into every API view that accepts POST (``tests/api/test_idempotency.py`` checks that
    none is left out). Runs after authentication, permission and rate checks, so a key belongs
    to the user who sent it."""

    def initial(self, request, *args, **kwargs):
        super().initial(request, *args, **kwargs)
        if request.method != "POST" or not request.user.is_authenticated:
            return  # a key is some user's; an open endpoint would answer anyone from it
        key = idempotency_key(request)
        handler = getattr(self, "post", None)
        if key is None or handler is None:
            return
        # DRF's dispatch looks the handler up after this method: the POST runs through the key.
        self.post = functools.partial(self._post_once, handler, key)

    def _post_once(self, handler, key: str, request, *args, **kwargs):
        fingerprint = request_fingerprint(method=request.method, path=request.get_full_path(),
                                          body=_body_of(request))

        def perform():
            try:
                response = handler(request, *args, **kwargs)
            except Exception as exc:  # noqa: BLE001 (the API's own translation, as DRF's dispatch does)
                response = self.handle_exception(exc)
            response = self.finalize_response(request, response, *args, **kwargs)
            if hasattr(response, "render"):
                response.render()
            return response

        def outcome(response) -> Outcome | None:
            if response.status_code >= 500 or response.status_code in RETRYABLE:
                return None
            return Outcome(status_code=response.status_code,
                           headers={name: response[name] for name in KEPT_HEADERS if response.has_header(name)},
                           body=bytes(response.content))

        result = submission_once(user=request.user, channel=SubmissionChannel.API, key=key,
                                 fingerprint=fingerprint, perform=perform, outcome=outcome)
        if not isinstance(result, IdempotencyKey):
            return result
        if result.fingerprint != fingerprint:
            return problem_response(
                "idempotency-key-reused",
                f"The Idempotency-Key {key!r} was used for a different request (another method, path or body); "
                "nothing was done. Send a new key for a new request.")
        return replay(result)


def replay(record: IdempotencyKey) -> HttpResponse:
    """The first answer again, marked as a replay."""
    response = HttpResponse(bytes(record.body), status=record.status_code,
                            content_type=record.headers.get("Content-Type"))
    if "Location" in record.headers:
        response["Location"] = record.headers["Location"]
    response[REPLAYED_HEADER] = "true"
    return response


def _body_of(request) -> bytes:
    try:
        return request._request.body
    except RawPostDataException:  # already parsed by DRF: its value stands for the body
        return json.dumps(request.data, sort_keys=True, default=str).encode()
